"""The probabilistic (Fellegi–Sunter) linkage model, built with Splink 5.

Comparisons:
- given name and family name: exact, the two names swapped (given = the other's family
  and family = the other's given), Jaro–Winkler ≥ 0.92, ≥ 0.80, else — with term-frequency
  adjustments on exact agreement (a match on SMITH is weaker evidence than on a rare name);
  the given name also has a level for a short form (BILL and WILLIAM: link.nicknames) after
  Jaro–Winkler ≥ 0.92.
  The swap is weighed once, in the given-name comparison; the family-name comparison's swap
  level has m = u (see :func:`_name_comparison`);
- date of birth: exact, day and month swapped (US-style keying), one of day/month/year
  differs, else;
- postcode: exact, same sector ('AB1 2'), same district ('AB1'), else (people move within
  an area);
- sex: exact, else.

Missing values are Splink's null level (no evidence either way).

Blocking rules (the candidate pairs scored) are chosen for recall: any one of exact date of
birth; family name + birth year; postcode; given-name and family-name first two letters +
birth year; given + family name. A true match is missed only if it disagrees on all five.

Training: the prior (λ) from the exact given + family + date-of-birth rule with its assumed
recall; u by seeded random sampling; m by expectation maximisation on the date-of-birth and
postcode blocks (each comparison is estimated in at least one of them).

A level that no true match in a training block shows (common in a small area: every matched
pair there agrees at least partly on given name) has a maximum-likelihood m of exactly 0,
which Splink 5 refuses; a level no pair of its training block falls in at all (no true
match in the synthetic area has a date of birth with one part wrong) is left untrained, and
Splink then scores it with m = 1e-6. Either level's m is fixed at the Jeffreys estimate of a
proportion seen 0 times in n trials, 0.5 / (n + 1), with n the number of candidate profiles
(the most true matches the training can hold), and the model is trained again; the fixed
levels are listed in the linkage summary. That estimate is also the floor of every m: EM
more often drives a level close to 0 than to exactly 0 (the demo area's sex and date of
birth else levels: m = 7.6e-36 and 9.9e-71), which weighed one disagreeing field 50 to 230
bits against a match, so that a pair identical but for sex M against F was split and not
even offered for review. A level EM leaves below the floor is fixed at it in the same way
and the model trained again (:func:`below_floor`; its trained m is kept in
``carecase_fixed_m`` as ``trained_m``). Likewise a level no pair of the random sample for
u falls in (given and family name swapped: two random people almost never have each other's
names) has its u fixed at ½ / (N + 1), N the pairs sampled (``max_pairs_u``, or every pair
when there are fewer: :func:`pairs_sampled`), rather than
Splink's default u, which is not estimated from the data (``carecase_fixed_u`` in the model).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from carecase.core.engine import Engine
from carecase.core.errors import LinkError, UnsupportedOnEngine

#: The comparison columns each side must carry (see ``profiles.comparison_columns``).
MODEL_COLUMNS = (
    "unique_id", "given_name", "family_name", "given_prefix", "family_prefix", "given_first",
    "given_forms", "dob",
    "dob_year", "dob_month", "dob_day", "sex", "postcode", "postcode_sector",
    "postcode_district",
)
COMPARISONS = ("given_name", "family_name", "dob", "postcode", "sex")
SPLINK_LOG_LEVEL = logging.ERROR
PAIRS_TABLE = "_link_scored_pairs"
#: the samples of reference and candidate profiles whose pairs estimate u (u_sample)
U_SAMPLE_TABLES = ("_link_u_reference", "_link_u_candidates")


@contextmanager
def one_thread(engine: Engine) -> Iterator[None]:
    """DuckDB runs on one thread inside the block, then as before.

    Expectation maximisation sums match probabilities (floats) over the comparison vectors;
    on several threads the order of those additions, and so the last bits of every trained m
    probability and match weight, change from run to run. On one thread the same inputs give
    the same model and the same output files (Spark: unchanged, see docs/engines.md)."""
    if engine.name != "duckdb":
        yield
        return
    raw = engine.con.con
    row = raw.execute("SELECT current_setting('threads')").fetchone()
    before = int(row[0]) if row else 1
    raw.execute("SET threads = 1")
    try:
        yield
    finally:
        raw.execute(f"SET threads = {before}")


def splink_db_api(engine: Engine) -> Any:
    """The Splink database API for the project's engine (DuckDB or Spark); fails loudly on
    any other engine. Splink works inside the project's own connection/session."""
    if engine.name == "duckdb":
        from splink.backends.duckdb import DuckDBAPI

        raw = getattr(engine.con, "con", None)
        if raw is None:
            raise LinkError("The DuckDB engine exposes no raw connection (engine.con.con).")
        return DuckDBAPI(connection=raw)
    if engine.name == "spark":
        from splink.backends.spark import SparkAPI, similarity_jar_location

        session = engine._spark
        if session is None:
            raise LinkError("The Spark engine has no session; open the project again.")
        # Splink's string-similarity UDFs (jaro_winkler) live in a jar shipped with Splink.
        session.sql(f"ADD JAR '{similarity_jar_location()}'")
        # Splink breaks long query lineages with checkpoints; they live as long as the session.
        if session.sparkContext.getCheckpointDir() is None:
            from carecase.core.engine import spark_scratch

            session.sparkContext.setCheckpointDir(str(spark_scratch() / "splink-checkpoints"))
        return SparkAPI(spark_session=session)
    raise UnsupportedOnEngine(
        f"Probabilistic linkage is not available on engine '{engine.name}'; "
        "use engine.backend: duckdb or spark."
    )


