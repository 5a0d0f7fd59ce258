"""Negative binomial (NB2) fitting: ``evaluate.negbin.fit_nb2`` (analytic score and Hessian,
damped Newton, cluster sandwich) against statsmodels' ``NegativeBinomial`` (NB2, Newton with
its own derivatives, cluster covariance) on the same unweighted data, side by side. The two
must agree (coefficients and α to 1e-6, cluster-robust SEs to 1e-4 relative, the small-sample
factors aside) before the times count. Sizes: the rows of one rate-ratio fit on the demo area
(about 1,000) up to a large region's (quick: the first two)."""

from __future__ import annotations

import time
import warnings

import numpy as np
import statsmodels.api as sm

from benchmarks.record import write_result
from carecase.core.random import generator
from carecase.evaluate.negbin import fit_nb2

SIZES = (1_000, 20_000, 200_000)
QUICK_SIZES = (1_000, 20_000)
BETA = np.array([0.2, -0.3, 0.4, -0.25])  # intercept, treated, post, treated × post
ALPHA = 1.2


def _data(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = generator(n, "bench-negbin")
    people = n // 2
    treated = np.repeat(rng.integers(0, 2, people), 2).astype(float)
    post = np.tile([0.0, 1.0], people)
    x = np.column_stack([np.ones(2 * people), treated, post, treated * post])
    years = rng.uniform(0.3, 1.0, 2 * people)
    mu = years * np.exp(x @ BETA) * np.repeat(rng.gamma(1 / ALPHA, ALPHA, people), 2)
    return rng.poisson(mu).astype(float), x, np.log(years), np.repeat(np.arange(people), 2)


def _best(fn, repeats: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(quick: bool = False) -> dict[str, object]:
    rows = []
    for n in QUICK_SIZES if quick else SIZES:
        y, x, offset, groups = _data(n)
        repeats = 5 if n <= 20_000 else 2
        ours_s, ours = _best(lambda: fit_nb2(y, x, offset, None, groups), repeats)  # noqa: B023

        def baseline():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return sm.NegativeBinomial(y, x, loglike_method="nb2", offset=offset).fit(  # noqa: B023
                    method="newton", disp=0, maxiter=200, cov_type="cluster",
                    cov_kwds={"groups": groups, "use_correction": False})  # noqa: B023

        base_s, base = _best(baseline, repeats)
        g = len(np.unique(groups))
        ours_se = ours.bse * np.sqrt((g - 1) / g)  # both without small-sample factors
        agree = bool(np.allclose(ours.params, base.params[:-1], atol=1e-6)
                     and abs(ours.alpha - base.params[-1]) < 1e-6
                     and np.allclose(ours_se, base.bse[:-1], rtol=1e-4))
        if not agree:
            raise AssertionError(f"fit_nb2 and statsmodels disagree at n={n}: {ours.params}, "
                                 f"{ours.alpha}, {ours_se} vs {base.params}, {base.bse}")
        rows.append({"rows": int(len(y)), "clusters": g, "carecase_s": round(ours_s, 4),
                     "statsmodels_s": round(base_s, 4), "speedup": round(base_s / ours_s, 2),
                     "iterations": ours.iterations, "alpha": round(ours.alpha, 4), "agree": agree})
        print(f"NB2 {len(y):>7} rows: carecase {ours_s:.4f} s, statsmodels {base_s:.4f} s "
              f"(×{base_s / ours_s:.1f}), agree={agree}", flush=True)
    result = {"what": __doc__.split("\n\n")[0].replace("\n", " "), "quick": quick, "sizes": rows}
    write_result("negbin", result)
    return result


if __name__ == "__main__":
    main()
