"""Closed-loop (sequential) planning: plan this round knowing more rounds will follow.

Acquired samples accumulate, so buying in several rounds costs no more than buying at once,
and every round's measurements sharpen the posterior before the next one. Spending for the
final required probability ``p`` in round one overshoots whenever the early posterior is
wide: its ``p``-quantile of the required size is far above the median. The sequential policy
asks each round for the probability ``p_k = 1 - (1 - p)^(1/k)`` where ``k`` is the number of
rounds left (this one included): ``k`` independent tries at ``p_k`` would together meet the
targets with probability ``p``. The last round asks for ``p`` itself. With ``p = 0.9`` and
three rounds the schedule is 0.54, 0.68, 0.90. A round whose requirement already holds at
the current operating point recommends an empty batch (the cheapest batch meeting it).

Examples
--------
>>> round(round_probability(0.9, remaining=3), 3)
0.536
>>> round_probability(0.9, remaining=1)
0.9
>>> res = plan_next_round(model, problem, 0.9, remaining=3)  # doctest: +SKIP
>>> res.provenance["round_probability"]  # doctest: +SKIP
0.536
"""

from __future__ import annotations

from typing import Any

from models.errors import PlanningError
from planner.acquisition.objectives import min_cost_with_probability
from planner.optim.optimizer import plan_batch
from planner.optim.problem import PlanProblem
from planner.optim.result import PlanResult
from planner.protocols import ErrorModel


def round_probability(final: float, remaining: int) -> float:
    """Required P(all targets) of this round with ``remaining`` rounds left (incl. this).

    Parameters
    ----------
    final : float
        Probability required by the end of the plan, in (0, 1).
    remaining : int
        Rounds left including this one (>= 1).

    Returns
    -------
    float
        ``1 - (1 - final) ** (1 / remaining)``.

    Examples
    --------
    >>> round(round_probability(0.9, 2), 3)
    0.684
    """
    if not 0.0 < final < 1.0:
        raise PlanningError(f"required probability must be in (0, 1), got {final}.")
    if remaining < 1:
        raise PlanningError(f"remaining rounds must be >= 1, got {remaining}.")
    return 1.0 - (1.0 - final) ** (1.0 / remaining)


def plan_next_round(model: ErrorModel, problem: PlanProblem, final_probability: float,
                    remaining: int, penalty: float = 100.0, **kwargs: Any) -> PlanResult:
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
        Rounds left including this one; ``1`` is the plain one-shot plan.
    penalty : float
        Shortfall penalty of :func:`min_cost_with_probability`.
    **kwargs
        Passed to :func:`planner.optim.optimizer.plan_batch`.

    Returns
    -------
    PlanResult
        With ``round_probability`` and ``remaining_rounds`` in its provenance.

    Examples
    --------
    >>> plan_next_round(model, problem, 0.9, remaining=2).objective  # doctest: +SKIP
    'min_cost_with_probability'
    """
    p = round_probability(final_probability, remaining)
    prov = dict(kwargs.pop("provenance", None) or {})
    prov.update({"policy": "sequential", "final_probability": final_probability,
                 "remaining_rounds": remaining, "round_probability": round(p, 6)})
    return plan_batch(model, problem, min_cost_with_probability(p, penalty),
                      provenance=prov, **kwargs)
