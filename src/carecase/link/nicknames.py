"""Short forms of given names (Bob for Robert, Liz for Elizabeth), for the given-name level
"one is a short form of the other" (link.model).

Agencies record the name a person gives: a housing officer writes "Bill", the GP register
holds "William". Jaro–Winkler sees little likeness there (BILL/WILLIAM 0.0), so without this
level such a pair scores as if the names disagreed, and a record with nothing else wrong can
miss its person: at three and five times the synthetic area's usual recording errors
(``synth --identity-noise``) it was the largest single cause of missed links (docs/linkage.md).

:data:`SHORT_FORMS` was compiled for carecase from common English usage in the UK. It is not
the synthetic generator's list (``synth/names.py``, which plants nicknames in the synthetic
area) and was not derived from it, and it is far from complete: a region whose residents use
other naming traditions should give its own list (``linkage.nicknames``: a CSV of
``name,short_form`` rows, which replaces this one; a header alone turns the level off).

A short form can belong to several names (CHRIS: Christopher, Christine, Christian…): each
name's *forms* are itself and every full name it is a short form of, and two given names are
short forms of each other when their forms share a name (CHRIS and CHRISTINE do; CHRISTOPHER
and CHRISTINE do not). Only the first word of a given name is compared this way ("WILLIAM
JOHN" and "BILL" share WILLIAM).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ibis.expr.types as ir

#: between the forms of a name in :func:`forms_mapping`'s values
SEPARATOR = ","

#: full name → its common short forms (upper case, as ingest normalises names)
SHORT_FORMS: dict[str, tuple[str, ...]] = {
    # men's names
    "ALBERT": ("AL", "BERT", "BERTIE"), "ALEXANDER": ("ALEX", "ALEC", "SANDY", "XANDER"),
    "ALFRED": ("ALF", "ALFIE", "FRED", "FREDDIE"), "ALISTAIR": ("ALI", "ALLY"),
    "ANDREW": ("ANDY", "DREW"), "ANTHONY": ("TONY", "ANT"), "ARCHIBALD": ("ARCHIE",),
    "ARTHUR": ("ART", "ARTIE"), "BARTHOLOMEW": ("BART",), "BENEDICT": ("BEN", "BENNY"),
    "BENJAMIN": ("BEN", "BENJI", "BENNY"), "BERNARD": ("BERNIE",), "BRADLEY": ("BRAD",),
    "CALLUM": ("CAL",), "CAMERON": ("CAM",), "CHARLES": ("CHARLIE", "CHAS", "CHUCK"),
    "CHRISTIAN": ("CHRIS",), "CHRISTOPHER": ("CHRIS", "KIT", "TOPHER"), "CLIFFORD": ("CLIFF",),
    "COLIN": ("COL",), "CYRIL": ("CY",), "DANIEL": ("DAN", "DANNY"), "DAVID": ("DAVE", "DAVY", "DAI"),
    "DEREK": ("DEL",), "DERMOT": ("DERM",), "DESMOND": ("DES",), "DOMINIC": ("DOM",),
    "DONALD": ("DON", "DONNIE"), "DOUGLAS": ("DOUG", "DOUGIE"), "EDMUND": ("ED", "EDDIE", "NED"),
    "EDWARD": ("ED", "EDDIE", "TED", "TEDDY", "NED"), "EDWIN": ("ED", "EDDIE"),
    "ERNEST": ("ERNIE",), "EUGENE": ("GENE",), "FRANCIS": ("FRANK", "FRAN"),
    "FRANKLIN": ("FRANK",), "FREDERICK": ("FRED", "FREDDIE", "FREDDY"), "GABRIEL": ("GABE",),
    "GEOFFREY": ("GEOFF",), "GERALD": ("GERRY", "GED"), "GERARD": ("GERRY", "GED"),
    "GILBERT": ("GIL", "BERT"), "GORDON": ("GORDIE",), "GREGORY": ("GREG",),
    "HAROLD": ("HAL", "HARRY"), "HENRY": ("HARRY", "HAL", "HANK"), "HERBERT": ("HERB", "BERT"),
    "HOWARD": ("HOWIE",), "HUGH": ("HUGHIE",), "ISAAC": ("IKE", "ZAK"), "JACOB": ("JAKE", "JAKOB"),
    "JAMES": ("JIM", "JIMMY", "JAMIE", "JIMMIE"), "JEFFREY": ("JEFF",), "JEREMY": ("JEZ", "JERRY"),
    "JOHN": ("JACK", "JOHNNY", "JONNY"), "JONATHAN": ("JON", "JONNY", "JONTY"),
    "JOSEPH": ("JOE", "JOEY", "JOS"), "JOSHUA": ("JOSH",), "KENNETH": ("KEN", "KENNY"),
    "LAURENCE": ("LAURIE", "LARRY", "LOL"), "LAWRENCE": ("LAURIE", "LARRY", "LOL"),
    "LEONARD": ("LEN", "LENNY", "LEO"), "LEWIS": ("LOU",), "LOUIS": ("LOU",),
    "MALCOLM": ("MAL",), "MATTHEW": ("MATT", "MATTY"), "MAXIMILIAN": ("MAX",),
    "MAXWELL": ("MAX",), "MICHAEL": ("MIKE", "MICK", "MICKY", "MIKEY", "MICKEY"),
    "NATHAN": ("NATE", "NAT"), "NATHANIEL": ("NAT", "NATE"), "NEVILLE": ("NEV",),
    "NICHOLAS": ("NICK", "NICKY", "NICO"), "NIGEL": ("NIGE",), "OLIVER": ("OLLIE", "OLLY"),
    "PATRICK": ("PAT", "PADDY", "PADDIE"), "PETER": ("PETE",), "PHILIP": ("PHIL", "PIP"),
    "PHILLIP": ("PHIL",), "RAYMOND": ("RAY",), "REGINALD": ("REG", "REGGIE"),
    "RICHARD": ("RICH", "RICK", "RICKY", "DICK", "RICHIE"), "ROBERT": ("BOB", "BOBBY", "ROB", "ROBBIE", "BERT"),
    "RODERICK": ("ROD", "RODDY"), "RODNEY": ("ROD",), "RONALD": ("RON", "RONNIE"),
    "RUSSELL": ("RUSS",), "SAMUEL": ("SAM", "SAMMY"), "SEBASTIAN": ("SEB",),
    "SIDNEY": ("SID",), "SIMON": ("SI",), "STANLEY": ("STAN",), "STEPHEN": ("STEVE", "STEVIE"),
    "STEVEN": ("STEVE", "STEVIE"), "STUART": ("STU",), "STEWART": ("STU",),
    "TERENCE": ("TERRY", "TEL"), "THEODORE": ("THEO", "TED", "TEDDY"),
    "THOMAS": ("TOM", "TOMMY"), "TIMOTHY": ("TIM", "TIMMY"), "TOBIAS": ("TOBY",),
    "VINCENT": ("VINCE", "VINNY"), "WALTER": ("WALT", "WALLY"), "WILFRED": ("WILF",),
    "WILLIAM": ("BILL", "BILLY", "WILL", "WILLIE", "WILLS", "LIAM"), "ZACHARY": ("ZAC", "ZACK", "ZAK"),
    # women's names
    "ABIGAIL": ("ABBY", "ABBIE", "ABI", "GAIL"), "ALEXANDRA": ("ALEX", "ALEXA", "LEXI", "SANDRA", "SANDY"),
    "ALICE": ("ALLIE", "ALI"), "ALISON": ("ALI", "ALLY"), "AMANDA": ("MANDY", "MANDA"),
    "ANGELA": ("ANGIE", "ANGE"), "ANNE": ("ANNIE", "NAN"), "ANN": ("ANNIE", "NAN"),
    "ANTONIA": ("TONI", "TONIA"), "BARBARA": ("BARB", "BABS", "BARBIE"), "BEATRICE": ("BEA", "TRIXIE"),
    "BERNADETTE": ("BERNIE", "DETTE"), "BEVERLEY": ("BEV",), "BRIDGET": ("BIDDY", "BRIDIE"),
    "CAROLINE": ("CARO", "CARRIE", "CAZ"), "CATHERINE": ("CATH", "CATHY", "KATE", "KATIE", "KAT", "CAT"),
    "CHARLOTTE": ("CHARLIE", "LOTTIE", "LOTTE"), "CHRISTINA": ("CHRIS", "TINA", "KIRSTY"),
    "CHRISTINE": ("CHRIS", "CHRISSIE", "TINA"), "CYNTHIA": ("CINDY",), "DANIELLE": ("DANI",),
    "DEBORAH": ("DEBBIE", "DEB", "DEBS"), "DOROTHY": ("DOT", "DOTTIE", "DOLLY"),
    "ELEANOR": ("ELLIE", "NELL", "NELLIE", "NORA"), "ELIZABETH": ("LIZ", "LIZZIE", "BETH", "BETTY", "BESS", "ELSIE", "LIBBY", "ELIZA", "LISA"),
    "EMILY": ("EM", "MILLIE"), "EMMA": ("EM", "EMMIE"), "FLORENCE": ("FLO", "FLOSSIE"),
    "FRANCES": ("FRAN", "FRANNIE"), "GILLIAN": ("GILL", "JILL"), "HARRIET": ("HATTIE", "HARRIE"),
    "HELEN": ("NELL",), "ISABEL": ("IZZY", "BELLA", "ISSY"), "ISABELLA": ("IZZY", "BELLA", "ISSY"),
    "JACQUELINE": ("JACKIE", "JACKY"), "JANET": ("JAN",), "JENNIFER": ("JEN", "JENNY", "JENNI"),
    "JESSICA": ("JESS", "JESSIE"), "JOANNA": ("JO",), "JOANNE": ("JO",), "JOSEPHINE": ("JO", "JOSIE"),
    "JUDITH": ("JUDY", "JUDE"), "KATHERINE": ("KATH", "KATHY", "KATE", "KATIE", "KAT", "KAY"),
    "KATHLEEN": ("KATH", "KATHY", "KAY"), "KIMBERLEY": ("KIM",), "KIMBERLY": ("KIM",),
    "LOUISE": ("LOU", "LULU"), "LUCY": ("LU",), "MARGARET": ("MAGGIE", "MEG", "PEGGY", "MAG", "MADGE", "MAISIE", "MARGE", "PEG"),
    "MARY": ("MOLLY", "POLLY", "MAY"), "MATILDA": ("TILLY", "TILDA", "MATTIE"),
    "MELANIE": ("MEL",), "MELISSA": ("MEL", "MISSY"), "NATALIE": ("NAT", "TALIE"),
    "NICOLA": ("NICKY", "NIKKI", "NIC"), "OLIVIA": ("LIV", "LIVVY", "OLLIE"),
    "PAMELA": ("PAM",), "PATRICIA": ("PAT", "PATSY", "TRISH", "TRICIA", "PATTY"),
    "PENELOPE": ("PENNY",), "PHILIPPA": ("PIPPA", "PIP"), "REBECCA": ("BECKY", "BECCA", "BEX"),
    "ROSEMARY": ("ROSIE", "ROSE"), "SAMANTHA": ("SAM", "SAMMY", "SAMMIE"),
    "SANDRA": ("SANDY", "SAN"), "SARAH": ("SAL", "SALLY", "SADIE"), "SOPHIA": ("SOPHIE",),
    "STEPHANIE": ("STEPH", "STEF"), "SUSAN": ("SUE", "SUSIE", "SUZY"), "SUZANNE": ("SUE", "SUZY"),
    "THERESA": ("TESS", "TERRI", "TESSA"), "TERESA": ("TESS", "TERRI", "TESSA"),
    "VALERIE": ("VAL",), "VERONICA": ("RONNIE", "VERA"), "VICTORIA": ("VICKY", "VICKI", "TORI", "VIC"),
    "WILHELMINA": ("MINA", "WILMA"), "YVONNE": ("VON",),
}


def pairs_built_in() -> list[tuple[str, str]]:
    """(full name, short form) for every short form in :data:`SHORT_FORMS`, sorted."""
    return sorted({(name, short) for name, shorts in SHORT_FORMS.items() for short in shorts})


def built_in_csv() -> str:
    """The built-in list as a ``linkage.nicknames`` CSV (header ``name,short_form``, one pair
    a row, sorted): ``carecase link nicknames`` writes it, as a start for a region's own list
    (which replaces the built-in one, so keep the rows you want and add your own)."""
    return "name,short_form\n" + "".join(f"{name},{short}\n" for name, short in pairs_built_in())


def forms_mapping(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each short form → its forms, itself and every full name it is a short form of, sorted
    and joined by commas (a name not in the mapping has itself as its only form; a normalised
    name has no comma, and, unlike ``|``, a comma is no special character in the regular
    expression Spark's ``split`` takes)."""
    full: dict[str, set[str]] = {}
    for name, short in pairs:
        if name != short:
            full.setdefault(short, {short}).add(name)
    return {short: SEPARATOR.join(sorted(names)) for short, names in sorted(full.items())}


