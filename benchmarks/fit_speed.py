"""Fit speed and accuracy: hierarchical NUTS (nutpie, PyMC) vs per-curve least squares.

K curves x 8 sizes x 5 seeds drawn from a population of power laws with floors
(well-specified data), full NUTS with 4 chains x 1000 draws (1000 tuning steps).
Prints one table row per (K, method): wall time (compile / sampling / total), mean absolute
error of the recovered alpha (posterior mean, or the least-squares estimate), max R-hat and
divergences.

Usage::

    .venv/bin/python benchmarks/fit_speed.py                   # K = 3, 10, 50, 200
    .venv/bin/python benchmarks/fit_speed.py --curves 3,10 --methods nutpie,lsq
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("PYTENSOR_FLAGS", f"base_compiledir={ROOT / '.cache' / 'pytensor'}")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.optimize import curve_fit  # noqa: E402

from sim2real.models.inference.fit import fit  # noqa: E402
from sim2real.models.inference.spec import ModelSpec, SamplerConfig  # noqa: E402

SIZES = np.unique(np.round(np.geomspace(50, 50 * 2**7, 8)).astype(int))


def simulate(k: int, seed: int = 0, seeds: int = 5, noise: float = 0.05) -> tuple[
        pd.DataFrame, np.ndarray]:
    """K scratch curves (one task each) with true alpha, C, D from a population."""
    rng = np.random.default_rng(seed)
    rows = []
    alphas = np.exp(rng.normal(np.log(0.4), 0.25, k))
    floors = np.exp(rng.normal(np.log(0.3), 0.3, k))
    coefs = np.exp(rng.normal(np.log(3.0), 0.3, k))
    for i in range(k):
        for s in range(seeds):
            err = (floors[i] + coefs[i] * SIZES ** -alphas[i]) * np.exp(
                rng.normal(0, noise, len(SIZES)))
            rows += [(f"task{i:03d}", "none", 0, int(n), s, float(e), "MAE")
                     for n, e in zip(SIZES, err, strict=True)]
    cols = ["task", "sim_source", "n_sim", "n_real", "seed", "error", "metric"]
    return pd.DataFrame(rows, columns=cols), alphas


def fit_lsq(df: pd.DataFrame) -> tuple[np.ndarray, float]:
    """Per-curve least squares of log error on the same form (the paper's point fit)."""
    start = time.perf_counter()
    out = []
    for _, rows in df.groupby("task", sort=True):
        x, y = rows["n_real"].to_numpy(float), np.log(rows["error"].to_numpy(float))

        def f(x: np.ndarray, log_c: float, log_d: float, alpha: float) -> np.ndarray:
            return np.logaddexp(log_c, log_d - alpha * np.log(x))

        try:
            p, _ = curve_fit(f, x, y, p0=(np.log(y.min()) - 1, 1.0, 0.5), maxfev=20000)
            out.append(p[2])
        except RuntimeError:
            out.append(np.nan)
    return np.asarray(out), time.perf_counter() - start


def fit_bayes(df: pd.DataFrame, backend: str, discrepancy: str = "auto"
              ) -> tuple[np.ndarray, dict[str, float]]:
    """The default family fitted by NUTS with ``backend``: alpha estimates and timings."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        post = fit(df, ModelSpec(discrepancy=discrepancy),
                   SamplerConfig(draws=1000, tune=1000, chains=4, seed=1, backend=backend))
    total = time.perf_counter() - start
    attrs = post.idata.posterior.attrs
    alpha = post.idata.posterior["alpha"].mean(("chain", "draw")).values
    d = post.diagnostics
    return alpha, {"total_s": total, "compile_s": attrs.get("sim2real_compile_seconds", np.nan),
                   "sampling_s": attrs["sim2real_sampling_seconds"], "max_rhat": d.max_rhat,
                   "divergences": d.divergences}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--curves", default="3,10,50,200")
    parser.add_argument("--methods", default="nutpie,pymc,lsq")
    parser.add_argument("--discrepancy", default="auto",
                        help="model discrepancy of the fits: auto (the default: gp), none")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}")
    print(f"data: K curves x {len(SIZES)} sizes ({SIZES.min()}-{SIZES.max()}) x 5 seeds, "
          "noise sd 0.05 on log error; NUTS 4 chains x 1000 draws + 1000 tune; "
          f"discrepancy {args.discrepancy}")
    header = (f"{'K':>4} {'method':>7} {'total s':>8} {'compile s':>9} {'sample s':>9} "
              f"{'|alpha err|':>11} {'max R-hat':>9} {'div':>4}")
    print(header)
    for k in (int(v) for v in args.curves.split(",")):
        df, truth = simulate(k)
        for method in args.methods.split(","):
            if method == "lsq":
                est, secs = fit_lsq(df)
                stats = {"total_s": secs, "compile_s": np.nan, "sampling_s": np.nan,
                         "max_rhat": np.nan, "divergences": 0}
            else:
                est, stats = fit_bayes(df, method, args.discrepancy)
            err = float(np.nanmean(np.abs(est - truth)))
            print(f"{k:>4} {method:>7} {stats['total_s']:>8.1f} {stats['compile_s']:>9.1f} "
                  f"{stats['sampling_s']:>9.1f} {err:>11.4f} {stats['max_rhat']:>9.4f} "
                  f"{int(stats['divergences']):>4}", flush=True)


if __name__ == "__main__":
    main()
