"""Planning time with real-world constraints: set-up costs, capacity caps, minimums.

A hand-built ErrorModel (:class:`PowerLawDraws`) with 4 tasks and 10 database sources,
4,000 posterior draws. The plan without set-up costs is timed next to the same problem
with set-up costs on 3 databases (exact enumeration of the 8 subsets; on the routes the
plain plan buys, so the choice matters) and on all 10
(greedy elimination), with and without caps (``max``) and minimums (``min``). Target
(issue 12): <= 5 s per plan with set-up costs.

Run::

    .venv/bin/python -W ignore benchmarks/plan_constraints.py [--draws 4000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np

from sim2real.models.evaluation.point_draws import CurveDraws, PowerLawDraws
from sim2real.planner.acquisition import expected_error, min_cost_with_probability
from sim2real.planner.optim.optimizer import plan_batch
from sim2real.planner.optim.problem import OperatingPoint, PlanProblem, Source

TASKS = 4
DATABASES = 10
BUDGET = 60_000.0


def world(draws: int, seed: int = 0) -> tuple[PowerLawDraws, OperatingPoint]:
    """Task ``t{i}`` learns from scratch or from databases ``db{j}``, ``j % 4 == i`` or
    ``j >= 8`` (two shared databases), with jittered power laws."""
    rng = np.random.default_rng(seed)

    def law(c: float, d: float, a: float, n_real: float | None = None) -> CurveDraws:
        c_, d_, a_ = (v * np.exp(0.1 * rng.standard_normal(draws)) for v in (c, d, a))
        return CurveDraws(c_, d_, a_, n_real)

    curves, n_sim, curve_m = {}, {}, {}
    for i in range(TASKS):
        t = f"t{i}"
        curves[(t, "none")] = law(0.06, 2.0, 0.5)
        for j in range(DATABASES):
            if j % TASKS == i or j >= 8:
                curves[(t, f"db{j}")] = law(0.02 + 0.005 * j, 3.0, 0.35 + 0.02 * j, 50.0)
                n_sim[(t, f"db{j}")], curve_m[(t, f"db{j}")] = 1000.0, 50.0
    op = OperatingPoint(n_sim, curve_m, {f"t{i}": 50.0 for i in range(TASKS)})
    return PowerLawDraws(curves), op


def problems(op: OperatingPoint) -> dict[str, PlanProblem]:
    """The timed problems: plain, set-ups on 3 / all 10 databases, plus caps and mins."""
    base = tuple(Source(f"db{j}", 0.5 + 0.1 * j) for j in range(DATABASES))
    targets = {f"t{i}": 0.1 for i in range(TASKS)}

    def make(sources: tuple[Source, ...]) -> PlanProblem:
        return PlanProblem(sources, BUDGET, op, targets=targets)

    three = tuple(replace(s, setup=3000.0) if j in (2, 8, 9) else s   # the plain plan's
                  for j, s in enumerate(base))                       # routes and db9
    ten = tuple(replace(s, setup=1000.0 + 500.0 * j) for j, s in enumerate(base))
    capped = tuple(replace(s, max=8000 if j % 2 else None, min=500 if j == 9 else 0)
                   for j, s in enumerate(ten))
    return {"no set-up costs": make(base), "set-up on 3 (enumeration)": make(three),
            "set-up on 10 (greedy)": make(ten), "set-up on 10 + max/min": make(capped)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    model, op = world(args.draws)
    plan_batch(model, problems(op)["no set-up costs"], expected_error())   # warm-up
    print(f"{DATABASES} database sources x {args.draws} draws, {TASKS} tasks, budget "
          f"{BUDGET:,.0f}; max of {args.repeats} seeds")
    for obj in (expected_error(), min_cost_with_probability(0.9)):
        base = None
        for label, prob in problems(op).items():
            secs, res = [], None
            for r in range(args.repeats):
                t0 = time.perf_counter()
                res = plan_batch(model, prob, obj, seed=r)
                secs.append(time.perf_counter() - t0)
            assert res is not None
            base = base or max(secs)
            search = res.provenance.get("setup_search") or {}
            used = [k for k, v in res.allocation.items() if v > 0]
            print(f"{obj.name:26s} {label:27s} max {max(secs):5.2f} s "
                  f"(x{max(secs) / base:4.1f})  solves {search.get('subsets_solved', 1):2d}  "
                  f"cost {res.total_cost:9,.0f}  set-up paid "
                  f"{sum(res.provenance.get('setup_paid', {}).values()):6,.0f}  "
                  f"used {','.join(used)}")


if __name__ == "__main__":
    main()
