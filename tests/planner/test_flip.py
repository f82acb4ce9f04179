"""Price flip points on a known-answer model: one simulation is worth ``k`` experiments at
every size, so an expected-error planner buys experiments below a price ratio of ``1/k``
simulations per experiment and simulations above it."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim2real.models.errors import UnknownCurveError
from sim2real.planner.acquisition import expected_error
from sim2real.planner.optim.flip import (
    ThinnedModel,
    flip_point,
    flip_points,
    share_of_simulations,
)
from sim2real.planner.optim.optimizer import plan_batch
from sim2real.planner.optim.problem import OperatingPoint, PlanProblem, Source

K = 0.01   # one simulation = 0.01 experiments: flip at 100 simulations per experiment


class Surface:
    """E(n, m) = 0.05 + (m + k_s n)^-0.5 per draw s (k_s log-normal around K)."""

    def __init__(self, n_draws: int = 64, spread: float = 0.3) -> None:
        z = np.random.default_rng(0).standard_normal(n_draws)
        self.k = K * np.exp(spread * (z - z.mean()) / z.std())
        self.n_draws = n_draws

    def error_draws(self, task: str, sim_source: str, n_sim: Any, n_real: Any) -> Any:
        if task != "gap" or sim_source not in ("none", "mp"):
            raise UnknownCurveError(f"{task}/{sim_source}")
        if type(n_sim).__module__.startswith("torch") or \
                type(n_real).__module__.startswith("torch"):
            import torch

            n = torch.as_tensor(n_sim, dtype=torch.float64).reshape(-1)
            m = torch.as_tensor(n_real, dtype=torch.float64).reshape(-1)
            k = torch.as_tensor(self.k)[:, None] * (0.0 if sim_source == "none" else 1.0)
            return 0.05 + (m[None, :] + k * n[None, :]) ** -0.5
        n = np.atleast_1d(np.asarray(n_sim, dtype=float))
        m = np.atleast_1d(np.asarray(n_real, dtype=float))
        k = self.k[:, None] * (0.0 if sim_source == "none" else 1.0)
        return 0.05 + (m[None, :] + k * n[None, :]) ** -0.5


def problem(ratio: float = 100.0) -> PlanProblem:
    op = OperatingPoint({("gap", "mp"): 1000.0}, {("gap", "mp"): 100.0}, {"gap": 100.0})
    return PlanProblem((Source("mp", 1.0), Source("real:gap", ratio)), 20_000.0, op)


def planner(model: Any, prob: PlanProblem) -> Any:
    return plan_batch(model, prob, expected_error(), num_restarts=2, raw_samples=64,
                      maxiter=60)


def test_share_of_simulations() -> None:
    costs = {"mp": 1.0, "real:gap": 100.0}
    assert share_of_simulations({"mp": 100, "real:gap": 1}, costs, "mp", "real:gap") == 0.5
    assert math.isnan(share_of_simulations({}, costs, "mp", "real:gap"))


def test_flip_ratio_recovers_the_known_exchange_rate() -> None:
    model = Surface()
    point = flip_point(model, problem(), planner, "real:gap", "mp", grid=(10.0, 1000.0),
                       bisections=4)
    assert point.below == "experiments" and point.above == "simulations"
    assert point.ratio is not None
    assert 100 / 1.6 < point.ratio < 100 * 1.6                     # 1/K = 100
    assert point.rate_q05 < 100 < point.rate_q95                   # interval covers it
    assert point.rate_q05 < point.ratio < point.rate_q95


def test_no_flip_inside_the_scanned_range_is_said() -> None:
    model = Surface()
    point = flip_point(model, problem(), planner, "real:gap", "mp", grid=(1000.0, 10_000.0))
    assert point.ratio is None and point.below == point.above == "simulations"
    assert "no change" in point.note


def test_flip_points_thin_the_scan_and_use_every_draw_for_the_interval() -> None:
    model = Surface(n_draws=64)
    assert ThinnedModel(model, 4).n_draws == 16
    (point,) = flip_points(model, problem(), planner, scan_draws=16, grid=(10.0, 1000.0),
                           bisections=3)
    assert point.experiment == "real:gap" and point.database == "mp"
    assert point.ratio is not None and 100 / 2 < point.ratio < 100 * 2
    assert point.to_dict()["ratio"] == point.ratio


class SingleAxis(Surface):
    """The same model, but the database route exists only at the measured n_real = 100."""

    def error_draws(self, task: str, sim_source: str, n_sim: Any, n_real: Any) -> Any:
        m = n_real.detach().numpy() if hasattr(n_real, "detach") else n_real
        if sim_source == "mp" and not np.allclose(np.asarray(m, dtype=float), 100.0):
            raise UnknownCurveError("single-axis")
        return super().error_draws(task, sim_source, n_sim, n_real)


def test_flip_on_a_single_axis_model_gives_a_rate_at_the_measured_n_real() -> None:
    (point,) = flip_points(SingleAxis(n_draws=16), problem(), planner, scan_draws=16,
                           grid=(10.0, 1000.0), bisections=1)
    assert np.isfinite(point.rate_q50)     # release of this module: KeyError 'sim_source'
