"""Posterior draws as a BoTorch ensemble model, and the acquisition over all draws.

The ensemble members are the S posterior draws of the error model; outputs are the T task
errors after a batch. The acquisition is a Monte Carlo (sample-average) utility over every
draw, so optimization is deterministic.

Examples
--------
>>> ens = DrawEnsembleModel(evaluator, lower, upper)  # doctest: +SKIP
>>> acq = PosteriorUtility(ens, objective, ctx, costs)  # doctest: +SKIP
>>> acq(torch.rand(5, 1, d)).shape  # doctest: +SKIP
torch.Size([5])
"""

from __future__ import annotations

from typing import Any

from botorch.acquisition import AcquisitionFunction
from botorch.models.ensemble import EnsembleModel
from botorch.utils.transforms import t_batch_mode_transform
from torch import Tensor

from sim2real.planner.acquisition.objectives import Objective, ObjectiveContext
from sim2real.planner.optim.evaluate import TaskErrorEvaluator


class DrawEnsembleModel(EnsembleModel):
    """Ensemble model over unit-cube inputs ``u``: batch ``x = lower + u * (upper - lower)``.

    ``forward`` returns ``batch x S x q x T`` error draws.
    """

    def __init__(self, evaluator: TaskErrorEvaluator, lower: Tensor, upper: Tensor) -> None:
        super().__init__()
        self.evaluator = evaluator
        self.register_buffer("lower", lower)
        self.register_buffer("span", upper - lower)
        self._num_outputs = len(evaluator.tasks)

    def to_counts(self, U: Tensor) -> Tensor:
        """Unit cube -> sample counts."""
        lower: Tensor = self.lower  # type: ignore[assignment]
        span: Tensor = self.span  # type: ignore[assignment]
        return lower + U * span

    def forward(self, X: Tensor) -> Tensor:
        """Error draws, shape ``batch x S x q x T``."""
        counts = self.to_counts(X)
        flat = counts.reshape(-1, counts.shape[-1])
        draws = self.evaluator(flat)                      # (S, B, T)
        out = draws.reshape(draws.shape[0], *counts.shape[:-1], draws.shape[-1])
        return out.movedim(0, -3)


class PosteriorUtility(AcquisitionFunction):
    """MC acquisition: the objective's utility averaged over every posterior draw (q=1)."""

    def __init__(self, model: DrawEnsembleModel, objective: Objective,
                 ctx: ObjectiveContext, costs: Tensor, smooth: bool = True) -> None:
        super().__init__(model=model)
        self.objective = objective
        self.ctx = ctx
        self.register_buffer("costs", costs)
        self.smooth = smooth

    @t_batch_mode_transform(expected_q=1)  # type: ignore[arg-type]
    def forward(self, X: Tensor) -> Tensor:
        """Utility of each t-batch, shape ``(b,)``."""
        model: Any = self.model
        values = model.posterior(X).values               # (b, S, 1, T)
        errors = values[..., 0, :]                        # (b, S, T)
        cost = (model.to_counts(X[..., 0, :]) * self.costs).sum(-1)
        return self.objective.utility(errors, cost, self.ctx, self.smooth)
