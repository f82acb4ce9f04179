"""Monte Carlo objectives over posterior draws (higher utility = better batch).

Each factory checks its arguments and returns a frozen :class:`Objective`. An objective
maps task error draws ``(b, S, T)`` and batch costs ``(b,)`` to a utility ``(b,)``; with
``smooth=True`` indicator functions are replaced by sigmoids in log-error (temperature
``tau``) so that the continuous relaxation has gradients; the exact utility
(``smooth=False``) is used for the integer repair and for reporting.

Examples
--------
>>> import torch
>>> obj = expected_error()
>>> e = torch.tensor([[[0.2, 0.4], [0.4, 0.6]]])      # b=1, S=2, T=2
>>> ctx = ObjectiveContext(targets=torch.tensor([0.5, 0.5]), weights=torch.ones(2),
...                        budget=1.0)
>>> round(float(obj.utility(e, torch.zeros(1), ctx)), 6)
-0.8
>>> float(prob_all_targets().utility(e, torch.zeros(1), ctx, smooth=False)) > 0.49
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sim2real.models.errors import PlanningError

TAU = 0.05
TIE = 1e-4


@dataclass(frozen=True)
class ObjectiveContext:
    """Per-problem constants: targets ``(T,)`` (``nan`` = no target), weights, budget, and
    optional per-task required probabilities ``levels`` ``(T,)``."""

    targets: Any
    weights: Any
    budget: float
    levels: Any = None


@dataclass(frozen=True)
class Objective:
    """A named risk-aware utility over posterior draws."""

    name: str
    level: float = 0.9
    probability: float = 0.9
    penalty: float = 100.0
    weights: Mapping[str, float] | None = None
    targets: Mapping[str, float] | None = None
    needs_targets: bool = field(default=False)
    joint: bool = True
    levels: Mapping[str, float] | None = None

    def utility(self, errors: Any, cost: Any, ctx: ObjectiveContext,
                smooth: bool = True) -> Any:
        """Utility of each batch, shape ``(b,)`` (errors ``(b, S, T)``, cost ``(b,)``)."""
        weighted = (errors * ctx.weights).sum(-1)                    # (b, S)
        tie = -TIE * weighted.mean(-1)
        if self.name == "expected_error":
            return -weighted.mean(-1)
        if self.name == "cvar":
            s = weighted.shape[-1]
            k = max(1, math.ceil((1.0 - self.level) * s))
            return -weighted.topk(k, dim=-1).values.mean(-1)
        met = targets_met(errors, ctx.targets, smooth)                # (b, S, T')
        p_all = met.prod(-1).mean(-1)
        if self.name == "prob_all_targets":
            return p_all + tie
        # min_cost_with_probability: cost + penalty * shortfall, in budget units. The
        # per-task shortfalls are zero whenever the joint one is (P_t >= P_all), so they
        # do not move the feasible optimum; they give a direction when P_all is flat at 0.
        need = self.probability
        per_task = need if ctx.levels is None else task_levels(ctx.levels, ctx.targets)
        shortfall = (per_task - met.mean(-2)).clamp(min=0.0).mean(-1)
        if self.joint:
            shortfall = shortfall + (need - p_all).clamp(min=0.0)
        return -(cost / ctx.budget * cost_tie(weighted) + self.penalty * shortfall)


def cost_tie(weighted: Any) -> Any:
    """Factor ``1 + TIE * e / (1 + e)`` on the batch cost (``e``: mean weighted error).

    Of two batches of (nearly) equal cost, the one with the lower error is preferred; the
    factor is below ``1 + TIE``, so it can never outweigh a cost difference larger than
    ``TIE`` times the cost. Being relative to the batch's own cost, it keeps the cheapest
    batch the same whatever the budget once the budget is not binding (an additive tie
    ``TIE * e`` outweighed the cost term ``cost / budget`` at huge budgets, and a budget of
    1e12 bought millions of samples where 1e6 bought a few hundred thousand). At a
    binding budget (``cost == budget``) it equals the additive tie up to the bound on e.

    Examples
    --------
    >>> import torch
    >>> round(float(cost_tie(torch.tensor([[1.0, 1.0]]))[0]), 6)
    1.00005
    """
    e = weighted.mean(-1)
    return 1.0 + TIE * e / (1.0 + e)


def targets_met(errors: Any, targets: Any, smooth: bool = False) -> Any:
    """Per draw and task with a target, 1 if met (sigmoid in log-error if ``smooth``)."""
    import torch

    has = ~torch.isnan(targets)
    if not bool(has.any()):
        raise PlanningError("this objective needs at least one --target TASK=ERROR.")
    e, t = errors[..., has], targets[has]
    if smooth:
        return torch.sigmoid((torch.log(t) - torch.log(e)) / TAU)
    return (e <= t).to(errors.dtype)


def task_levels(levels: Any, targets: Any) -> Any:
    """Required probabilities of the tasks that have a target (``targets_met`` order)."""
    import torch

    return levels[~torch.isnan(targets)]


def p_all_targets(errors: Any, targets: Any, smooth: bool = False) -> Any:
    """P(every task with a target meets it), shape ``(b,)``; sigmoid-smoothed if asked."""
    return targets_met(errors, targets, smooth).prod(-1).mean(-1)


def expected_error(weights: Mapping[str, float] | None = None) -> Objective:
    """Minimize the posterior expected weighted sum of task errors."""
    _check_weights(weights)
    return Objective("expected_error", weights=weights)


def prob_all_targets(targets: Mapping[str, float] | None = None) -> Objective:
    """Maximize P(every task meets its target) (targets default to the problem's)."""
    if targets is not None and any(not (v > 0) for v in targets.values()):
        raise PlanningError("targets must be > 0.")
    return Objective("prob_all_targets", targets=targets, needs_targets=True)


def cvar(level: float = 0.9, weights: Mapping[str, float] | None = None) -> Objective:
    """Minimize CVaR_level of the weighted error (mean of the worst ``1 - level`` draws)."""
    if not 0.0 <= level < 1.0:
        raise PlanningError(f"CVaR level must be in [0, 1), got {level}.")
    _check_weights(weights)
    return Objective("cvar", level=level, weights=weights)


def min_cost_with_probability(probability: float = 0.9, penalty: float = 100.0,
                              joint: bool = True,
                              levels: Mapping[str, float] | None = None) -> Objective:
    """Minimize cost + penalty x shortfall of P(all targets met) below ``probability``.

    Cost and penalty are in units of the budget: a failure penalty in the spirit of
    Mahmood et al. (NeurIPS 2022), so the batch is the cheapest one that reaches the
    required probability when the budget allows it, and otherwise the one that gets
    closest. The shortfall is ``max(0, p - P_all) + mean_t max(0, p - P_t)``; both terms
    vanish exactly when the joint requirement holds. With ``joint=False`` only the per-task
    term is kept: every task on its own must reach ``probability`` (used by the sequential
    policy's early rounds, :mod:`planner.optim.sequential`). ``levels`` overrides the
    per-task term's requirement for the tasks it names (each in [0, 1)). Among batches of
    nearly equal cost the one with the lower error wins (:func:`cost_tie`, relative to the
    cost, so a budget that is not binding does not change the plan).

    Examples
    --------
    >>> min_cost_with_probability(0.5, joint=False).joint
    False
    """
    if not 0.0 < probability < 1.0:
        raise PlanningError(f"required probability must be in (0, 1), got {probability}. "
                            "Fix: pass e.g. --probability 0.9.")
    if not penalty > 0:
        raise PlanningError(f"penalty must be > 0, got {penalty}.")
    if levels is not None and any(not 0.0 <= v < 1.0 for v in levels.values()):
        raise PlanningError(f"per-task probability levels must be in [0, 1), got {levels}.")
    return Objective("min_cost_with_probability", probability=probability, penalty=penalty,
                     needs_targets=True, joint=joint,
                     levels=None if levels is None else dict(levels))


def make_objective(name: str, **kwargs: Any) -> Objective:
    """Build an objective from its name (CLI helper).

    Examples
    --------
    >>> make_objective("cvar", level=0.8).level
    0.8
    """
    factories = {"expected_error": expected_error, "prob_all_targets": prob_all_targets,
                 "cvar": cvar, "min_cost_with_probability": min_cost_with_probability}
    if name not in factories:
        raise PlanningError(f"unknown objective '{name}'; choose one of {sorted(factories)}. "
                            "Fix: pass e.g. --objective expected_error.")
    return factories[name](**kwargs)  # type: ignore[operator]


def _check_weights(weights: Mapping[str, float] | None) -> None:
    if weights is not None and any(not (w >= 0) for w in weights.values()):
        raise PlanningError("task weights must be >= 0.")
