"""Name, nickname and place lists for the fictional area of Caxton (postcode area CX).

Names are common UK names (not real people: every combination is drawn at random).
The postcode area 'CX' follows the UK format but is not a real postcode area.
"""

from __future__ import annotations

GIVEN_FEMALE: tuple[str, ...] = tuple("""
Olivia Amelia Isla Ava Mia Ivy Lily Isabella Rosie Sophia Grace Freya Willow Florence Emily Ella
Poppy Evie Elsie Charlotte Evelyn Sienna Sofia Daisy Phoebe Sophie Alice Harper Matilda Ruby
Emilia Maya Millie Isabelle Eva Luna Jessica Elizabeth Margaret Susan Patricia Jennifer Linda
Barbara Sarah Karen Nancy Lisa Betty Helen Sandra Donna Carol Ruth Sharon Michelle Laura Kimberly
Deborah Rebecca Catherine Katherine Christine Samantha Victoria Rachel Hannah Joanne Julie Claire
Nicola Emma Louise Gemma Kirsty Jacqueline Pauline Maureen Brenda Janet Shirley Doreen Jean
Valerie Wendy Gillian Dorothy Joan Kathleen Frances Abigail Amy Natalie Danielle Stephanie Zoe
""".split())

GIVEN_MALE: tuple[str, ...] = tuple("""
Oliver George Noah Arthur Harry Leo Muhammad Jack Charlie Oscar Jacob Henry Thomas Freddie Alfie
Theo William Theodore Archie Joshua Alexander James Isaac Edward Lucas Tommy Finley Max Logan
Ethan Mohammed Teddy Benjamin Arlo Joseph Sebastian Elijah Adam Robert John Michael David Richard
Charles Christopher Daniel Matthew Anthony Mark Donald Steven Paul Andrew Kenneth Kevin Brian
Timothy Ronald Jason Jeffrey Gary Ryan Nicholas Eric Stephen Jonathan Larry Justin Scott Frank
Raymond Gregory Samuel Patrick Peter Colin Graham Keith Trevor Barry Derek Terence Malcolm Neil
Stuart Craig Darren Lee Wayne Dean Shaun Carl Philip Martin Ian Alan Simon Gordon Nigel Callum
""".split())

FAMILY: tuple[str, ...] = tuple("""
Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson
Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin
Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips
Watson Davis Parker Price Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson Bailey
Collins Bell Shaw Murphy Miller Cox Richards Khan Marshall Anderson Simpson Ellis Adams Singh
Begum Wilkinson Foster Chapman Powell Webb Rogers Gray Mason Ali Hunt Hussain Campbell Matthews
Owen Palmer Holmes Mills Barnes Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray
Dixon Harvey Graham Pearson Ahmed Fletcher Walsh Kaur Gibson Howard Andrews Stewart Elliott
Reynolds Saunders Payne Fox Ford Pearce Day Brooks West Lawrence Cole Atkinson Bradley Spencer
Gill Dawson Ball Burton Obrien Watts Rose Booth Perry Ryan Grant Wells Armstrong Francis Rees
Hayes Hart Hudson Newman Barrett Webster Hunter Gregory Carr Lowe Page Marsh Riley Dunn Woods
Parsons Berry Stone Reid Holland Hawkins Harding Porter Robertson Newton Oliver Reed Kennedy
Williamson Bird Gardner Shah Dean Lane Cooke Bates Henderson Parry Burgess Bishop Walton Burns
Nicholson Shepherd Ross Cross Long Freeman Warren Nicholls Hamilton Byrne Sutton McDonald Yates
Hodgson Robson Curtis Hopkins Hussey Kent Sharp Sanders Hale Lamb Abbott Akhtar Bibi Boyle
Chambers Connolly Doyle Farrell Fraser Gordon Hammond Haynes Iqbal Jordan Kaye Lord Lynch Malik
Moss Nash Norris Osborne Pickering Quinn Rahman Rowe Sharpe Slater Steele Stokes Sykes Tucker
Vaughan Wade Wallace Ward Weston Whitehouse Wiley Yousaf Zaman Barlow Barton Bond Bull Cullen
""".split())

NICKNAMES: dict[str, str] = {
    "William": "Bill", "Robert": "Bob", "Richard": "Dick", "James": "Jim", "John": "Jack",
    "Michael": "Mike", "David": "Dave", "Christopher": "Chris", "Daniel": "Dan",
    "Matthew": "Matt", "Anthony": "Tony", "Steven": "Steve", "Andrew": "Andy",
    "Kenneth": "Ken", "Timothy": "Tim", "Ronald": "Ron", "Jeffrey": "Jeff", "Nicholas": "Nick",
    "Stephen": "Steve", "Jonathan": "Jon", "Gregory": "Greg", "Samuel": "Sam",
    "Patrick": "Pat", "Peter": "Pete", "Terence": "Terry", "Philip": "Phil",
    "Alexander": "Alex", "Benjamin": "Ben", "Joseph": "Joe", "Thomas": "Tom",
    "Edward": "Ed", "Frederick": "Fred", "Joshua": "Josh", "Charles": "Charlie",
    "Elizabeth": "Liz", "Margaret": "Maggie", "Patricia": "Pat", "Jennifer": "Jenny",
    "Barbara": "Barbie", "Katherine": "Kate", "Catherine": "Cathy", "Christine": "Chris",
    "Samantha": "Sam", "Victoria": "Vicky", "Rebecca": "Becky", "Deborah": "Debbie",
    "Jacqueline": "Jackie", "Susan": "Sue", "Kimberly": "Kim", "Gillian": "Gill",
    "Abigail": "Abbie", "Stephanie": "Steph", "Nicola": "Nicky", "Jessica": "Jess",
    "Isabella": "Bella", "Florence": "Flo", "Dorothy": "Dot", "Valerie": "Val",
}

# Locality → (postcode districts, typical deprivation decile)
LOCALITIES: tuple[tuple[str, tuple[int, ...], int], ...] = (
    ("Northgate", (1, 2), 2),
    ("Riverside", (3, 4), 4),
    ("Eastfield", (5, 6), 6),
    ("Millbrook", (7, 8), 8),
    ("Westcombe", (9, 10), 5),
    ("Southmoor", (11, 12), 3),
)

POSTCODE_AREA = "CX"
# Letters allowed in the inward code's last two characters (no C, I, K, M, O, V).
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
