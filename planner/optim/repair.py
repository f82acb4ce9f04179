"""Integer repair of a continuous batch: on the granularity grid, never over any budget.

Examples
--------
>>> import numpy as np
>>> from planner.optim.problem import OperatingPoint, PlanProblem, Source
>>> op = OperatingPoint({("a", "mp"): 10.0}, {("a", "mp"): 5.0}, {"a": 5.0})
>>> p = PlanProblem((Source("mp", 3.0, granularity=10), Source("real:a", 50.0)), 200.0, op)
>>> repair(np.array([33.7, 1.9]), p).tolist()
[30, 1]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from models.errors import PlanningError
from planner.optim.problem import PlanProblem

Score = Callable[[np.ndarray], np.ndarray]


def is_feasible(counts: np.ndarray, problem: PlanProblem) -> bool:
    """True if ``counts`` respects bounds, granularity, per-source and total budgets."""
    counts = np.asarray(counts, dtype=float)
    g = problem.granularity
    spend = counts * problem.costs
    per_source = all(s.budget is None or spend[i] <= s.budget + 1e-9
                     for i, s in enumerate(problem.sources))
    return bool(np.all(counts >= problem.lower) and np.all(counts <= problem.upper)
                and np.allclose(np.round(counts / g) * g, counts)
                and spend.sum() <= problem.budget + 1e-9 and per_source)


def repair(x: np.ndarray, problem: PlanProblem, score: Score | None = None,
           max_steps: int | None = None) -> np.ndarray:
    """Round a continuous batch down to the grid, then greedily add steps that help.

    Parameters
    ----------
    x : ndarray, shape (d,)
        Continuous counts (may slightly violate the budget).
    problem : PlanProblem
        Bounds, granularity and budgets.
    score : callable, optional
        Exact utility of integer batches ``(k, d) -> (k,)`` (higher is better). When given,
        one granularity step is added to the source that improves it most, repeatedly,
        while the budget allows; then sources are cut to their minimum or to half while
        that improves it (drops samples the continuous optimum kept for nothing).
    max_steps : int, optional
        Cap on greedy steps (default ``4 d``).

    Returns
    -------
    ndarray of int
        A feasible integer batch.
    """
    g, lo, hi = problem.granularity, problem.lower, problem.upper
    # 1e-3 of a step absorbs the optimizer's slack at the budget constraint (299,999.9996
    # is 300,000); the loop below trims whatever then exceeds the budget.
    y = np.clip(np.floor(np.asarray(x, dtype=float) / g + 1e-3) * g, lo, hi)
    y = _trim_to_budget(y, problem)
    if score is not None:
        y = _greedy_fill(y, problem, score, max_steps or 4 * len(y))
        y = _greedy_prune(y, problem, score, max_steps or 4 * len(y))
    if not is_feasible(y, problem):  # pragma: no cover - guarded above
        raise PlanningError(f"internal error: repaired batch {y} is infeasible.")
    return y.astype(np.int64)


def _trim_to_budget(y: np.ndarray, problem: PlanProblem) -> np.ndarray:
    """Remove whole granularity steps, most expensive source first, until within budget.

    Each pass removes, in one go, as many steps of one source as the excess needs (not one
    step at a time: an excess of millions of samples would otherwise loop millions of times).

    Examples
    --------
    >>> from planner.optim.problem import OperatingPoint, PlanProblem, Source
    >>> op = OperatingPoint(n_sim={("gap", "mp"): 1000}, curve_n_real={("gap", "mp"): 50},
    ...                     n_real={"gap": 50})
    >>> p = PlanProblem(sources=(Source("mp", 1.0), Source("real:gap", 10.0)),
    ...                 budget=100.0, operating=op)
    >>> _trim_to_budget(np.array([50.0, 9.0]), p).tolist()
    [50.0, 5.0]
    >>> _trim_to_budget(np.array([3e6, 0.0]), p).tolist()
    [100.0, 0.0]
    """
    g, lo, c = problem.granularity, problem.lower, problem.costs
    y = y.copy()
    while (excess := float((y * c).sum()) - problem.budget) > 1e-9:
        above = np.flatnonzero(y - g >= lo)
        if above.size == 0:
            raise PlanningError("no integer batch within the budget respects the minimums.")
        i = above[np.argmax(c[above] * g[above])]
        step_cost = c[i] * g[i]
        k = min(int(np.ceil(excess / step_cost - 1e-12)), int((y[i] - lo[i]) // g[i]))
        y[i] -= max(k, 1) * g[i]
    return y


def _greedy_fill(y: np.ndarray, problem: PlanProblem, score: Score, steps: int) -> np.ndarray:
    """Add one granularity step to a source while the utility improves and it is feasible."""
    g = problem.granularity

    def moves(y: np.ndarray) -> list[np.ndarray]:
        cands = []
        for i in range(len(y)):
            z = y.copy()
            z[i] += g[i]
            if is_feasible(z, problem):
                cands.append(z)
        return cands

    return _hill_climb(y, moves, score, steps)


def _greedy_prune(y: np.ndarray, problem: PlanProblem, score: Score, steps: int) -> np.ndarray:
    """Cut a source to its minimum or to half (on the grid) while the utility improves."""
    g, lo = problem.granularity, problem.lower

    def moves(y: np.ndarray) -> list[np.ndarray]:
        cands = []
        for i in np.flatnonzero(y > lo):
            for value in (lo[i], np.maximum(lo[i], np.floor(y[i] / 2 / g[i]) * g[i])):
                z = y.copy()
                z[i] = value
                cands.append(z)
        return cands

    return _hill_climb(y, moves, score, steps)


def _hill_climb(y: np.ndarray, moves: Callable[[np.ndarray], list[np.ndarray]],
                score: Score, steps: int) -> np.ndarray:
    """Take the best of ``moves(y)`` while it raises the exact utility (at most ``steps``)."""
    current = float(score(y[None, :])[0])
    for _ in range(steps):
        cands = moves(y)
        if not cands:
            break
        values = score(np.stack(cands))
        best = int(np.argmax(values))
        if values[best] <= current + 1e-12:
            break
        y, current = cands[best], float(values[best])
    return y
