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

A round whose requirement already holds recommends an empty batch. When no posterior draw
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

from typing import Any

import numpy as np

from sim2real.models.errors import PlanningError
from sim2real.planner.acquisition.objectives import min_cost_with_probability
from sim2real.planner.optim.evaluate import TaskErrorEvaluator
from sim2real.planner.optim.optimizer import plan_batch
from sim2real.planner.optim.problem import PlanProblem
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
    p = round_probability(final_probability, remaining, schedule)
    kwargs.setdefault("maxiter", MAXITER)
    prov = dict(kwargs.pop("provenance", None) or {})
    prov.update({"policy": "sequential", "schedule": schedule,
                 "final_probability": final_probability, "remaining_rounds": remaining,
                 "round_probability": round(p, 6)})
    if remaining == 1:
        prov["requirement"] = "all targets jointly"
        return plan_batch(model, problem, min_cost_with_probability(p, penalty),
                          provenance=prov, **kwargs)
    reach = reachable_probability(model, problem)
    levels = {t: min(p * v, 0.999) for t, v in reach.items()}
    prov.update({"requirement": "each target (share of the reachable probability)",
                 "p_reachable_at_cap": reach, "levels": levels})
    objective = min_cost_with_probability(p, penalty, joint=False, levels=levels)
    return plan_batch(model, problem, objective, provenance=prov, **kwargs)


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
    ev = TaskErrorEvaluator(model, problem)
    draws = np.asarray(ev(problem.upper[None, :]))[:, 0, :]          # (S, T)
    return {t: float(np.mean(draws[:, k] <= problem.targets[t]))
            for k, t in enumerate(ev.tasks) if t in problem.targets}