def _dob_comparison() -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    same = {f: f"dob_{f}_l = dob_{f}_r" for f in ("year", "month", "day")}
    one_differs = " OR ".join(
        f"({a} AND {b})" for a, b in
        ((same["year"], same["month"]), (same["year"], same["day"]), (same["month"], same["day"]))
    )
    return cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob"),
            cll.CustomLevel(
                "dob_year_l = dob_year_r AND dob_month_l = dob_day_r AND dob_day_l = dob_month_r",
                "day and month swapped",
            ),
            cll.CustomLevel(one_differs, "one of day, month, year differs"),
            cll.ElseLevel(),
        ],
    )


#: m = u of the family-name comparison's swap level: a Bayes factor of 1 (any equal pair would do).
SWAP_NEUTRAL = 1e-4
SWAPPED = "given_name and family_name swapped"
#: the given-name level for a short form (BILL and WILLIAM; link.nicknames)
SHORT_FORM = "one given name a short form of the other"


def _name_comparison(column: str, *, weighs_swap: bool) -> Any:
    """Jaro–Winkler levels on ``column`` (exact, term-frequency adjusted; ≥ 0.92; ≥ 0.80),
    with a level for given and family name swapped (each equal to the other's other name:
    Splink's ColumnsReversedLevel, as in its ForenameSurnameComparison) after the exact one,
    and for the given name a level after Jaro–Winkler ≥ 0.92 for a short form (the first
    given names differ, but one is a short form of the other or both are of one name: their
    ``given_forms`` intersect; link.nicknames).
    The swap is one observation seen by both name comparisons, so it is weighed once: trained
    in the given-name comparison (``weighs_swap``), and in the family-name one fixed at
    m = u (Bayes factor 1) so that a swapped pair is not also scored as a family name that
    disagrees."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    swapped: Any = cll.ColumnsReversedLevel("given_name", "family_name", symmetrical=True)
    if weighs_swap:
        swapped = swapped.configure(label_for_charts=SWAPPED)
    else:
        swapped = swapped.configure(label_for_charts=f"{SWAPPED} (weighed in given_name)",
                                    m_probability=SWAP_NEUTRAL, u_probability=SWAP_NEUTRAL,
                                    fix_m_probability=True, fix_u_probability=True)
    short_form: list[Any] = []
    if column == "given_name":  # first given names differ, but their forms share a full name
        short_form = [cll.And(cll.ArrayIntersectLevel("given_forms", 1),
                              cll.Not(cll.ExactMatchLevel("given_first")))
                      .configure(label_for_charts=SHORT_FORM)]
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column).configure(tf_adjustment_column=column),
            swapped,
            cll.JaroWinklerLevel(column, 0.92),
            *short_form,
            cll.JaroWinklerLevel(column, 0.8),
            cll.ElseLevel(),
        ],
    )


def _postcode_comparison() -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="postcode",
        comparison_levels=[
            cll.NullLevel("postcode"),
            cll.ExactMatchLevel("postcode"),
            cll.CustomLevel("postcode_sector_l = postcode_sector_r", "same sector"),
            cll.CustomLevel("postcode_district_l = postcode_district_r", "same district"),
            cll.ElseLevel(),
        ],
    )


def settings() -> Any:
    """The Splink settings (link-only: candidates against NHS-identified profiles); see
    :func:`settings_dict` for the form training uses."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=[
            _name_comparison("given_name", weighs_swap=True),
            _name_comparison("family_name", weighs_swap=False),
            _dob_comparison(),
            _postcode_comparison(),
            cl.ExactMatch("sex"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("dob"),
            block_on("family_name", "dob_year"),
            block_on("postcode"),
            block_on("given_prefix", "family_prefix", "dob_year"),
            block_on("given_name", "family_name"),
        ],
        retain_matching_columns=True,  # keeps gamma_* (agreement levels) for review
        retain_intermediate_calculation_columns=False,
    )