def read_pairs(path: Path) -> list[tuple[str, str]]:
    """A ``linkage.nicknames`` CSV: a header ``name,short_form`` and one pair a row. Names are
    normalised as ingest normalises given names (upper case, accents and punctuation
    removed); a row with either cell blank, or with more than one word in a cell, is refused,
    naming the file, row, column and value."""
    import csv

    import pyarrow as pa

    from carecase.core.errors import ConfigError
    from carecase.ingest.normalise import normalise_name

    with path.open(newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    if not rows or [c.strip().lower() for c in rows[0]] != ["name", "short_form"]:
        got = ",".join(rows[0]) if rows else "(empty file)"
        raise ConfigError(f"{path}: row 1: the header is {got!r}; write the header name,short_form "
                          "and one full name and one of its short forms a row.")
    out: list[tuple[str, str]] = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != 2:
            raise ConfigError(f"{path}: row {number}: {len(row)} cells, {','.join(row)!r}; "
                              "write two: a full name and one of its short forms.")
        values = normalise_name(pa.array(row, pa.string())).to_pylist()
        for column, raw, value in zip(("name", "short_form"), row, values, strict=True):
            if value is None or " " in value:
                why = "is blank" if value is None else "has more than one word"
                raise ConfigError(f"{path}: row {number}, column {column}: {raw!r} {why}; "
                                  "give one given name a cell.")
        out.append((values[0], values[1]))
    return sorted(set(out))


def forms_for(path: Path | None) -> Mapping[str, str]:
    """The forms mapping of ``linkage.nicknames`` (a CSV), or of the built-in list when None."""
    return forms_mapping(pairs_built_in() if path is None else read_pairs(path))


def first_given(name: ir.StringValue) -> ir.StringValue:
    """The first word of a normalised given name (ingest leaves one space between words)."""
    return name.split(" ")[0]


def forms_of(first: ir.StringValue, forms: Mapping[str, str]) -> ir.ArrayValue:
    """The forms of each first given name (:func:`forms_mapping`) as an array: itself and
    every full name it is a short form of; null where the name is. An Ibis expression, the
    same on DuckDB and Spark."""
    import ibis

    named = first.substitute(dict(forms), else_=first) if forms else first
    return ibis.ifelse(first.isnull(), ibis.null("array<string>"), named.split(SEPARATOR))


def related_pairs(forms: Mapping[str, str]) -> frozenset[str]:
    """Every ordered pair of different first given names whose forms share a name, as
    ``"A,B"``: a short form and its full name (BILL,WILLIAM and WILLIAM,BILL) and two short
    forms of one name (BILLY,WILL)."""
    members: dict[str, set[str]] = {}
    for short, joined in forms.items():
        for name in joined.split(SEPARATOR):
            members.setdefault(name, {name}).add(short)
    return frozenset(f"{a}{SEPARATOR}{b}" for group in members.values() for a in group for b in group
                     if a != b)


def short_form_of(a: ir.StringValue, b: ir.StringValue, forms: Mapping[str, str]) -> ir.BooleanValue:
    """Whether the first given names of ``a`` and ``b`` differ but one is a short form of the
    other, or both are of one name (their forms share a name): the model's level "one given
    name a short form of the other" (link.model), as an expression that is the same on DuckDB
    and Spark (a list of the related pairs, :func:`related_pairs`, where the model compares
    arrays: Ibis writes an array intersection for DuckDB with a lambda syntax DuckDB 1.5
    refuses)."""
    import ibis

    pairs = sorted(related_pairs(forms))
    if not pairs:
        return ibis.literal(False)
    return (first_given(a) + SEPARATOR + first_given(b)).isin(pairs)
