"""Baseline strategies behind the planner's interface (same inputs, same PlanResult).

``uniform_by_cost`` (equal money per source), ``all_simulation``, ``all_experiment``,
``greedy_mean`` (greedy marginal gain of the posterior-mean weighted error per unit cost,
stopping once the mean meets every target) and ``plug_in`` (least-squares point estimates
of every curve, planned with the same optimizer and objective).

Examples
--------
>>> res = BASELINES["uniform_by_cost"](model, problem, expected_error())  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from sim2real.models.errors import PlanningError
from sim2real.models.evaluation.least_squares import LeastSquaresFitError, least_squares_model
from sim2real.planner.acquisition.objectives import Objective
from sim2real.planner.optim.evaluate import TaskErrorEvaluator
from sim2real.planner.optim.optimizer import _start, plan_batch, summarize
from sim2real.planner.optim.problem import PlanProblem
from sim2real.planner.optim.repair import is_feasible, repair
from sim2real.planner.optim.result import PlanResult
from sim2real.planner.protocols import ErrorModel

Strategy = Callable[..., PlanResult]


def _split(model: ErrorModel, problem: PlanProblem, objective: Objective, idx: list[int],
           name: str) -> PlanResult:
    if not idx:
        raise PlanningError(f"baseline '{name}': no source of that kind among "
                            f"{problem.names}.")
    counts = repair(_start(problem, idx), problem)
    ev = TaskErrorEvaluator(model, problem)
    return summarize(ev, problem, counts, objective, name, {"strategy": name})


def uniform_by_cost(model: ErrorModel, problem: PlanProblem, objective: Objective,
                    **_: Any) -> PlanResult:
    """Spend the budget equally (in money) on every source."""
    return _split(model, problem, objective, list(range(len(problem.sources))),
                  "uniform_by_cost")


def all_simulation(model: ErrorModel, problem: PlanProblem, objective: Objective,
                   **_: Any) -> PlanResult:
    """Spend the budget equally on the computational databases only."""
    idx = [i for i, s in enumerate(problem.sources) if not s.is_real]
    return _split(model, problem, objective, idx, "all_simulation")


def all_experiment(model: ErrorModel, problem: PlanProblem, objective: Objective,
                   **_: Any) -> PlanResult:
    """Spend the budget equally on real experiments only."""
    idx = [i for i, s in enumerate(problem.sources) if s.is_real]
    return _split(model, problem, objective, idx, "all_experiment")


def greedy_mean(model: ErrorModel, problem: PlanProblem, objective: Objective,
                steps: int = 50, **_: Any) -> PlanResult:
    """Greedy steps of ~budget/steps money to the best mean-error gain per unit cost."""
    ev = TaskErrorEvaluator(model, problem)
    w = np.array([problem.weight(t) for t in ev.tasks])
    tgt = np.array([problem.targets.get(t, -np.inf) for t in ev.tasks])
    g, c = problem.granularity, problem.costs
    step = np.maximum(g, np.round(problem.budget / steps / c / g) * g)
    y = repair(problem.lower, problem).astype(float)
    for _step in range(4 * steps):
        mean = np.asarray(ev(y[None, :], run=False)).mean(0)[0]    # (T,)
        if problem.targets and np.all(mean <= np.where(np.isinf(tgt), np.inf, tgt)):
            break
        cands = [y + step[i] * np.eye(len(y))[i] for i in range(len(y))]
        ok = [z for z in cands if is_feasible(z, problem)]
        if not ok:
            break
        means = np.asarray(ev(np.stack(ok), run=False)).mean(0)    # (k, T)
        gain = (mean @ w - means @ w) / np.array([(z - y) @ c for z in ok])
        if gain.max() <= 0:
            break
        y = ok[int(np.argmax(gain))]
    return summarize(ev, problem, y, objective, "greedy_mean", {"strategy": "greedy_mean"})


def plug_in(model: ErrorModel, problem: PlanProblem, objective: Objective,
            table: Any = None, **kwargs: Any) -> PlanResult:
    """Plan on least-squares point estimates of every curve; report under ``model``.

    ``table`` defaults to ``model.data.table`` (a fitted posterior's input data, any
    family: the point estimates are least-squares power laws of the measured curves).
    A curve whose fit fails raises :class:`PlanningError` naming it (the plan would
    otherwise rest on the fit's arbitrary starting guess).
    """
    if table is None:
        data = getattr(model, "data", None)
        table = getattr(data, "table", data)
    if table is None:
        raise PlanningError("plug_in needs the learning-curve table (table=...).")
    try:
        point = least_squares_model(table, strict=True)
    except LeastSquaresFitError as exc:
        raise PlanningError(f"baseline 'plug_in': {exc} The plug-in plan needs a point "
                            "estimate of every curve. Fix: measure the curve at 3 or more "
                            "sizes, or leave plug_in out of the comparison.") from exc
    plan = plan_batch(point, problem, objective, **kwargs)
    counts = np.array([plan.allocation[n] for n in problem.names])
    ev = TaskErrorEvaluator(model, problem)
    return summarize(ev, problem, counts, objective, "plug_in", {"strategy": "plug_in"})


def bayesian(model: ErrorModel, problem: PlanProblem, objective: Objective,
             **kwargs: Any) -> PlanResult:
    """The Bayesian planner itself (for uniform strategy tables)."""
    kwargs.pop("table", None)
    return plan_batch(model, problem, objective, **kwargs)


BASELINES: dict[str, Strategy] = {
    "uniform_by_cost": uniform_by_cost, "all_simulation": all_simulation,
    "all_experiment": all_experiment, "greedy_mean": greedy_mean, "plug_in": plug_in,
}
STRATEGIES: dict[str, Strategy] = {"bayesian": bayesian, **BASELINES}