def settings_dict(dialect: str, fixed_m: Mapping[tuple[str, str], float]) -> dict[str, Any]:
    """:func:`settings` as a Splink settings dictionary, with the m probability of each level
    named in ``fixed_m`` ((comparison, level label) → m) fixed during training."""
    return with_m(settings().create_settings_dict(dialect), fixed_m)


def with_m(spec: dict[str, Any], fixed_m: Mapping[tuple[str, str], float]) -> dict[str, Any]:
    """``spec`` (a Splink settings or model dictionary, changed in place) with the m
    probability of each level named in ``fixed_m`` set and fixed."""
    return _with_fixed(spec, fixed_m, "m")


def with_u(spec: dict[str, Any], fixed_u: Mapping[tuple[str, str], float]) -> dict[str, Any]:
    """``spec`` (changed in place) with the u probability of each level in ``fixed_u`` set
    and fixed."""
    return _with_fixed(spec, fixed_u, "u")


def with_u_values(spec: dict[str, Any], u: Mapping[tuple[str, str], float]) -> dict[str, Any]:
    """``spec`` (changed in place) with the u probability of each level in ``u`` set, not
    marked fixed (EM keeps every u as it is: ``fix_u_probabilities`` is Splink's default;
    "fixed" in the model means set at the Jeffreys estimate, ``with_u``)."""
    return _with_fixed(spec, u, "u", fix=False)


def _with_fixed(spec: dict[str, Any], values: Mapping[tuple[str, str], float], which: str,
                fix: bool = True) -> dict[str, Any]:
    for comparison in spec["comparisons"]:
        for level in comparison["comparison_levels"]:
            key = (comparison["output_column_name"], level["label_for_charts"])
            if key in values:
                level[f"{which}_probability"] = values[key]
                if fix:
                    level[f"fix_{which}_probability"] = True
    return spec


def zero_m_level(err: BaseException) -> tuple[str, str] | None:
    """(comparison, level label) of the level whose m probability expectation maximisation
    set to 0 (Splink 5 raises ValueError in the m setter), read from the traceback's
    ``populate_m_u_from_lookup`` frame; None when ``err`` is anything else."""
    if not isinstance(err, ValueError) or "m_probability" not in str(err):
        return None
    tb = err.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_name == "populate_m_u_from_lookup":
            level = frame.f_locals.get("cl")
            column = frame.f_locals.get("output_column_name")
            if level is not None and isinstance(column, str):
                return column, str(level.label_for_charts)
        tb = tb.tb_next
    return None


