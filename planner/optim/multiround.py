"""Multi-round plans: T rounds of equal budget; the first round is what to do now.

The plan is open-loop (certainty-equivalent on the current posterior): round r is planned
at the operating point reached after rounds 1..r-1. After acting on round 1, append the
new measurements (``sim2real update``), refit and plan again. :func:`recommend` dispatches
between this and the closed-loop policy of :mod:`planner.optim.sequential`.

Examples
--------
>>> res = plan_rounds(model, problem, expected_error(), rounds=3)  # doctest: +SKIP
>>> res.rounds[0] == res.allocation  # doctest: +SKIP
True
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sim2real.models.errors import PlanningError
from sim2real.planner.acquisition.objectives import Objective
from sim2real.planner.optim.optimizer import plan_batch
from sim2real.planner.optim.problem import PlanProblem, advance
from sim2real.planner.optim.result import PlanResult
from sim2real.planner.optim.sequential import plan_next_round
from sim2real.planner.protocols import ErrorModel


def plan_rounds(model: ErrorModel, problem: PlanProblem, objective: Objective,
                rounds: int = 1, **kwargs: Any) -> PlanResult:
    """Plan ``rounds`` batches of ``budget / rounds`` each; return the first with all
    rounds in ``.rounds`` and the end-of-plan summary in ``provenance['final']``."""
    if rounds < 1:
        raise PlanningError(f"rounds must be >= 1, got {rounds}.")
    per_round = problem.with_budget(problem.budget / rounds)
    first: PlanResult | None = None
    allocations: list[dict[str, int]] = []
    res = None
    for _ in range(rounds):
        res = plan_batch(model, per_round, objective, **kwargs)
        first = first or res
        allocations.append(res.allocation)
        per_round = per_round.with_operating(advance(per_round.operating, res.allocation))
    assert first is not None and res is not None
    prov = dict(first.provenance)
    prov.update({"rounds": rounds, "round_budget": problem.budget / rounds,
                 "final_expected_error": {t: s.mean for t, s in res.expected_error.items()},
                 "final_p_target": res.p_target})
    return replace(first, rounds=allocations, provenance=prov)


def recommend(model: ErrorModel, problem: PlanProblem, objective: Objective,
              settings: Any) -> PlanResult:
    """The batch to run now under ``settings`` (a :class:`PlanSettings`).

    ``settings.remaining_rounds > 1``: the sequential policy (:func:`plan_next_round`);
    otherwise :func:`plan_rounds` with ``settings.rounds``.

    Examples
    --------
    >>> recommend(model, problem, objective, settings).allocation  # doctest: +SKIP
    {'mp': 12000, 'real:gap': 0}
    """
    if settings.remaining_rounds > 1:
        return plan_next_round(model, problem, settings.probability,
                               settings.remaining_rounds, penalty=settings.penalty,
                               seed=settings.seed)
    return plan_rounds(model, problem, objective, rounds=settings.rounds, seed=settings.seed)
