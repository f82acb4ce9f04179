"""Integer repair of a continuous batch: on the granularity grid, never over any budget.

Money counts the set-up cost of every source bought (``Source.setup``), in the total and in
the source's own budget.

Examples
--------
>>> import numpy as np
>>> from sim2real.planner.optim.problem import OperatingPoint, PlanProblem, Source
>>> op = OperatingPoint({("a", "mp"): 10.0}, {("a", "mp"): 5.0}, {"a": 5.0})
>>> p = PlanProblem((Source("mp", 3.0, granularity=10), Source("real:a", 50.0)), 200.0, op)
>>> repair(np.array([33.7, 1.9]), p).tolist()
[30, 1]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim2real.models.errors import PlanningError
from sim2real.planner.optim.problem import PlanProblem

Score = Callable[[np.ndarray], np.ndarray]


def is_feasible(counts: np.ndarray, problem: PlanProblem) -> bool:
    """True if ``counts`` respects bounds, granularity, per-source and total budgets."""
    counts = np.asarray(counts, dtype=float)
    g = problem.granularity
    spend = _spend(counts, problem)
    per_source = all(s.budget is None or spend[i] <= s.budget + 1e-9
                     for i, s in enumerate(problem.sources))
    return bool(np.all(counts >= problem.lower) and np.all(counts <= problem.upper)
                and np.allclose(np.round(counts / g) * g, counts)
                and spend.sum() <= problem.budget + 1e-9 and per_source)


def _spend(counts: np.ndarray, problem: PlanProblem) -> np.ndarray:
    """Money per source: counts x price, plus the set-up cost of every source bought."""
    return counts * problem.costs + (counts > 0) * problem.setups


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
        a compass search follows (:func:`_pattern_search`): one source at a time moves up
        or down by a step that starts at half its room and halves whenever no move
        raises the utility, down to single granularity steps. The steps scale with the
        counts, so a batch rounded from a huge budget is cut down to the few thousand
        samples it needs in ``O(log(count))`` iterations, whatever the budget (drops
        samples the continuous optimum kept for nothing, adds those it lacks).
    max_steps : int, optional
        Safety cap on the iterations (default: ample for the counts' range; the search
        normally stops earlier, when no single grid step improves the batch).

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
        y = _pattern_search(y, problem, score, max_steps or _default_steps(problem))
    if not is_feasible(y, problem):  # pragma: no cover - guarded above
        raise PlanningError(f"internal error: repaired batch {y} is infeasible.")
    return y.astype(np.int64)


def _trim_to_budget(y: np.ndarray, problem: PlanProblem) -> np.ndarray:
    """Remove whole granularity steps, most expensive source first, until within budget.

    Each pass removes, in one go, as many steps of one source as the excess needs (not one
    step at a time: an excess of millions of samples would otherwise loop millions of times).

    Examples
    --------
    >>> from sim2real.planner.optim.problem import OperatingPoint, PlanProblem, Source
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
    while (excess := float(_spend(y, problem).sum()) - problem.budget) > 1e-9:
        above = np.flatnonzero(y - g >= lo)
        if above.size == 0:
            raise PlanningError("no integer batch within the budget respects the minimums.")
        i = above[np.argmax(c[above] * g[above])]
        step_cost = c[i] * g[i]
        k = min(int(np.ceil(excess / step_cost - 1e-12)), int((y[i] - lo[i]) // g[i]))
        y[i] -= max(k, 1) * g[i]
    return y


def _default_steps(problem: PlanProblem) -> int:
    """Iteration cap of the search: ample for step halvings over every source's range."""
    span = (problem.upper - problem.lower) / problem.granularity
    bits = int(np.ceil(np.log2(float(span.max()) + 2.0)))
    return 8 * len(span) * (bits + 1)


def _room_up(y: np.ndarray, problem: PlanProblem) -> np.ndarray:
    """Grid steps each source can still grow by alone (bounds, total and own budgets)."""
    g, hi, c = problem.granularity, problem.upper, problem.costs
    spend = _spend(y, problem)
    opening = (y == 0) * problem.setups            # a source bought from 0 pays its set-up
    up = np.minimum((hi - y) / g, (problem.budget - float(spend.sum()) - opening) / (c * g))
    for i, src in enumerate(problem.sources):
        if src.budget is not None:
            up[i] = min(up[i], (src.budget - spend[i] - opening[i]) / (c[i] * g[i]))
    return np.floor(np.maximum(up, 0.0) + 1e-9)


def _moves(y: np.ndarray, step: np.ndarray, problem: PlanProblem) -> list[np.ndarray]:
    """Feasible batches one source away from ``y``: ``±step`` grid steps, clipped to the
    source's minimum and to what the budgets still allow."""
    g, lo = problem.granularity, problem.lower
    up, down = _room_up(y, problem), np.floor((y - lo) / g + 1e-9)
    cands = []
    for i in range(len(y)):
        for k in (min(step[i], up[i]), -min(step[i], down[i])):
            if k != 0:
                z = y.copy()
                z[i] = y[i] + k * g[i]
                if is_feasible(z, problem):
                    cands.append(z)
    return cands


def _pattern_search(y: np.ndarray, problem: PlanProblem, score: Score,
                    steps: int) -> np.ndarray:
    """Compass search on the grid: move to the best of ``y ± step_i`` (one source at a
    time) while that raises the exact utility, doubling the moved source's step;
    otherwise halve every step; stop when no one-grid-step move helps.

    Steps start at half of each source's room (its count above the minimum, or what the
    budget leaves it), so the search reaches the right scale in ``O(log(count))``
    iterations whatever the budget, then refines to single grid steps.

    Examples
    --------
    >>> from sim2real.planner.optim.problem import OperatingPoint, PlanProblem, Source
    >>> op = OperatingPoint({("a", "mp"): 10.0}, {("a", "mp"): 5.0}, {"a": 5.0})
    >>> p = PlanProblem((Source("mp", 1.0), Source("real:a", 100.0)), 1e12, op)
    >>> best = lambda z: -np.abs(z - [4321.0, 7.0]).sum(1)
    >>> _pattern_search(np.array([1e12, 0.0]), p, best, 10_000).tolist()
    [4321.0, 7.0]
    """
    g, lo = problem.granularity, problem.lower
    step = np.maximum(1.0, np.floor(np.maximum((y - lo) / g, _room_up(y, problem)) / 2))
    cands = _moves(y, step, problem)
    values = score(np.stack([y, *cands]))         # the start and its first moves at once
    current, values = float(values[0]), values[1:]
    for _ in range(steps):
        best = int(np.argmax(values)) if cands else -1
        if cands and values[best] > current + 1e-13 * abs(current):   # relative: scale-free
            moved = cands[best] != y
            y, current = cands[best], float(values[best])
            step[moved] *= 2     # a successful direction may be far from its optimum
        elif np.all(step <= 1):
            break
        else:
            step = np.maximum(1.0, np.floor(step / 2))
        cands = _moves(y, step, problem)
        values = score(np.stack(cands)) if cands else np.empty(0)
    return y
