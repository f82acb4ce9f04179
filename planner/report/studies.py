"""What-if studies of the report on one posterior: budget frontier, cost-ratio sensitivity,
exchange rates as a function of database size.

Each study re-runs the library's own planner (:func:`planner.optim.optimizer.plan_batch`
and the baselines of :mod:`planner.optim.baselines`) or decision tables at a handful of
settings; nothing here refits the model. Results are small frozen, JSON-ready records.

Examples
--------
>>> default_budgets(5e4, factors=(0.5, 2.0))
[25000.0, 50000.0, 100000.0]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from sim2real.models.errors import PlanningError
from sim2real.planner.optim.problem import OperatingPoint, PlanProblem

BUDGET_FACTORS = (0.1, 0.3, 1.0, 3.0)
RATIO_FACTORS = (0.01, 0.1, 0.3, 1.0, 3.0, 10.0)
SIZE_FACTORS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
FAST = {"num_restarts": 2, "raw_samples": 64, "maxiter": 60}

Advance = Callable[[str], None]


@dataclass(frozen=True)
class StudyPoint:
    """One planned batch of a study (a strategy at a budget, or a cost ratio).

    ``expected_error`` maps task -> ``{"mean", "q05", "q50", "q95"}``; ``allocation`` uses
    the source names as given by the user.
    """

    strategy: str
    objective: str
    budget: float
    cost_ratio: float | None
    costs: dict[str, float]
    allocation: dict[str, int]
    total_cost: float
    simulation_share: float
    expected_error: dict[str, dict[str, float]]
    p_all_targets: float | None
    note: str = ""


def cost_ratio(problem: PlanProblem) -> float | None:
    """Mean experiment price / mean simulation price (``None`` without both kinds).

    Examples
    --------
    >>> from sim2real.planner.optim.problem import OperatingPoint, PlanProblem, Source
    >>> op = OperatingPoint({("g", "mp"): 10.0}, {("g", "mp"): 5.0}, {"g": 5.0})
    >>> cost_ratio(PlanProblem((Source("mp", 2.0), Source("real:g", 300.0)), 1e3, op))
    150.0
    """
    sims = [s.cost for s in problem.sources if not s.is_real]
    reals = [s.cost for s in problem.sources if s.is_real]
    if not sims or not reals:
        return None
    return float(np.mean(reals) / np.mean(sims))


def point_from_result(result: Any, problem: PlanProblem, given: Mapping[str, str],
                      cost_ratio_value: float | None = None) -> StudyPoint:
    """A :class:`StudyPoint` from a :class:`~planner.optim.result.PlanResult`."""
    costs = {given.get(s.name, s.name): s.cost for s in problem.sources}
    alloc = {given.get(k, k): int(v) for k, v in result.allocation.items()}
    sim_money = sum(problem.source(k).cost * v for k, v in result.allocation.items()
                    if not problem.source(k).is_real)
    share = sim_money / result.total_cost if result.total_cost > 0 else 0.0
    return StudyPoint(
        strategy=str(result.provenance.get("strategy", "bayesian")),
        objective=str(result.objective), budget=float(result.budget),
        cost_ratio=cost_ratio_value, costs=costs, allocation=alloc,
        total_cost=float(result.total_cost), simulation_share=float(share),
        expected_error={t: {"mean": s.mean, "q05": s.q05, "q50": s.q50, "q95": s.q95}
                        for t, s in result.expected_error.items()},
        p_all_targets=result.p_all_targets)


def budget_frontier(model: Any, problem: PlanProblem, objective: Any,
                    given: Mapping[str, str], budgets: Sequence[float],
                    strategies: Mapping[str, Callable[..., Any]] | None = None,
                    advance: Advance | None = None, seed: int = 0,
                    **options: Any) -> list[StudyPoint]:
    """Each strategy planned at each budget under ``objective`` (same posterior).

    Strategies that do not apply (e.g. ``all_experiment`` without an experiment source) or
    budgets below the cheapest sample are skipped.
    """
    from sim2real.planner.optim.baselines import STRATEGIES

    opts = {**FAST, **options, "seed": seed}
    points = []
    for budget in budgets:
        for name, strategy in (strategies or STRATEGIES).items():
            if advance is not None:
                advance(f"frontier: {name} at budget {budget:,.0f}")
            try:
                res = strategy(model, problem.with_budget(float(budget)), objective, **opts)
            except PlanningError:
                continue
            point = point_from_result(res, problem, given)
            points.append(replace(point, strategy=name))
    return points


def cost_sensitivity(model: Any, problem: PlanProblem, objective: Any,
                     given: Mapping[str, str], factors: Sequence[float] = RATIO_FACTORS,
                     advance: Advance | None = None, seed: int = 0,
                     **options: Any) -> list[StudyPoint]:
    """The recommendation at several experiment:simulation price ratios (same budget).

    Experiment prices are multiplied by each factor; simulation prices and the budget stay.
    Empty when the problem lacks either kind of source.
    """
    from sim2real.planner.optim.optimizer import plan_batch

    base = cost_ratio(problem)
    if base is None:
        return []
    opts = {**FAST, **options, "seed": seed}
    points = []
    for f in factors:
        if advance is not None:
            advance(f"sensitivity: cost ratio {base * f:,.3g}")
        sources = tuple(replace(s, cost=s.cost * f) if s.is_real else s
                        for s in problem.sources)
        try:
            prob = replace(problem, sources=sources)
            res = plan_batch(model, prob, objective, **opts)
        except PlanningError:
            continue
        points.append(point_from_result(res, prob, given, cost_ratio_value=base * f))
    return points


def exchange_by_size(model: Any, operating: OperatingPoint,
                     factors: Sequence[float] = SIZE_FACTORS,
                     tasks: Sequence[str] | None = None) -> pd.DataFrame:
    """:func:`~planner.decisions.tables.exchange_table` with every database's ``n_sim``
    scaled by each factor (1 = the current size), stacked; column ``current`` marks 1.

    Sizes below 1 are skipped.
    """
    from sim2real.planner.decisions import exchange_table

    frames = []
    for f in factors:
        n_sim = {k: v * f for k, v in operating.n_sim.items()}
        if min(n_sim.values(), default=1.0) < 1.0:
            continue
        op = OperatingPoint(n_sim, dict(operating.curve_n_real), dict(operating.n_real))
        frame = exchange_table(model, tasks=list(tasks) if tasks else None, operating=op)
        frame["size_factor"] = float(f)
        frame["current"] = bool(f == 1.0)
        frames.append(frame)
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def default_budgets(budget: float, factors: Sequence[float] = BUDGET_FACTORS) -> list[float]:
    """The plan's budget times ``factors`` (always including the plan's budget).

    Examples
    --------
    >>> default_budgets(1000.0)
    [100.0, 300.0, 1000.0, 3000.0]
    """
    return sorted({float(budget) * f for f in (*factors, 1.0)})

