"""BoTorch side of the planner: posterior draws as an ensemble model and risk objectives."""

from sim2real.planner.acquisition.objectives import (
    Objective,
    cvar,
    expected_error,
    make_objective,
    min_cost_with_probability,
    prob_all_targets,
)

__all__ = ["Objective", "cvar", "expected_error", "make_objective",
           "min_cost_with_probability", "prob_all_targets"]
