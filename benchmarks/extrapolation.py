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

``--calibration N`` instead fits N well-specified datasets (6 curves drawn from a population
of power laws with floors) with the hierarchical model and reports how often the 90%
intervals cover the true expected error E(x) and the held-out replicates.

Usage::

    .venv/bin/python benchmarks/extrapolation.py                       # ~10-15 min, 2 cores
    .venv/bin/python benchmarks/extrapolation.py --datasets synthetic --draws 200
    .venv/bin/python benchmarks/extrapolation.py --calibration 8 --tune 700
    .venv/bin/python benchmarks/extrapolation.py --datasets lib:mp_gap_transfer \
        --family onset_power_law        # another curve form for the Bayesian fits

``--family NAME`` sets ``ModelSpec(family=NAME)`` of the hierarchical and per-curve fits
(any single-axis family in ``models.families.CURVE_FAMILIES``; default
``power_law_floor``). The ``least_squares`` baseline does not change with it: it is always
the per-curve least-squares fit of ``C + D x^-alpha``
(:func:`models.evaluation.least_squares.fit_power_law`), so the MALE ratios of different
families share one denominator. ``--calibration`` always fits the default family.
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

from sim2real.models.evaluation.backtest import (  # noqa: E402
    curve_route,
    posterior_forecast,
    run_backtest,
    split_curves,
)
from sim2real.models.evaluation.scoring import BacktestResult, interval_hits  # noqa: E402
from sim2real.models.examples import example_path  # noqa: E402
from sim2real.models.inference.fit import fit  # noqa: E402
from sim2real.models.inference.spec import ModelSpec, SamplerConfig  # noqa: E402

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


def population(seed: int, k: int = 6, seeds: int = 3) -> tuple[pd.DataFrame, dict[str, tuple[
        float, float, float]]]:
    """K well-specified curves (power laws with floors from a population) and their laws."""
    rng = np.random.default_rng(seed)
    x, errors, laws = SIZES.astype(float), {}, {}
    for i in range(k):
        c, d, alpha = 0.3 * np.exp(rng.normal(0, 0.2)), 3.0, 0.4 * np.exp(rng.normal(0, 0.2))
        laws[f"population|sim|n_real={10 * (i + 1)}"] = (c, d, alpha)
        errors[10 * (i + 1)] = _law(x, c, d, alpha) * np.exp(rng.normal(0, 0.05, (seeds,
                                                                                  len(x))))
    return _table("population", errors, seeds), laws


def calibration(n_sets: int, fraction: float, draws: int, tune: int, chains: int) -> None:
    """Coverage of the true E(x) and of replicates on well-specified populations."""
    print(f"\nCalibration on well-specified curves: {n_sets} datasets x 6 curves x 3 seeds, "
          f"hierarchical, train on sizes <= {fraction:g} x largest, held-out sizes scored")
    rows = []
    for seed in range(11, 11 + n_sets):
        table, laws = population(seed)
        split = split_curves(table, train_fraction=fraction)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            post = fit(split.train, ModelSpec(), SamplerConfig(
                draws=draws, tune=tune, chains=chains, seed=seed))
        hit_e: list[bool] = []
        hit_y: list[bool] = []
        for cid in split.scored_ids:
            held = split.held_out[split.held_out["curve_id"] == cid]
            sizes = np.unique(held["size"].to_numpy())
            f = posterior_forecast(post, cid, sizes, np.random.default_rng(seed))
            expected = np.log(post.error_draws(*curve_route(post.data.curves, cid, sizes)))
            for q, size in enumerate(sizes):
                hit_e.append(interval_hits(expected[:, q], np.log(_law(size, *laws[cid])),
                                           0.9)[0])
                obs = held.loc[held["size"] == size, "error"].to_numpy()
                hit_y.extend(interval_hits(f.log_draws[:, q], np.log(obs), 0.9))  # type: ignore[index]
        d = post.diagnostics
        rows.append({"seed": seed, "cov90_true_E": np.mean(hit_e), "cov90_replicates":
                     np.mean(hit_y), "divergences": d.divergences, "max_rhat": d.max_rhat})
    frame = pd.DataFrame(rows)
    print(frame.to_string(index=False, float_format="{:.3f}".format))
    print(f"mean: cov90 of the true E(x) {frame['cov90_true_E'].mean():.3f}, cov90 of "
          f"replicates {frame['cov90_replicates'].mean():.3f} (target 0.85-0.95)")