def unobserved_levels(model: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(comparison, level label) of each non-null level that no pair of its training block
    fell in, so that EM left its m untrained (Splink then scores it with m = 1e-6: a date of
    birth with one part different weighed almost as heavily against a match as one wholly
    different)."""
    return [
        (str(c.get("output_column_name")), str(lv.get("label_for_charts")))
        for c in model.get("comparisons", [])
        for lv in c.get("comparison_levels", [])
        if not lv.get("is_null_level") and lv.get("m_probability") is None
    ]


def unobserved_u_levels(model: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(comparison, level label) of each non-null level that no pair of the random sample
    fell in, so that its u was left unestimated (Splink would then score it with a default u
    of its own, not one estimated from the data): a rare level such as given and family name
    swapped."""
    return [
        (str(c.get("output_column_name")), str(lv.get("label_for_charts")))
        for c in model.get("comparisons", [])
        for lv in c.get("comparison_levels", [])
        if not lv.get("is_null_level") and lv.get("u_probability") is None
    ]



#: Splink splits the pairs that estimate u into chunks (10 by default, after a probe chunk of
#: 1/100 of them) only so that it can stop early, once every level has been seen
#: ``min_count_per_level`` times. carecase counts every pair (``min_count_per_level=None``), so
#: the chunks only repeated the work: the probe's counts are thrown away, and each chunk is one
#: more query over the whole sample (11 per comparison, 55 in all; on Spark about 0.85 s each,
#: 46 of the 150-person parity test's 154 s of linkage). The counts are whole numbers added up,
#: so one pass gives the same u on either engine.
U_CHUNKS = 1


def u_sample_rows(max_pairs_u: float, n_reference: int, n_candidates: int) -> tuple[int, int]:
    """The reference and candidate profiles whose every pair estimates u: all of them where
    their pairs fit in ``max_pairs_u``; else the same share p of each table (Splink's rule,
    p² × pairs = ``max_pairs_u``), rounded down so that the pairs never exceed it."""
    if n_reference * n_candidates <= max_pairs_u:
        return n_reference, n_candidates
    p = math.sqrt(max_pairs_u / (n_reference * n_candidates))
    cand = max(1, math.floor(p * n_candidates))
    ref = max(1, min(n_reference, math.floor(p * n_reference), math.floor(max_pairs_u / cand)))
    return ref, max(1, min(cand, math.floor(max_pairs_u / ref)))


def pairs_sampled(max_pairs_u: float, n_reference: int, n_candidates: int) -> int:
    """The pairs the random sample for u compares (:func:`u_sample_rows`): about
    ``max_pairs_u``, or every reference × candidate pair when there are fewer."""
    ref, cand = u_sample_rows(max_pairs_u, n_reference, n_candidates)
    return ref * cand


def u_sample(engine: Engine, table: str, rows: int, seed: int, name: str) -> str:
    """Store as ``name`` the ``rows`` profiles of ``table`` whose MD5 of ``unique_id`` and
    the seed comes first: a seeded random sample (the IDs are not random, their digests are)
    that is the same on every engine, where Splink's own sample uses each engine's ``hash()``."""
    t = engine.table(table)
    key = (t.unique_id.cast("string") + f"_{seed}").hexdigest("md5")
    chosen = t.mutate(_u_key=key).order_by(["_u_key", "unique_id"]).limit(rows).drop("_u_key")
    engine.write(name, chosen.order_by("unique_id"))
    return name


def sampled_u(engine: Engine, db: Any, reference_table: str, candidate_table: str,
              rows: tuple[int, int], seed: int) -> dict[tuple[str, str], float]:
    """u per (comparison, level label) counted over every pair of the two samples
    (:func:`u_sample`); a level no pair falls in is left out (``unobserved_u_levels``)."""
    names = (u_sample(engine, reference_table, rows[0], seed, U_SAMPLE_TABLES[0]),
             u_sample(engine, candidate_table, rows[1], seed, U_SAMPLE_TABLES[1]))
    ref = db.register(names[0], dataset_display_name="u_reference")
    cand = db.register(names[1], dataset_display_name="u_candidates")
    linker = quiet_linker([ref, cand], settings_dict(db.sql_dialect.sql_dialect_str, {}))
    # max_pairs = the samples' pairs: Splink's proportion is then 1, so it samples no further
    linker.training.estimate_u_using_random_sampling(
        max_pairs=float(rows[0] * rows[1]), seed=seed, min_count_per_level=None, num_chunks=U_CHUNKS)
    model = linker.misc.save_model_to_json(out_path=None)
    linker.table_management.delete_tables_created_by_splink_from_db()
    for name in names:
        engine.drop(name)
    return {
        (str(c["output_column_name"]), str(lv["label_for_charts"])): float(lv["u_probability"])
        for c in model["comparisons"] for lv in c["comparison_levels"]
        if not lv.get("is_null_level") and lv.get("u_probability") is not None
    }


def below_floor(model: Mapping[str, Any], floor: float) -> dict[tuple[str, str], float]:
    """(comparison, level label) → m of each non-null level whose m training left below
    ``floor`` (the Jeffreys estimate for none of n, :func:`jeffreys_zero`) and that is not
    fixed: EM drives a level few true matches show towards 0 without reaching it (1e-20,
    1e-71), and such an m vetoes a match on that field's disagreement alone. A level with no
    m (untrained: :func:`unobserved_levels`) or a fixed one (the family name's swap level,
    m = u by design) is left out."""
    return {
        (str(c.get("output_column_name")), str(lv.get("label_for_charts"))): float(lv["m_probability"])
        for c in model.get("comparisons", [])
        for lv in c.get("comparison_levels", [])
        if not lv.get("is_null_level") and not lv.get("fix_m_probability")
        and lv.get("m_probability") is not None and float(lv["m_probability"]) < floor
    }


def jeffreys_zero(n: int) -> float:
    """Posterior mean of a proportion seen 0 times in ``n`` trials under the Jeffreys prior
    Beta(½, ½): (0 + ½) / (n + 1)."""
    return 0.5 / (max(n, 0) + 1)


def _untrainable(err: Exception) -> LinkError:
    return LinkError(
        f"The probabilistic model could not be trained ({type(err).__name__}). There may "
        "be too few records without an NHS number, or too few sharing a date of birth "
        "or postcode with the population (a population register whose rows were mostly quarantined "
        "leaves almost nothing to compare with: see the ingest warnings and out/ingest/quarantine.csv)."
    )


def _train(linker: Any, *, seed: int, max_pairs_u: float, deterministic_recall: float,
           engine: Engine, u_known: bool = False) -> None:
    from splink import block_on

    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_on("given_name", "family_name", "dob")], recall=deterministic_recall
    )
    # Every pair of the sample, not only chunks until each level is seen 100 times (Splink's
    # default): the chunks are chosen by the engine's own hash(), so u differed between DuckDB
    # and Spark even where every pair fits in max_pairs_u, and rested on ~1% of the pairs.
    # Where they do not fit, u comes from our own sample (sampled_u) and is fixed in the settings.
    # In one pass either way (U_CHUNKS).
    if not u_known:
        training.estimate_u_using_random_sampling(max_pairs=max_pairs_u, seed=seed, min_count_per_level=None,
                                                  num_chunks=U_CHUNKS)
    with one_thread(engine):
        training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
        training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))


