""""How much more data do I need?" on every real curve (issue 13, item 8).

Protocol, per real curve (band gap, chi and every study of ``case_studies/library``):

1. Train on the sizes <= 1/8 of the curve's largest size (``split_curves``; the default
   hierarchical model is fitted once per study on its training rows).
2. The target is the measured (seed-mean) error at the held-out size nearest, in log size,
   to half the largest size. The **needed size** is the smallest measured size whose
   seed-mean error is <= the target. Curves whose training sizes already reach the target
   are not scored.
3. Each method recommends a size on the curve's own axis at unit price:

   - ``bayes_run`` (the planner's default): the smallest size where P(one training run <=
     target) >= 0.9, from ``error_draws`` x ``exp(noise_draws eps)`` on a log grid;
   - ``bayes_expected``: the same with P(expected error <= target) >= 0.9;
   - ``bayes_run@0.5``, ``bayes_run@0.7``: the run-level plan at lower probabilities;
   - ``bayes_run_no_disc`` (diagnostic, not a product setting): the same fit with its
     model-discrepancy term dropped at prediction time;
   - ``ls``: least squares ``C + D x^-alpha`` on the training seed means, solved for the
     target; ``ls_margin``: ``ls`` + 20%;
   - ``ls_bootstrap``: the 90% quantile of ``ls`` over 200 bootstrap refits (the seeds of
     every training size resampled with replacement).

   ("Collect until the curve flattens" and the Mahmood et al. correction need a
   sequential simulation and a fitted correction; not implemented.)
4. Scores: a plan is **short** when its size is below the needed size; **over-collection** is
   size / needed size (``inf`` when the method says "never"). Targets (issue 13): <= 10% of
   plans short at the default probability, median over-collection <= 2x.

Sets: the *scoring* sets of the extrapolation benchmarks (band gap, chi, AFLOW transfer,
new band-gap levels) and the *tuning* sets (the other library studies, seen when the
discrepancy scale and the exponent prior were chosen) are reported apart.

Run: ``python benchmarks/how_much_data.py`` (one fit per study; ~15 min on 2 cores).
"""

from __future__ import annotations

import argparse
import copy
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from sim2real.models.evaluation.backtest import curve_route, split_curves
from sim2real.models.evaluation.least_squares import fit_power_law
from sim2real.models.families.noise import standard_noise
from sim2real.models.inference.fit import fit
from sim2real.models.inference.spec import ModelSpec, SamplerConfig

ROOT = Path(__file__).resolve().parents[1]
SCORING = ("band_gap", "chi", "lib:aflow_gap_transfer", "lib:band_gap_new_levels")
METHODS = ("bayes_run", "bayes_expected", "ls", "ls_margin", "ls_bootstrap")
PROBABILITY = 0.9
LEVELS = (0.5, 0.7)          # other probabilities of the Bayesian run-level plan


def studies() -> dict[str, Path]:
    """Name -> curves.csv of every real study."""
    out = {"band_gap": ROOT / "case_studies" / "band_gap" / "curves.csv",
           "chi": ROOT / "case_studies" / "chi_parameter" / "curves.csv"}
    for path in sorted((ROOT / "case_studies" / "library").glob("*/curves.csv")):
        out[f"lib:{path.parent.name}"] = path
    return out


def ls_size(x: np.ndarray, y: np.ndarray, target: float) -> float:
    """Least-squares size where ``C + D x^-alpha`` reaches ``target`` (``inf``: never)."""
    c, d, alpha = fit_power_law(x, y)
    if target <= c:
        return float("inf")
    return float(((target - c) / d) ** (-1.0 / alpha))


def bootstrap_size(rows: pd.DataFrame, axis: str, target: float, rng: np.random.Generator,
                   n_boot: int = 200, q: float = PROBABILITY) -> float:
    """``q`` quantile of :func:`ls_size` over seed-resampled training tables."""
    groups = [g["error"].to_numpy(float) for _, g in rows.groupby(axis)]
    x = np.array(sorted(rows[axis].unique()), dtype=float)
    sizes = []
    for _ in range(n_boot):
        y = np.array([rng.choice(g, size=g.size, replace=True).mean() for g in groups])
        sizes.append(ls_size(x, y, target))
    return float(np.quantile(np.array(sizes), q, method="inverted_cdf"))   # inf-safe


def bayes_sizes(post: object, curve_id: str, start: float, target: float,
                rng: np.random.Generator, probability: float = PROBABILITY,
                ) -> tuple[float, float, float]:
    """Smallest grid size with P(run <= target) and P(expected <= target) >= 0.9, and the
    largest P(run <= target) on the grid (up to 3000x the largest training size)."""
    grid = np.geomspace(start, start * 3000.0, 300)
    task, src, n_sim, n_real = curve_route(post.data.curves, curve_id, grid)  # type: ignore[attr-defined]
    e = np.asarray(post.error_draws(task, src, n_sim, n_real))               # type: ignore[attr-defined]
    sigma = np.asarray(post.noise_draws(task, src, n_sim, n_real))           # type: ignore[attr-defined]
    nu = post.nu_draws                                                       # type: ignore[attr-defined]
    run = e * np.exp(sigma * standard_noise(rng, nu, (e.shape[0],))[:, None])
    out = []
    for draws in (run, e):
        ok = np.flatnonzero(np.mean(draws <= target, axis=0) >= probability)
        out.append(float(grid[ok[0]]) if ok.size else float("inf"))
    return out[0], out[1], float(np.mean(run <= target, axis=0).max())


