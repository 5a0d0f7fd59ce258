"""The nearest correlation matrix (Higham 2002) and the repair of an evaluation-derived
correlation matrix that is not positive semi-definite."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from carecase.cba import from_evaluation
from carecase.cba.correlation import Nearest, is_psd, nearest_correlation, smallest_eigenvalue
from carecase.cba.from_evaluation import (
    Z95,
    evaluation_correlation,
    evaluation_outcomes,
    usable_correlation,
)
from carecase.cba.load import model_from_dict
from carecase.core.errors import CBAError

from .helpers import simple_model

TRIDIAG4 = np.array([[2, -1, 0, 0], [-1, 2, -1, 0], [0, -1, 2, -1], [0, 0, -1, 2]], float)
# Higham (2002), IMA J. Numer. Anal. 22:329–343, the 4 × 4 tridiag(−1, 2, −1) example; the
# same answer is NAG's documented example for g02aa (nearest correlation matrix)
TRIDIAG4_NEAREST = np.array([
    [1.0, -0.8084125, 0.1915875, 0.10677505],
    [-0.8084125, 1.0, -0.65623269, 0.1915875],
    [0.1915875, -0.65623269, 1.0, -0.8084125],
    [0.10677505, 0.1915875, -0.8084125, 1.0]])

# effects.json's post_0_12 cost_correlation of the 90-person demo (seed 11): six services'
# bootstrap correlations from 5 matched sets, singular and, rounded to six decimals,
# indefinite (smallest eigenvalue −2.9e−7)
DEGENERATE = [
    [1.0, -0.715818, -0.45584, -0.640435, -0.45584, 0.999991],
    [-0.715818, 1.0, -0.295213, -0.068261, -0.295213, -0.713835],
    [-0.45584, -0.295213, 1.0, 0.963305, 1.0, -0.458369],
    [-0.640435, -0.068261, 0.963305, 1.0, 0.963305, -0.642587],
    [-0.45584, -0.295213, 1.0, 0.963305, 1.0, -0.458369],
    [0.999991, -0.713835, -0.458369, -0.642587, -0.458369, 1.0]]
SERVICES = ["AE_ATTEND", "AMBULANCE", "EL_ADMIT", "GP_APPT", "MH_INPATIENT", "NEL_ADMIT"]


def _is_correlation(x: np.ndarray) -> bool:
    return bool(np.allclose(x, x.T, atol=0) and np.all(np.diag(x) == 1.0) and np.all(np.abs(x) <= 1)
                and is_psd(x))


def test_higham_2002_known_answer() -> None:
    got = nearest_correlation(TRIDIAG4)
    assert got.converged
    np.testing.assert_allclose(got.matrix, TRIDIAG4_NEAREST, atol=5e-8)
    assert _is_correlation(got.matrix)


def _random_correlations(k: int, n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [np.corrcoef(rng.standard_normal((k + 2, k)) @ rng.standard_normal((k, k)), rowvar=False)
            for _ in range(n)]


@pytest.mark.parametrize("a", [TRIDIAG4, np.array([[2, -1, 0], [-1, 2, -1], [0, -1, 2]], float)],
                         ids=["4x4", "3x3"])
def test_the_result_is_the_projection_onto_the_correlation_matrices(a: np.ndarray) -> None:
    """The correlation matrices are a closed convex set, so X is the nearest one to A (in the
    Frobenius norm) exactly when ⟨A − X, C − X⟩ ≤ 0 for every correlation matrix C; checked
    for 2,000 random ones, which are also all farther from A. For the 3 × 3 tridiag(−1, 2, −1)
    no published answer is quoted here: this and the defining properties are its test."""
    x = nearest_correlation(a).matrix
    assert _is_correlation(x)
    for c in _random_correlations(len(a), 2000, seed=len(a)):
        assert float(np.sum((a - x) * (c - x))) <= 1e-9
        assert np.linalg.norm(a - x) <= np.linalg.norm(a - c) + 1e-12
    np.testing.assert_allclose(x, x[::-1, ::-1], atol=1e-10)  # A's persymmetry is kept


@pytest.mark.parametrize("seed", range(5))
def test_a_correlation_matrix_is_its_own_nearest(seed: int) -> None:
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((40, 5)) @ rng.standard_normal((5, 5))
    c = np.corrcoef(z, rowvar=False)
    got = nearest_correlation(c)
    assert got.converged and got.iterations <= 2
    np.testing.assert_allclose(got.matrix, c, atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_any_symmetric_matrix_gives_a_correlation_matrix(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = rng.uniform(-1, 1, (6, 6))
    m = (m + m.T) / 2
    np.fill_diagonal(m, 1.0)
    got = nearest_correlation(m)
    assert got.converged and _is_correlation(got.matrix)
    assert np.array_equal(nearest_correlation(m).matrix, got.matrix)  # deterministic


def test_the_degenerate_demo_matrix_is_repaired_with_a_note() -> None:
    m = np.asarray(DEGENERATE)
    assert smallest_eigenvalue(m) < -1e-8  # refused as it stands
    usable, note = usable_correlation(m, "window post_0_12", matched_sets=5)
    assert _is_correlation(usable)
    assert np.abs(usable - m).max() < 1e-5  # rounding noise, not a different matrix
    assert note is not None and "window post_0_12" in note and "5 matched sets" in note
    assert "nearest correlation matrix (Higham 2002)" in note and "not positive semi-definite" in note


def test_a_valid_matrix_is_kept_without_a_note() -> None:
    m = np.array([[1.0, 0.6], [0.6, 1.0]])
    usable, note = usable_correlation(m, "window 0-11")
    assert note is None and usable is m


def test_independence_when_the_nearest_matrix_does_not_converge(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(from_evaluation, "nearest_correlation",
                        lambda a: Nearest(np.asarray(a), 10_000, False))
    usable, note = usable_correlation(np.asarray(DEGENERATE), "window post_0_12")
    np.testing.assert_array_equal(usable, np.eye(6))
    assert note is not None and "did not converge" in note and "drawn independently" in note


def _degenerate_effects() -> dict:
    services = {c: {"effect_gbp": -100.0 - 10 * i, "ci_low_gbp": -100.0 - 10 * i - Z95 * 50,
                    "ci_high_gbp": -100.0 - 10 * i + Z95 * 50} for i, c in enumerate(SERVICES)}
    return {"n_matched_sets": 5, "windows": {"post_0_12": {
        "services": services, "cost_correlation": {"services": SERVICES, "matrix": DEGENERATE}}}}


def test_an_evaluated_degenerate_matrix_no_longer_stops_the_model() -> None:
    """Regression (the 90-person demo, seed 11): the evaluated matrix used to be passed on as
    it was and the model refused it ('correlations[0].matrix … not positive semi-definite')."""
    effects = _degenerate_effects()
    outs, window, codes = evaluation_outcomes(effects, cohort="c")
    d = simple_model()
    d["outcomes"] = d["outcomes"] + outs
    notes: list[str] = []
    group = evaluation_correlation(effects, window, codes, first_index=1, notes=notes)
    assert group is not None and len(notes) == 1 and "Higham 2002" in group["source"]
    model = model_from_dict({**d, "correlations": [group]})
    assert len(model.correlations) == 1
    with pytest.raises(CBAError, match="not positive semi-definite"):  # as it was before
        model_from_dict({**d, "correlations": [{**group, "matrix": DEGENERATE}]})


def test_a_user_supplied_matrix_that_is_not_psd_is_still_refused() -> None:
    effects = _degenerate_effects()
    outs, _, _ = evaluation_outcomes(effects, cohort="c")
    d = simple_model()
    d["outcomes"] = d["outcomes"] + outs
    paths = [f"outcomes[{i}].values[0].amount" for i in (1, 2, 3)]
    bad = [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]
    with pytest.raises(CBAError, match=r"correlations\[0\]\.matrix.*not positive semi-definite"):
        model_from_dict({**d, "correlations": [{"inputs": paths, "matrix": bad}]})


def test_the_stage_records_the_repair_in_its_notes(tmp_path: Path) -> None:
    from carecase.cba import stage
    from carecase.core.project import Project

    from .test_stage_cli import _project

    (tmp_path / "m.yaml").write_text(yaml.safe_dump(simple_model()))
    root = _project(tmp_path, {"model": "m.yaml", "draws": 200, "from_evaluation": {
        "cohort": "c", "window": "post_0_12"}})
    (root / "out" / "evaluate").mkdir(parents=True)
    (root / "out" / "evaluate" / "effects.json").write_text(json.dumps(_degenerate_effects()))
    summary = stage.run(Project.open(root))
    assert summary["headline"].startswith("NPV")
    (note,) = summary["notes"]
    assert note.startswith("window post_0_12:") and "nearest correlation matrix (Higham 2002)" in note
    written = json.loads((root / "out" / "cba" / "summary.json").read_text())
    assert written["notes"] == [note]