def quiet_linker(tables: Any, spec: dict[str, Any]) -> Any:
    """A Splink linker on the registered table(s) ``tables`` (a list of two to link, one to
    dedupe), with Splink's logging kept quiet."""
    from splink import Linker

    linker = Linker(tables, spec, log_level=SPLINK_LOG_LEVEL)
    for name in ("splink", "py4j"):  # Linker() re-enables logging at the level given
        logging.getLogger(name).setLevel(SPLINK_LOG_LEVEL)
    return linker


def _trained_linker(engine: Engine, db: Any, ref: Any, cand: Any,
                    fixed_m: dict[tuple[str, str], float], n_candidates: int, *, seed: int,
                    max_pairs_u: float, deterministic_recall: float,
                    known_u: Mapping[tuple[str, str], float] | None = None,
                    trained_m: dict[tuple[str, str], float] | None = None) -> Any:
    """A trained Splink linker; each level EM drives to m = 0, or below that floor
    (:func:`below_floor`), is added to ``fixed_m`` at the Jeffreys estimate and the model
    trained again (each pass fixes at least one more level, so it ends); ``trained_m`` gets
    the m EM gave each (0 for a level at exactly 0). ``known_u``: u already estimated
    (:func:`sampled_u`), fixed instead of estimated here."""
    floor = jeffreys_zero(n_candidates)
    trained = {} if trained_m is None else trained_m
    while True:
        spec = settings_dict(db.sql_dialect.sql_dialect_str, fixed_m)
        linker = quiet_linker([ref, cand], spec if known_u is None else with_u_values(spec, known_u))
        try:
            _train(linker, seed=seed, max_pairs_u=max_pairs_u,
                   deterministic_recall=deterministic_recall, engine=engine,
                   u_known=known_u is not None)
        except (LinkError, ImportError):
            raise
        except Exception as err:  # Splink raises plain exceptions for untrainable data
            level = zero_m_level(err)  # the next Linker reuses this one's cached tables
            if level is None or level in fixed_m:
                raise _untrainable(err) from err  # the cause is shown only with --debug
            fixed_m[level] = floor
            trained[level] = 0.0
            continue
        low = below_floor(linker.misc.save_model_to_json(out_path=None), floor)
        if not low:
            return linker
        for level, m in low.items():  # fixed levels are never below the floor: each is new
            fixed_m[level] = floor
            trained[level] = m


