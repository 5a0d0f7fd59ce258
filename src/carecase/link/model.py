"""The probabilistic (Fellegi–Sunter) linkage model, built with Splink 5.

Comparisons:
- given name and family name: exact, Jaro–Winkler ≥ 0.92, ≥ 0.80, else — with
  term-frequency adjustments on exact agreement (a match on SMITH is weaker evidence than on
  a rare name);
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
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from carecase.core.engine import Engine
from carecase.core.errors import LinkError, UnsupportedOnEngine

#: The comparison columns each side must carry (see ``profiles.comparison_columns``).
MODEL_COLUMNS = (
    "unique_id", "given_name", "family_name", "given_prefix", "family_prefix", "dob",
    "dob_year", "dob_month", "dob_day", "sex", "postcode", "postcode_sector",
    "postcode_district",
)
COMPARISONS = ("given_name", "family_name", "dob", "postcode", "sex")
SPLINK_LOG_LEVEL = logging.ERROR
PAIRS_TABLE = "_link_scored_pairs"


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
        # Splink breaks long query lineages with checkpoints; keep them in the engine's workdir.
        if session.sparkContext.getCheckpointDir() is None:
            session.sparkContext.setCheckpointDir(str(engine.workdir / "splink-checkpoints"))
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
    """The Splink settings (link-only: candidates against NHS-identified profiles)."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.JaroWinklerAtThresholds("given_name", [0.92, 0.8]).configure(
                term_frequency_adjustments=True
            ),
            cl.JaroWinklerAtThresholds("family_name", [0.92, 0.8]).configure(
                term_frequency_adjustments=True
            ),
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


def train_and_predict(
    engine: Engine,
    reference_table: str,
    candidate_table: str,
    *,
    seed: int,
    max_pairs_u: float,
    deterministic_recall: float,
    threshold: float,
) -> tuple[str, dict[str, Any]]:
    """Train the model on the two stored tables and score candidate pairs at or above
    ``threshold``. Returns the name of the stored table of scored pairs (unique_id_l,
    unique_id_r, match_weight, match_probability, gamma_<comparison>) and the trained model
    as JSON (m and u per level, λ). Splink's working tables are deleted afterwards."""
    from splink import Linker, block_on

    for name in ("splink", "py4j"):
        logging.getLogger(name).setLevel(SPLINK_LOG_LEVEL)
    db = splink_db_api(engine)
    ref = db.register(reference_table, dataset_display_name="reference")
    cand = db.register(candidate_table, dataset_display_name="candidates")
    linker = Linker([ref, cand], settings(), log_level=SPLINK_LOG_LEVEL)
    for name in ("splink", "py4j"):  # Linker() re-enables logging at the level it is given
        logging.getLogger(name).setLevel(SPLINK_LOG_LEVEL)
    training = linker.training
    try:
        training.estimate_probability_two_random_records_match(
            [block_on("given_name", "family_name", "dob")], recall=deterministic_recall
        )
        training.estimate_u_using_random_sampling(max_pairs=max_pairs_u, seed=seed)
        with one_thread(engine):
            training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
            training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
    except LinkError:
        raise
    except ImportError:
        raise
    except Exception as err:  # Splink raises plain exceptions for untrainable data
        raise LinkError(
            f"The probabilistic model could not be trained ({type(err).__name__}). There may "
            "be too few records without an NHS number, or too few sharing a date of birth "
            "or postcode with the population. Check the linkage inputs."
        ) from err  # the cause is shown only with --debug
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    model = linker.misc.save_model_to_json(out_path=None)
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
