"""Retrospective planning validation on the real band-gap data (issue 6, part 3).

Starts from a small design (scratch at n_real 50/100/200; MP pre-training at n_sim
100/300/1000, fine-tuned on 100 and 200 experiments; seeds 0-2), so the default
``--family auto`` fits the joint surface E(n_sim, n_real) (``--curve-n-real 200``: one
level, the single-axis fallback of the earlier runs), then for each strategy runs up to
``--rounds`` rounds of plan -> acquire (real pre-training / fine-tuning on the next rows of
the leakage-free pools, 3 seeds) -> score against the posterior predictive made before
acquiring -> refit. Prints the per-round log, the coverage of the realized errors by the
50% / 90% predictive intervals and the cost to reach the target per strategy, and writes
the tables as CSV to ``--out``.

Runs are cached in ``--work-dir`` (a :class:`~case_studies.store.RunStore`): strategies
that pick the same point share runs, and a killed benchmark resumes without recomputing
finished runs (the fits are redone, with the same seeds).

Usage::

    .venv/bin/python benchmarks/retrospective.py [--data-dir DIR] [--workers 2]
        [--rounds 4] [--budget 10000] [--target 0.62] [--out DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from sim2real.case_studies.config import load_config
from sim2real.case_studies.data import PROJECT_ROOT, load_study
from sim2real.case_studies.retro_scoring import stated_vs_realized
from sim2real.case_studies.retrospective import RetroSpec, SweepMeasurer, run_retrospective
from sim2real.case_studies.runner import dask_client

STUDY = PROJECT_ROOT / "case_studies" / "band_gap"


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default=None)
    p.add_argument("--work-dir", default=str(PROJECT_ROOT / ".cache" / "retrospective"))
    p.add_argument("--out", default=None, help="results folder (default WORK_DIR/results)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--budget", type=float, default=10_000.0, help="budget per round")
    p.add_argument("--target", type=float, default=0.62, help="target MAE (eV)")
    p.add_argument("--sim-cost", type=float, default=1.0)
    p.add_argument("--real-cost", type=float, default=100.0)
    p.add_argument("--max-n-sim", type=int, default=30_000)
    p.add_argument("--sources", default="mp")
    p.add_argument("--strategies", default="bayesian,uniform_by_cost,all_experiment,"
                                           "greedy_mean")
    p.add_argument("--draws", type=int, default=500)
    p.add_argument("--curve-n-real", default="100,200",
                   help="n_real levels of the initial transfer curves")
    p.add_argument("--family", default="auto", help="model family of every refit")
    return p.parse_args()


def check_against_sweep(initial: pd.DataFrame) -> str:
    """Max |difference| between the initial runs and the committed sweep's curves."""
    sweep = pd.read_csv(STUDY / "curves.csv")
    keys = ["sim_source", "n_sim", "n_real", "seed"]
    both = initial.merge(sweep, on=keys, suffixes=("", "_sweep"))
    if both.empty:
        return "initial runs vs committed curves.csv: no common points"
    diff = (both["error"] - both["error_sweep"]).abs().max()
    return (f"initial runs vs committed curves.csv: {len(both)} common runs, "
            f"max |diff| = {diff:.2e} eV")


def main() -> None:
    """Run the validation and print its tables."""
    args = parse_args()
    base = load_config(STUDY / "config.toml")
    sources = tuple(s.strip() for s in args.sources.split(",") if s.strip())
    cfg = dataclasses.replace(base, sims={s: base.sims[s] for s in sources})
    spec = RetroSpec(task=cfg.task, sources=sources, budget=args.budget, target=args.target,
                     sim_cost=args.sim_cost, real_cost=args.real_cost, rounds=args.rounds,
                     max_n_sim=args.max_n_sim, draws=args.draws, family=args.family,
                     curve_n_real=tuple(int(v) for v in args.curve_n_real.split(",")),
                     strategies=tuple(args.strategies.split(","))).validate()
    start = time.perf_counter()
    print(f"date: {datetime.now(UTC).isoformat(timespec='seconds')}; "
          f"{platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}")
    print(f"spec: {spec}")
    study = load_study(cfg, args.data_dir)
    print(f"data loaded in {time.perf_counter() - start:.0f}s: {study.notes}")
    with dask_client(args.workers) as client:
        measure = SweepMeasurer(cfg, study, args.work_dir, client, spec.seeds)
        room = min(len(tr) for tr, _ in measure.splits.values())
        pools = {src: min(len(measure.pools[src, s]) for s in spec.seeds) for src in sources}
        spec = dataclasses.replace(spec, max_n_real=room, source_caps=pools)
        result = run_retrospective(spec, measure, log=lambda m: print(
            f"[{time.perf_counter() - start:6.0f}s] {m}", flush=True))
    out = Path(args.out) if args.out else Path(args.work_dir) / "results"
    result.write(out)
    wall = time.perf_counter() - start
    print(check_against_sweep(result.initial))
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 30)
    cols = ["strategy", "round", "batch", "batch_cost", "cum_cost", "n_sim_" + sources[0],
            "n_real", "pred_q05", "pred_mean", "pred_q95", "p_target", "realized", "met",
            "family", "max_rhat", "divergences"]
    print("\nRounds (realized = best route's mean MAE over seeds; pred = planner's "
          "posterior of the expected error after the batch):")
    print(result.rounds[[c for c in cols if c in result.rounds]].to_string(index=False,
                                                                         float_format="%.3f"))
    print("\nPer-run predictions (single-replicate predictive intervals) vs realized:")
    print(result.predictions.to_string(index=False, float_format="%.3f"))
    print("\nCoverage of realized errors:")
    print(result.coverage().to_string(index=False, float_format="%.2f"))
    calib = stated_vs_realized(result.rounds, result.predictions, spec.target)
    if len(calib):
        share = calib["met"].sum() / calib["runs"].sum()
        print(f"\nStated P(target) vs the chosen route's runs that met {spec.target}:")
        print(calib.to_string(index=False, float_format="%.3f"))
        print(f"mean stated {calib['stated'].mean():.3f}; realized share {share:.3f} "
              f"({calib['met'].sum()} of {calib['runs'].sum()} runs); "
              f"{100 * (share - calib['stated'].mean()):+.0f} points "
              f"(target: within 10)")
    print(f"\nCost to reach MAE <= {spec.target} (initial data not counted; "
          f"budget {spec.budget:,.0f} per round):")
    print(result.summary()[["strategy", "met_round", "cost_to_target", "total_cost",
                            "rounds_run", "final_error"]].to_string(index=False,
                                                                    float_format="%.3f"))
    print(f"\nruns computed this session: {len(measure.computed)}; wall time "
          f"{wall:.0f}s ({wall / 60:.1f} min); results in {out}")


if __name__ == "__main__":
    main()