def datasets() -> dict[str, Callable[[], object]]:
    """Name -> loader of each benchmark dataset (a path or a DataFrame)."""
    out: dict[str, Callable[[], object]] = {
        "synthetic": lambda: example_path("synthetic"),
        "band_gap": lambda: ROOT / "case_studies" / "band_gap" / "curves.csv",
        "chi": lambda: ROOT / "case_studies" / "chi_parameter" / "curves.csv",
    }
    for kind in ("noisy", "non_monotone", "broken_slope"):
        out[kind] = lambda kind=kind: ill_behaved(kind)  # type: ignore[misc]
    for folder in sorted((ROOT / "case_studies" / "library").glob("*/curves.csv")):
        out[f"lib:{folder.parent.name}"] = lambda folder=folder: folder  # type: ignore[misc]
    return out


def run(names: list[str], fraction: float, draws: int, tune: int, chains: int,
        seed: int, methods: list[str], spec: ModelSpec | None = None,
        ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str]]:
    """Backtest every dataset; return its points, curves, fits and sentences."""
    sampler = SamplerConfig(draws=draws, tune=tune, chains=chains, seed=seed)
    loaders = datasets()
    points: list[pd.DataFrame] = []
    curves: list[pd.DataFrame] = []
    fits: list[pd.DataFrame] = []
    sentences: list[str] = []
    for name in names:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = run_backtest(loaders[name](), train_fraction=fraction,  # type: ignore[arg-type]
                                  methods=methods, sampler=sampler, spec=spec)
        for frame, out in ((result.points, points), (result.curves, curves),
                           (result.fits, fits)):
            out.append(frame.assign(dataset=name))
        sentences.append(f"{name} ({time.perf_counter() - start:.0f} s): {result.sentence()}")
        print(sentences[-1], flush=True)
    return (pd.concat(points, ignore_index=True), pd.concat(curves, ignore_index=True),
            pd.concat(fits, ignore_index=True), sentences)


def discrepancy_spec(kind: str = "auto", length: float | None = None,
                     scale: float | None = None, noise: str = "auto",
                     replicates: str = "auto", pooling: str = "auto",
                     trend: str = "none", prior_options: list[str] | None = None,
                     family: str | None = None) -> ModelSpec:
    """A curve family (``family``; ``None``: the default family) with a discrepancy setting
    (``scale``: a LogNormal prior on the discrepancy scale centred there, sd 0.25 on the
    log scale), a noise model and prior overrides (``prior_options``:
    ``NAME=Distribution(...)`` strings, as ``--prior``)."""
    from sim2real.models.errors import SpecError
    from sim2real.models.families import CURVE_FAMILIES, DEFAULT_FAMILY
    from sim2real.models.families.discrepancy import DEFAULT_LENGTH
    from sim2real.models.families.priors import Prior

    family = DEFAULT_FAMILY if family is None else family
    if family not in CURVE_FAMILIES:
        raise SystemExit(f"--family {family!r}: expected a single-axis curve family, one of "
                         f"{list(CURVE_FAMILIES)}")
    priors = {} if scale is None else {
        "disc_sigma": Prior("LogNormal", mu=float(np.log(scale)), sigma=0.25)}
    for option in prior_options or []:
        name, sep, text = option.partition("=")
        if not sep or not name.strip().isidentifier():
            raise SystemExit(f"--prior {option!r}: expected NAME=Distribution(...), e.g. "
                             "'logit_f_mu=Normal(mu=-2.5, sigma=1.5)'")
        try:
            priors[name.strip()] = Prior.parse(text)
        except SpecError as exc:
            raise SystemExit(f"--prior {option!r}: {exc}") from None
    spec = ModelSpec(family=family, discrepancy=kind, priors=priors, noise=noise,
                     replicates=replicates, pooling=pooling, trend=trend,
                     discrepancy_length=DEFAULT_LENGTH if length is None else length)
    if prior_options:
        try:
            spec.resolved_priors()
        except SpecError as exc:
            raise SystemExit(f"--prior: {exc}") from None
    return spec


