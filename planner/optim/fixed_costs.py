"""Which set-up-cost sources a batch buys: the integer part of the mixed-integer plan.

A source with a set-up cost (``Source.setup > 0``, paid once when the batch buys any of it)
makes the batch cost discontinuous at 0, which the continuous optimizer cannot see. The
*optional* set-up sources (set-up > 0, ``min = 0``, affordable) are therefore chosen here;
sources without a set-up cost are always available and those with ``min > 0`` always
bought (their set-up is always paid).

* Up to :data:`MAX_ENUMERATED` optional sources: **exact enumeration** of the subsets used.
  Subsets whose set-up costs (plus the minimums) exceed the budget, or that leave a member
  unable to buy one granularity step, are pruned (the latter is dominated by the subset
  without that member). Each remaining subset is solved by the continuous optimizer with
  the other set-up sources capped at 0 and its own set-up costs taken off the budget; the
  best by the exact objective wins.
* More: **greedy elimination**. Start from every optional source (first dropping the most
  expensive set-ups while they alone exceed the budget), solve once, then repeatedly drop
  the source whose removal improves the exact objective most (each removal scored on the
  current batch without that source, its freed money respent pro rata on the others);
  stop when no removal helps, relax the final subset once more and polish.

The best candidates are then polished by the compass search on the full problem, whose
moves pay or save set-up costs, so it can still drop or add a source.

Examples
--------
>>> import numpy as np
>>> from sim2real.planner.optim.problem import OperatingPoint, PlanProblem, Source
>>> op = OperatingPoint({("a", "mp"): 10.0}, {("a", "mp"): 5.0}, {"a": 5.0})
>>> p = PlanProblem((Source("mp", 1.0, setup=900.0), Source("real:a", 10.0)), 1000.0, op)
>>> [sorted(s) for s in enumerated_subsets(p)]
[[], ['mp']]
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from sim2real.planner.optim.problem import PlanProblem
from sim2real.planner.optim.repair import repair

#: Exact enumeration up to this many optional set-up sources (at most 2**k solves).
MAX_ENUMERATED = 3

#: ``(sub-problem, **optimizer options) -> rounded candidate batches`` (the relaxation).
Relax = Callable[..., list[np.ndarray]]
#: ``candidates -> best batch`` (compass search from the best candidates).
Polish = Callable[[list[np.ndarray]], np.ndarray]
Score = Callable[[np.ndarray], np.ndarray]
#: Cheaper optimizer settings for the sub-problems after the first (warm: same model).
SUBSET_OPTIONS: dict[str, Any] = {"num_restarts": 1, "raw_samples": 16, "maxiter": 25,
                                  "fractions": (1.0, 0.1, 0.01)}


def optional_setups(problem: PlanProblem) -> list[str]:
    """Names of the sources whose use is a choice: set-up > 0, no minimum, affordable."""
    return [s.name for s in problem.sources
            if s.setup > 0 and s.lower() == 0 and s.upper(problem.budget) > 0]


def worth_trying(problem: PlanProblem, used: set[str]) -> bool:
    """``used`` fits the budget and leaves each member at least one grid step."""
    src = {s.name: s for s in problem.sources}
    forced = sum(s.setup for s in problem.sources if s.setup > 0 and s.lower() > 0)
    free = (problem.budget - float(problem.lower @ problem.costs) - forced
            - sum(src[n].setup for n in used))
    return all(free >= src[n].cost * src[n].granularity - 1e-9 for n in used) and free >= 0


def enumerated_subsets(problem: PlanProblem) -> list[set[str]]:
    """Every subset of :func:`optional_setups` worth trying (:func:`worth_trying`)."""
    names = optional_setups(problem)
    subsets = (set(c) for k in range(len(names) + 1)
               for c in itertools.combinations(names, k))
    return [s for s in subsets if worth_trying(problem, s)]


def choose_sources(problem: PlanProblem, score: Score, relax: Relax,
                   polish: Polish) -> tuple[np.ndarray, dict[str, Any] | None]:
    """Best integer batch over which set-up sources are used, and a provenance note.

    Parameters
    ----------
    problem : PlanProblem
        The full problem.
    score : callable
        Exact utility of integer batches ``(k, d) -> (k,)`` (set-up costs included).
    relax, polish : callable
        The optimizer's stages (:func:`planner.optim.optimizer.relax` and ``polish``).

    Returns
    -------
    tuple
        The batch and ``None`` without optional set-up sources, else
        ``{"method": "enumeration" | "greedy", "subsets_solved": k, "used": [...]}``.
    """
    names = optional_setups(problem)
    if not names:
        return polish(relax(problem)), None
    if len(names) <= MAX_ENUMERATED:
        subsets = sorted(enumerated_subsets(problem), key=len, reverse=True)
        best = []
        for k, used in enumerate(subsets):
            cands = relax(problem.restricted(used), **(SUBSET_OPTIONS if k else {}))
            best.append(cands[int(np.argmax(score(np.stack(cands))))])
        batch = polish(best)
        return batch, _note("enumeration", len(subsets), problem, batch)
    batch, solved = greedy_elimination(problem, score, relax, polish, names)
    return batch, _note("greedy", solved, problem, batch)


def greedy_elimination(problem: PlanProblem, score: Score, relax: Relax, polish: Polish,
                       names: list[str]) -> tuple[np.ndarray, int]:
    """Drop optional set-up sources one at a time while that raises the objective.

    Each removal is scored on the current batch without that source, rounded at a few
    multiples that respend the money it freed (no new continuous solve); the final subset
    is relaxed once more and polished. Returns the batch and the number of relaxations.
    """
    setup = {s.name: s.setup for s in problem.sources}
    used = set(names)
    while used and not worth_trying(problem, used):
        used.discard(max(used, key=lambda n: setup[n]))
    first = relax(problem.restricted(used))
    batch = first[int(np.argmax(score(np.stack(first))))]
    value, start, solves = float(score(batch[None, :])[0]), set(used), 1
    index = {n: i for i, n in enumerate(problem.names)}
    while used:
        used -= {n for n in used if batch[index[n]] == 0}       # not bought: nothing to drop
        moves, dropped = [], []
        for name in sorted(used):
            sub = problem.restricted(used - {name})
            for z in _respend(batch, index[name], sub):
                moves.append(z)
                dropped.append(name)
        if not moves:
            break
        values = score(np.stack(moves))
        k = int(np.argmax(values))
        if values[k] <= value + 1e-13 * abs(value):
            break
        used.discard(dropped[k])
        batch, value = moves[k], float(values[k])
    extra = [batch, *first]
    if used != start:
        extra += relax(problem.restricted(used), **SUBSET_OPTIONS)
        solves += 1
    return polish(extra), solves


def _respend(batch: np.ndarray, i: int, sub: PlanProblem) -> list[np.ndarray]:
    """``batch`` without source ``i``: as it is, and with the money it freed respent pro
    rata on the others (half and all of it), each rounded within ``sub``'s budgets."""
    x = batch.astype(float)
    x[i] = 0.0
    lo, c = sub.lower, sub.costs
    var = float((x - lo) @ c)
    avail = sub.budget - float(lo @ c) - float(((x > 0) * sub.setups).sum())
    full = avail / var if var > 0 else 1.0
    return [repair(lo + (x - lo) * f, sub) for f in sorted({1.0, 0.5 * (1.0 + full), full})]


def _note(method: str, solved: int, problem: PlanProblem,
          batch: np.ndarray) -> dict[str, Any]:
    used = [n for n, s, k in zip(problem.names, problem.sources, batch, strict=True)
            if s.setup > 0 and k > 0]
    return {"method": method, "subsets_solved": solved, "used": used}
