"""Extrapolation backtest: hierarchical model vs per-curve Bayes vs least squares.

Every curve is fitted on its sizes <= 1/8 of its largest size (``--train-fraction``) and
scored on the larger, held-out sizes (see ``docs/backtest.md`` for the metrics). Datasets:

* ``synthetic``: the embedded example (``models/examples/synthetic_curves.csv``,
  well-specified power laws, 5 curves);
* ``band_gap``, ``chi``: the real case-study curves in ``case_studies/*/curves.csv``;
* ``noisy``, ``non_monotone``, ``broken_slope``: ill-behaved synthetic curves made here
  (3 curves each, sizes 50-6400, 3 seeds): replicate noise 0.25 on log error; a bump of
  +28% in the error at one size range; a change of exponent at a break size.

Prints one table (dataset x method: curves, held-out sizes and replicates, MALE, 50% / 90%
coverage, CRPS of log error, MALE ratio to least squares), the pooled rows, the targets
(hierarchical MALE >= 30% below least squares; 90% coverage in 85-95%) and the fits whose
MCMC diagnostics failed.

Usage::

    .venv/bin/python benchmarks/extrapolation.py                       # ~10-15 min, 2 cores
    .venv/bin/python benchmarks/extrapolation.py --datasets synthetic --draws 200
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("PYTENSOR_FLAGS", f"base_compiledir={ROOT / '.cache' / 'pytensor'}")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

SIZES = 50 * 2 ** np.arange(8)  # 50 ... 6400: 1/8 of the largest keeps 5 training sizes
N_REAL = (50, 100, 200)


def _law(x: np.ndarray, c: float, d: float, alpha: float) -> np.ndarray:
    return c + d * x ** (-alpha)


def _table(task: str, errors: dict[int, np.ndarray], seeds: int) -> pd.DataFrame:
    """Transfer curves (varying n_sim) of one task, one per n_real level."""
    rows = []
    for n_real, err in errors.items():
        for s in range(seeds):
            rows += [(task, "sim", int(n), n_real, s, float(e), "MAE")
                     for n, e in zip(SIZES, err[s], strict=True)]
    return pd.DataFrame(rows, columns=["task", "sim_source", "n_sim", "n_real", "seed",
                                       "error", "metric"])


def ill_behaved(kind: str, seed: int = 2026, seeds: int = 3) -> pd.DataFrame:
    """Three curves of one ill-behaved kind: ``noisy``, ``non_monotone``, ``broken_slope``."""
    rng = np.random.default_rng([seed, ["noisy", "non_monotone", "broken_slope"].index(kind)])
    x = SIZES.astype(float)
    errors = {}
    for i, n_real in enumerate(N_REAL):
        c, d, alpha = 0.3 * np.exp(rng.normal(0, 0.2)), 3.0, 0.4 * np.exp(rng.normal(0, 0.2))
        mean = _law(x, c, d, alpha)
        noise = 0.05
        if kind == "noisy":
            noise = 0.25
        elif kind == "non_monotone":  # a bump (double-descent-like) at 200, 800 or 3200
            centre = np.log((200, 800, 3200)[i])
            mean = mean * np.exp(0.25 * np.exp(-0.5 * ((np.log(x) - centre) / 0.5) ** 2))
        elif kind == "broken_slope":  # exponent changes at the break: flatter, flatter, steeper
            brk, factor = (400, 800, 800)[i], (0.25, 0.25, 2.0)[i]
            beyond = c + d * brk ** (-alpha) * (x / brk) ** (-alpha * factor)
            mean = np.where(x > brk, beyond, mean)
        errors[n_real] = mean * np.exp(rng.normal(0, noise, (seeds, len(x))))
    return _table(kind, errors, seeds)


def datasets() -> dict[str, Callable[[], object]]:
    """Name -> loader of each benchmark dataset (a path or a DataFrame)."""
    from models.examples import example_path

    out: dict[str, Callable[[], object]] = {
        "synthetic": lambda: example_path("synthetic"),
        "band_gap": lambda: ROOT / "case_studies" / "band_gap" / "curves.csv",
        "chi": lambda: ROOT / "case_studies" / "chi_parameter" / "curves.csv",
    }
    for kind in ("noisy", "non_monotone", "broken_slope"):
        out[kind] = lambda kind=kind: ill_behaved(kind)  # type: ignore[misc]
    return out


def run(names: list[str], fraction: float, draws: int, tune: int, chains: int,
        seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str]]:
    """Backtest every dataset; return its points, curves, fits and sentences."""
    from models.backtest import run_backtest
    from models.spec import SamplerConfig

    sampler = SamplerConfig(draws=draws, tune=tune, chains=chains, seed=seed)
    loaders = datasets()
    points, curves, fits, sentences = [], [], [], []
    for name in names:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = run_backtest(loaders[name](), train_fraction=fraction,  # type: ignore[arg-type]
                                  sampler=sampler)
        for frame, out in ((result.points, points), (result.curves, curves),
                           (result.fits, fits)):
            out.append(frame.assign(dataset=name))
        sentences.append(f"{name} ({time.perf_counter() - start:.0f} s): {result.sentence()}")
        print(sentences[-1], flush=True)
    return (pd.concat(points, ignore_index=True), pd.concat(curves, ignore_index=True),
            pd.concat(fits, ignore_index=True), sentences)


def summary_table(points: pd.DataFrame) -> pd.DataFrame:
    """Dataset x method scores, plus pooled rows (``all``, ``well_behaved``)."""
    from models.scoring import BacktestResult

    well = points[points["dataset"].isin(["synthetic", "band_gap", "chi"])]
    groups = [(n, g) for n, g in points.groupby("dataset", sort=False)]
    groups += [("ALL (pooled)", points), ("well-behaved (synthetic+band_gap+chi)", well)]
    rows = []
    for name, frame in groups:
        overall = BacktestResult(frame.drop(columns="dataset"), pd.DataFrame(),
                                 pd.DataFrame()).overall()
        overall["curves"] = [frame.loc[frame["method"] == m, "curve_id"].nunique()
                             for m in overall["method"]]
        rows.append(overall.assign(dataset=name))
    table = pd.concat(rows, ignore_index=True)
    cols = ["dataset", "method", "curves", "n_sizes", "n_obs", "male", "cov50", "cov90",
            "crps", "male_ratio_ls"]
    return table[cols]


def targets(table: pd.DataFrame) -> list[str]:
    """Target lines: hierarchical MALE vs least squares, 90% coverage in 85-95%."""
    out = []
    for name in ("ALL (pooled)", "well-behaved (synthetic+band_gap+chi)"):
        rows = table[(table["dataset"] == name) & (table["method"] == "hierarchical")]
        if rows.empty:
            continue
        ratio, cov = float(rows["male_ratio_ls"].iloc[0]), float(rows["cov90"].iloc[0])
        out.append(f"{name}: hierarchical MALE / LS MALE = {ratio:.3f} (target <= 0.70: "
                   f"{'met' if ratio <= 0.70 else 'MISSED'}); 90% coverage = {cov:.3f} "
                   f"(target 0.85-0.95: {'met' if 0.85 <= cov <= 0.95 else 'MISSED'})")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default=",".join(datasets()))
    parser.add_argument("--train-fraction", type=float, default=0.125)
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--tune", type=int, default=500)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; NUTS (nutpie) {args.chains} chains x {args.draws} "
          f"draws, {args.tune} tuning; train on sizes <= {args.train_fraction:g} x largest")
    start = time.perf_counter()
    points, curves, fits, _ = run(names, args.train_fraction, args.draws, args.tune,
                                  args.chains, args.seed)
    table = summary_table(points)
    with pd.option_context("display.width", 200, "display.max_columns", 20,
                           "display.float_format", "{:.3f}".format):
        print("\nBacktest scores (MALE: median |log pred mean - log observed mean| over "
              "held-out sizes; cov: predictive intervals vs replicates; CRPS of log error)")
        print(table.to_string(index=False))
        skipped = curves[curves["status"] == "skipped"]
        print(f"\nskipped curves (< 3 training sizes): {len(skipped)} of {len(curves)}")
        for row in skipped.itertuples():
            print(f"  {row.dataset}: {row.curve_id}: {row.reason}")
        bad = fits[~fits["ok"].astype(bool)]
        print(f"\nfits with failed MCMC diagnostics: {len(bad)} of {len(fits)}")
        for row in bad.itertuples():
            print(f"  {row.dataset} {row.method} {row.curves}: {row.problems}")
    print("\nTargets:")
    for line in targets(table):
        print("  " + line)
    print(f"\ntotal wall time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