def summary_table(points: pd.DataFrame) -> pd.DataFrame:
    """Dataset x method scores, plus pooled rows (``all``, ``well_behaved``)."""
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
    parser.add_argument("--methods", default="hierarchical,per_curve,least_squares")
    parser.add_argument("--discrepancy", default="auto",
                        help="model discrepancy of the Bayesian fits: auto (the default "
                             "model's: gp on curves), gp or none")
    parser.add_argument("--discrepancy-length", type=float, default=None,
                        help="correlation length of the discrepancy (log size units)")
    parser.add_argument("--disc-scale", type=float, default=None,
                        help="with --discrepancy gp: prior disc_sigma ~ LogNormal(log S, "
                             "0.25) (the default prior has S = 0.3)")
    parser.add_argument("--noise", default="auto",
                        help="replicate noise of the Bayesian fits: auto (the default "
                             "model's: size), size or constant")
    parser.add_argument("--replicates", default="auto",
                        help="replicate structure: auto (split), split or independent")
    parser.add_argument("--pooling", default="auto",
                        help="populations of the pooled parameters: auto (the default "
                             "model's: route on curves), all or route")
    parser.add_argument("--trend", default="none",
                        help="population trend of the pooled parameters in the log fixed "
                             "size: none (the default model's) or size")
    parser.add_argument("--prior", action="append", default=[], metavar="NAME=DIST(...)",
                        help="override one prior of the Bayesian fits (repeatable), e.g. "
                             "--prior 'logit_f_mu=Normal(mu=-2.5, sigma=1.5)'; names as in "
                             "docs/models.md (logit_f_mu, logit_f_sigma, log_alpha_mu, ...)")
    parser.add_argument("--family", default=None, metavar="NAME",
                        help="curve form of the Bayesian fits (ModelSpec(family=NAME)): "
                             "power_law_floor (default), power_law, broken_power_law, "
                             "exp_saturation or onset_power_law; the least_squares baseline "
                             "is always the per-curve LS fit of C + D x^-alpha")
    parser.add_argument("--calibration", type=int, default=0, metavar="N",
                        help="only run N well-specified population datasets and report the "
                             "coverage of the true E(x) and of replicates")
    args = parser.parse_args()
    if args.calibration:
        start = time.perf_counter()
        calibration(args.calibration, args.train_fraction, args.draws, args.tune, args.chains)
        print(f"total wall time: {time.perf_counter() - start:.0f} s")
        return
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; NUTS (nutpie) {args.chains} chains x {args.draws} "
          f"draws, {args.tune} tuning; train on sizes <= {args.train_fraction:g} x largest")
    start = time.perf_counter()
    spec = discrepancy_spec(args.discrepancy, args.discrepancy_length, args.disc_scale,
                            args.noise, args.replicates, args.pooling, args.trend,
                            args.prior, args.family)
    print(f"model: {spec.family}, discrepancy {spec.resolved_discrepancy} "
          f"(length {spec.discrepancy_length:g}), noise {spec.resolved_noise}, "
          f"replicates {spec.resolved_replicates}, pooling {spec.resolved_pooling}, "
          f"trend {spec.resolved_trend}"
          + "".join(f"; prior {name} ~ {prior.distribution}("
                    + ", ".join(f"{k}={x:g}" for k, x in prior.params.items()) + ")"
                    for name, prior in spec.priors.items()))
    points, curves, fits, _ = run(names, args.train_fraction, args.draws, args.tune,
                                  args.chains, args.seed, methods, spec)
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
        bad = fits[~fits["ok"].astype(bool)] if len(fits) else fits
        print(f"\nfits with failed MCMC diagnostics: {len(bad)} of {len(fits)}")
        for row in bad.itertuples():
            print(f"  {row.dataset} {row.method} {row.curves}: {row.problems}")
    print("\nTargets:")
    for line in targets(table):
        print("  " + line)
    print(f"\ntotal wall time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