def study_rows(name: str, path: Path, sampler: SamplerConfig, seed: int) -> pd.DataFrame:
    """One row per (scored curve, method)."""
    split = split_curves(path, train_fraction=0.125)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        post = fit(split.train, ModelSpec(), sampler)
    train = split.train.table
    rng = np.random.default_rng(seed)
    rows = []
    for cid in split.scored_ids:
        info = split.curves.set_index("curve_id").loc[cid]
        axis = str(info["axis"])
        k = split.train.curves.index[split.train.curves["curve_id"] == cid][0]
        tr = train[train["curve"] == k]
        held = split.held_out[split.held_out["curve_id"] == cid]
        full = pd.concat([tr[[axis, "error"]].rename(columns={axis: "size"}),
                          held[["size", "error"]]])
        means = full.groupby("size")["error"].mean()
        x_half = float(means.index.max()) / 2.0
        test_sizes = means.index[means.index > float(info["train_max"])]
        at = test_sizes[np.argmin(np.abs(np.log(test_sizes / x_half)))]
        target = float(means.loc[at])
        reached = means.index[means.to_numpy() <= target]
        needed = float(reached.min())
        if needed <= float(info["train_max"]):
            continue                                  # the training data already reach it
        tmeans = tr.groupby(axis)["error"].mean()
        ls = ls_size(tmeans.index.to_numpy(float), tmeans.to_numpy(float), target)
        run, expected, p_max = bayes_sizes(post, cid, float(info["train_max"]), target, rng)
        extra = {}
        for level in LEVELS:                          # the Bayesian risk knob
            extra[f"bayes_run@{level}"] = bayes_sizes(
                post, cid, float(info["train_max"]), target, rng, level)[0]
        bare = copy.copy(post)                        # diagnostic: the same fit without
        object.__setattr__(bare, "_disc", None)       # its discrepancy term at prediction
        extra["bayes_run_no_disc"] = bayes_sizes(bare, cid, float(info["train_max"]),
                                                 target, rng)[0]
        sizes = {"bayes_run": run, "bayes_expected": expected, **extra, "ls": ls,
                 "ls_margin": 1.2 * ls, "ls_bootstrap": bootstrap_size(tr, axis, target, rng)}
        for method, size in sizes.items():
            rows.append({"study": name, "curve_id": cid, "method": method, "target": target,
                         "train_max": float(info["train_max"]), "needed": needed,
                         "size": size, "ratio": size / needed, "short": size < needed,
                         "p_run_max": p_max})
    return pd.DataFrame(rows)


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (set, method): plans, share short with its 95% Clopper-Pearson interval, median
    and 75% quantile of over-collection, share "never"."""
    out = []
    for (group, method), g in frame.groupby(["set", "method"], sort=False):
        k, n = int(g["short"].sum()), len(g)
        ci = stats.binomtest(k, n).proportion_ci(0.95)
        out.append({"set": group, "method": method, "plans": n, "short": k / n,
                    "short_ci95": f"[{ci.low:.2f}, {ci.high:.2f}]",
                    "median_over": float(np.quantile(g["ratio"], 0.5, method="inverted_cdf")),
                    "q75_over": float(np.quantile(g["ratio"], 0.75, method="inverted_cdf")),
                    "p_run_max": float(g["p_run_max"].median()),
                    "never": float(np.mean(~np.isfinite(g["size"])))})
    # p_run_max: the median over curves of the largest P(run <= target) on the grid (the
    # same number on every method's row: it is the Bayesian model's)
    return pd.DataFrame(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--studies", default=",".join(studies()))
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="optional CSV of every plan")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, 2 CPUs shared, Python {platform.python_version()}; "
          f"default model, NUTS {args.chains} x {args.draws} (+{args.draws} tuning); train <= "
          f"1/8 of each curve's largest size; P = {PROBABILITY}", flush=True)
    sampler = SamplerConfig(draws=args.draws, tune=args.draws, chains=args.chains,
                            seed=args.seed)
    paths = studies()
    frames = []
    start = time.perf_counter()
    for name in args.studies.split(","):
        t0 = time.perf_counter()
        try:
            rows = study_rows(name, paths[name], sampler, args.seed)
        except Exception as exc:                      # a study too short to backtest
            print(f"{name}: skipped ({type(exc).__name__}: {exc})", flush=True)
            continue
        n = rows["curve_id"].nunique() if len(rows) else 0
        print(f"{name}: {n} scored curve(s) in {time.perf_counter() - t0:.0f} s", flush=True)
        frames.append(rows)
    frame = pd.concat(frames, ignore_index=True)
    frame["set"] = np.where(frame["study"].isin(SCORING), "scoring", "tuning")
    if args.out is not None:
        frame.to_csv(args.out, index=False)
    every = frame.assign(set="all real curves")
    table = summary(pd.concat([frame, every], ignore_index=True))
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    for group in ("scoring", "all real curves"):
        row = table[(table["set"] == group) & (table["method"] == "bayes_run")]
        if row.empty:
            continue
        short, over = float(row["short"].iloc[0]), float(row["median_over"].iloc[0])
        print(f"{group}: bayes_run short {short:.1%} (target <= 10%: "
              f"{'met' if short <= 0.10 else 'MISSED'}); median over-collection {over:.2f}x "
              f"(target <= 2x: {'met' if over <= 2.0 else 'MISSED'})")
    print(f"total wall time: {time.perf_counter() - start:.0f} s")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