def train_and_predict(
    engine: Engine,
    reference_table: str,
    candidate_table: str,
    *,
    n_reference: int,
    n_candidates: int,
    seed: int,
    max_pairs_u: float,
    deterministic_recall: float,
    threshold: float,
) -> tuple[str, dict[str, Any]]:
    """Train the model on the two stored tables and score candidate pairs at or above
    ``threshold``. ``n_reference``, ``n_candidates``: the rows of the two tables. Returns the name of the
    stored table of scored pairs (unique_id_l, unique_id_r, match_weight, match_probability,
    gamma_<comparison>) and the trained model as JSON (m and u per level, λ). Splink's
    working tables are deleted afterwards."""
    for name in ("splink", "py4j"):
        logging.getLogger(name).setLevel(SPLINK_LOG_LEVEL)
    db = splink_db_api(engine)
    fixed_m: dict[tuple[str, str], float] = {}
    rows = u_sample_rows(max_pairs_u, n_reference, n_candidates)
    # every pair, or our own sample's pairs: Splink's sample would differ by engine
    known_u = (None if rows == (n_reference, n_candidates)
               else sampled_u(engine, db, reference_table, candidate_table, rows, seed))
    ref = db.register(reference_table, dataset_display_name="reference")
    cand = db.register(candidate_table, dataset_display_name="candidates")
    trained_m: dict[tuple[str, str], float] = {}
    linker = _trained_linker(engine, db, ref, cand, fixed_m, n_candidates, seed=seed,
                             max_pairs_u=max_pairs_u, deterministic_recall=deterministic_recall,
                             known_u=known_u, trained_m=trained_m)
    trained = linker.misc.save_model_to_json(out_path=None)
    unseen = unobserved_levels(trained)
    # u of a level no sampled pair fell in: the Jeffreys estimate for none of the pairs sampled
    sampled = rows[0] * rows[1]
    fixed_u = {level: jeffreys_zero(sampled) for level in unobserved_u_levels(trained)}
    if unseen or fixed_u:  # no pair fell in them, so EM is the same without them: no retraining
        for level in unseen:
            fixed_m[level] = jeffreys_zero(n_candidates)
        linker = quiet_linker([ref, cand], with_u(with_m(trained, fixed_m), fixed_u))
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    model = linker.misc.save_model_to_json(out_path=None)
    # trained_m: EM's m of a level fixed for falling below the floor (0: exactly 0; None:
    # no pair of its training block fell in it)
    model["carecase_fixed_m"] = [
        {"comparison": c, "level": label, "m": m, "candidate_profiles": n_candidates,
         "trained_m": trained_m.get((c, label))}
        for (c, label), m in sorted(fixed_m.items())
    ]
    model["carecase_u_sample"] = {
        "reference_profiles": rows[0], "candidate_profiles": rows[1], "pairs": sampled,
        "rule": "every pair" if known_u is None
        else f"the profiles first by md5(unique_id || '_{seed}'): the same on every engine",
    }
    model["carecase_fixed_u"] = [
        {"comparison": c, "level": label, "u": u, "pairs_sampled": sampled}
        for (c, label), u in sorted(fixed_u.items())
    ]
    scored = engine.con.table(predictions.physical_name)
    keep = ["source_dataset_l", "source_dataset_r", "unique_id_l", "unique_id_r"]
    keep += ["match_weight", "match_probability"]
    keep += [f"gamma_{c}" for c in COMPARISONS]
    engine.write(PAIRS_TABLE, scored.select(*keep))
    linker.table_management.delete_tables_created_by_splink_from_db()
    if engine.name == "duckdb":  # a view Splink's blocking analysis registers and leaves
        try:
            db.duckdb_con.unregister("result_df")
        except Exception:  # noqa: BLE001 - absent in other Splink versions
            pass
    return PAIRS_TABLE, model
