"""Closed-loop (sequential) planning: plan this round knowing more rounds will follow.

Acquired samples accumulate, so buying in several rounds costs no more than buying at once,
and every round's measurements sharpen the posterior before the next one. Spending for the
final required probability ``p`` in round one overpays whenever the early posterior is
wide: its ``p``-quantile of the required size is far above the median, and with several
tasks the joint requirement is often unreachable within the round's budget, so the batch
spends all of it.

With ``K`` rounds left (this one included) the policy asks:

- ``K = 1``: the cheapest batch with P(all targets met) >= ``p`` (the one-shot plan);
- ``K > 1``: the cheapest batch with which every task on its own reaches
  ``round_probability(p, K) * R_t``, where ``R_t`` is the probability that the task's target
  is met with every source at its largest affordable count (:func:`reachable_probability`).
  It buys what is likely needed among the posterior draws this round can reach and leaves
  the rest (e.g. an uncertain floor) to be learned from its measurements.

A round whose requirement already holds without new data takes the next round's
requirement instead (an empty early batch brings no measurement, so waiting learns
nothing): the policy moves down the schedule until a requirement is unmet, and recommends
an empty batch only when the final joint requirement ``p`` already holds
(``provenance["rounds_advanced"]`` counts the steps). When no posterior draw
can meet any target at all, :func:`planner.optim.optimizer.plan_batch` lowers the expected
error instead (``provenance["fallback"]``), in early rounds as in the last.

Examples
--------
>>> round(round_probability(0.9, remaining=3), 3)
0.3
>>> round_probability(0.9, remaining=1)
0.9
>>> res = plan_next_round(model, problem, 0.9, remaining=3)  # doctest: +SKIP
>>> res.provenance["round_probability"]  # doctest: +SKIP
0.3
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from sim2real.models.errors import PlanningError
from sim2real.planner.acquisition.objectives import (
    Objective,
    expected_error,
    min_cost_with_probability,
)
from sim2real.planner.optim.evaluate import TaskErrorEvaluator
from sim2real.planner.optim.optimizer import plan_batch, summarize
from sim2real.planner.optim.problem import PlanProblem, advance
from sim2real.planner.optim.result import PlanResult
from sim2real.planner.protocols import ErrorModel

SCHEDULES = ("ratio", "geometric")
#: SLSQP iterations of ``optimize_acqf`` (the per-task objective of early rounds takes more
#: iterations than the one-shot plan; 30 keeps 10 sources x 4,000 draws within ~3 s with a
#: utility within 1% of 100 iterations on the timing problem).
MAXITER = 30


def round_probability(final: float, remaining: int, schedule: str = "ratio") -> float:
    """Required probability of this round with ``remaining`` rounds left (incl. this).

    Parameters
    ----------
    final : float
        Probability required by the end of the plan, in (0, 1).
    remaining : int
        Rounds left including this one (>= 1).
    schedule : {"ratio", "geometric"}
        ``"ratio"``: ``final / remaining``; ``"geometric"``:
        ``1 - (1 - final) ** (1 / remaining)``.

    Returns
    -------
    float
        ``final`` when ``remaining == 1``.

    Examples
    --------
    >>> round(round_probability(0.9, 3), 3), round(round_probability(0.9, 2, "geometric"), 3)
    (0.3, 0.684)
    """
    if not 0.0 < final < 1.0:
        raise PlanningError(f"required probability must be in (0, 1), got {final}. "
                            "Fix: pass e.g. --probability 0.9.")
    if remaining < 1:
        raise PlanningError(f"remaining rounds must be >= 1, got {remaining}.")
    if schedule not in SCHEDULES:
        raise PlanningError(f"unknown schedule '{schedule}'; choose one of {SCHEDULES}.")
    if schedule == "ratio":
        return final / remaining
    return 1.0 - (1.0 - final) ** (1.0 / remaining)


def plan_next_round(model: ErrorModel, problem: PlanProblem, final_probability: float,
                    remaining: int, penalty: float = 100.0, schedule: str = "ratio",
                    **kwargs: Any) -> PlanResult:
    """Cheapest batch meeting this round's share of the required probability.

    Parameters
    ----------
    model : ErrorModel
        Current posterior (refitted after every round).
    problem : PlanProblem
        This round's budget cap, sources, targets and operating point.
    final_probability : float
        P(all targets met) required by the last round.
    remaining : int
        Rounds left including this one; ``1`` is the plain one-shot plan (joint
        requirement). Earlier rounds require each task on its own to reach
        :func:`round_probability` times the probability the whole budget could reach
        (:func:`reachable_probability`): they buy what is likely needed among the
        posterior draws this round can reach, and leave the rest to be learned.
    penalty : float
        Shortfall penalty of :func:`min_cost_with_probability`.
    schedule : str
        See :func:`round_probability`.
    **kwargs
        Passed to :func:`planner.optim.optimizer.plan_batch` (``maxiter`` defaults to
        ``MAXITER``).

    Returns
    -------
    PlanResult
        With the policy, ``round_probability`` and ``remaining_rounds`` in its provenance.

    Examples
    --------
    >>> plan_next_round(model, problem, 0.9, remaining=2).objective  # doctest: +SKIP
    'min_cost_with_probability'
    """
    round_probability(final_probability, remaining, schedule)        # validates the input
    kwargs.setdefault("maxiter", MAXITER)
    prov = dict(kwargs.pop("provenance", None) or {})
    prov.update({"policy": "sequential", "schedule": schedule,
                 "final_probability": final_probability, "remaining_rounds": remaining})
    ev = TaskErrorEvaluator(model, problem)
    reach = _p_met(ev, problem.upper)
    now = _p_met(ev, np.zeros(len(problem.names)))
    step = remaining
    while step > 1:
        p = round_probability(final_probability, step, schedule)
        levels = {t: min(p * v, 0.999) for t, v in reach.items()}
        if any(now.get(t, 0.0) < level for t, level in levels.items()):
            break
        step -= 1
    prov["rounds_advanced"] = remaining - step
    p = round_probability(final_probability, step, schedule)
    prov["round_probability"] = round(p, 6)
    if step == 1:
        prov["requirement"] = "all targets jointly"
        objective = min_cost_with_probability(p, penalty)
    else:
        prov.update({"requirement": "each target (share of the reachable probability)",
                     "p_reachable_at_cap": reach, "levels": levels})
        objective = min_cost_with_probability(p, penalty, joint=False, levels=levels)
    res = plan_batch(model, problem, objective, provenance=prov, **kwargs)
    return top_up_out_of_reach(model, problem, res, objective,
                               {t: v for t, v in reach.items() if v < p}, **kwargs)


def top_up_out_of_reach(model: ErrorModel, problem: PlanProblem, result: PlanResult,
                        objective: Objective, lost: dict[str, float],
                        **kwargs: Any) -> PlanResult:
    """Spend what the round leaves on the targets out of the round's reach.

    ``lost`` maps the tasks whose probability with every source at its largest count is
    below the round's requirement to that probability. The requirement (a share of that
    probability) asks almost nothing of such a task, so it would get nothing in this
    round and, when the next budget is no larger, in every later one, although more data
    on it is the only way to learn that the fitted form was too pessimistic. The budget
    the batch leaves is spent lowering the expected error of those tasks, at the sizes
    after the batch (unless :func:`planner.optim.optimizer.plan_batch` already fell back
    to the expected error). ``provenance["out_of_reach"]`` names them and
    ``provenance["top_up"]`` is what was added.

    Examples
    --------
    >>> res = plan_next_round(model, problem, 0.9, remaining=2)  # doctest: +SKIP
    >>> res.provenance.get("out_of_reach")  # doctest: +SKIP
    ['task1']
    """
    left = problem.budget - result.total_cost
    if not lost or left <= 0 or "fallback" in result.provenance:
        return result
    bought = result.allocation
    have = np.array([bought.get(n, 0) for n in problem.names], dtype=float)
    spent = problem.batch_cost(np.diag(have))                  # money per source so far
    sources = tuple(replace(
        s, min=0, setup=0.0 if k > 0 else s.setup,
        max=None if s.max is None else s.max - int(k),
        budget=None if s.budget is None else max(s.budget - float(m), 0.0))
        for s, k, m in zip(problem.sources, have, spent, strict=True))
    sub = replace(problem, sources=sources, budget=left,
                  operating=advance(problem.operating, bought))
    weights = {t: float(t in lost) for t in problem.tasks}
    extra = plan_batch(model, sub, expected_error(weights), **kwargs)
    if extra.total_cost <= 0:
        return result
    counts = have + np.array([extra.allocation.get(n, 0) for n in problem.names])
    top = {k: v for k, v in extra.allocation.items() if v > 0}
    prov = {**result.provenance, "out_of_reach": sorted(lost), "top_up": top,
            "out_of_reach_note": out_of_reach_note(
                lost, float(result.provenance.get("round_probability", 0.0)), top)}
    return summarize(TaskErrorEvaluator(model, problem), problem, counts, objective,
                     result.objective, prov)


def out_of_reach_note(lost: dict[str, float], required: float, top: dict[str, int]) -> str:
    """The sentence ``plan`` and the report show for a top-up.

    Examples
    --------
    >>> out_of_reach_note({"b": 0.0}, 0.9, {"real:b": 120})[:48]
    "target(s) of b are out of this round's reach (P "
    """
    bought = ", ".join(f"{v:,} {k}" for k, v in top.items())
    return (f"target(s) of {', '.join(sorted(lost))} are out of this round's reach "
            f"(P <= {max(lost.values()):.2f} with every source at its largest count, below "
            f"the round's {required:.2f}); the budget left after the requirement buys "
            f"{bought} to lower their expected error, since only new data can show the "
            "fitted curve was too pessimistic")


def _p_met(ev: TaskErrorEvaluator, counts: np.ndarray) -> dict[str, float]:
    """Per task with a target, P(target met) after buying ``counts`` (one batch)."""
    draws = np.asarray(ev(np.asarray(counts, dtype=float)[None, :]))[:, 0, :]   # (S, T)
    targets = ev.problem.targets
    return {t: float(np.mean(draws[:, k] <= targets[t]))
            for k, t in enumerate(ev.tasks) if t in targets}


def probability_now(model: ErrorModel, problem: PlanProblem) -> dict[str, float]:
    """Per task with a target, P(target met) with no new data (the empty batch).

    Examples
    --------
    >>> probability_now(model, problem)  # doctest: +SKIP
    {'gap': 0.41}
    """
    return _p_met(TaskErrorEvaluator(model, problem), np.zeros(len(problem.names)))


def reachable_probability(model: ErrorModel, problem: PlanProblem) -> dict[str, float]:
    """Per task with a target, P(target met) with every source at its largest count.

    An upper bound on what any batch within the budget can reach (each source alone at
    the budget; batches share the budget), used to size early rounds among the posterior
    draws the budget can reach at all.

    Examples
    --------
    >>> reachable_probability(model, problem)  # doctest: +SKIP
    {'gap': 0.62}
    """
    return _p_met(TaskErrorEvaluator(model, problem), problem.upper)
