"""Two named probabilities: a training run reaches the target, or the expected error does."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim2real.models.errors import PlanningError
from sim2real.planner.acquisition import min_cost_with_probability
from sim2real.planner.optim.evaluate import TaskErrorEvaluator
from sim2real.planner.optim.optimizer import plan_batch
from sim2real.planner.optim.problem import OperatingPoint, PlanProblem, Source

S = 4000


class Noisy:
    """Scratch curve E(m) = 0.2 + 3 m^-0.5 in every draw, replicate noise sigma."""

    n_draws = S
    nu_draws = None

    def __init__(self, sigma: float) -> None:
        self.sigma = sigma

    def error_draws(self, task: str, src: str, n_sim: object, n_real: object) -> object:
        if type(n_real).__module__.startswith("torch"):
            import torch

            m = torch.atleast_1d(n_real)                     # type: ignore[arg-type]
            return (0.2 + 3.0 * m[None, :] ** -0.5).expand(S, m.numel())
        m = np.atleast_1d(np.asarray(n_real, dtype=float))
        return np.broadcast_to(0.2 + 3.0 * m[None, :] ** -0.5, (S, m.size)).copy()

    def noise_draws(self, task: str, src: str, n_sim: float, n_real: float) -> np.ndarray:
        return np.full(S, self.sigma)


class Quiet(Noisy):
    noise_draws = None      # type: ignore[assignment]


def _problem(kind: str = "run", budget: float = 1e5) -> PlanProblem:
    op = OperatingPoint({}, {}, {"t": 100.0})
    return PlanProblem((Source("real:t", 1.0),), budget, op, {"t": 0.3}, probability_of=kind)


def test_run_level_draws_scatter_around_the_expected_error() -> None:
    ev = TaskErrorEvaluator(Noisy(0.2), _problem())
    assert ev.run_noise
    x = np.array([[800.0]])
    run, expected = ev(x)[:, 0, 0], ev(x, run=False)[:, 0, 0]
    assert np.ptp(expected) == 0 and np.std(np.log(run)) == pytest.approx(0.2, rel=0.05)
    np.testing.assert_allclose(ev(x)[:, 0, 0], run)          # common random numbers
    # P(run <= target) is the log-normal probability around the expected error
    e = 0.2 + 3.0 * 900.0 ** -0.5
    want = 0.5 * (1 + math.erf(math.log(0.32 / e) / (0.2 * math.sqrt(2))))
    assert np.mean(run <= 0.32) == pytest.approx(want, abs=0.03)


class Shrinking(Noisy):
    """Replicate noise that falls with size: sigma (m / 100)^-0.5."""

    def noise_draws(self, task: str, src: str, n_sim: object, n_real: object) -> object:
        if type(n_real).__module__.startswith("torch"):
            import torch

            m = torch.atleast_1d(n_real)                     # type: ignore[arg-type]
            return (self.sigma * (m[None, :] / 100.0) ** -0.5).expand(S, m.numel())
        m = np.atleast_1d(np.asarray(n_real, dtype=float))
        return np.broadcast_to(self.sigma * (m[None, :] / 100.0) ** -0.5, (S, m.size))


def test_run_noise_is_taken_at_the_batch_size() -> None:
    import torch

    ev = TaskErrorEvaluator(Shrinking(0.4), _problem())
    x = np.array([[0.0], [300.0], [1500.0]])              # m = 100, 400, 1600
    run, expected = ev(x)[:, :, 0], ev(x, run=False)[:, :, 0]
    spread = np.std(np.log(run / expected), axis=0)
    np.testing.assert_allclose(spread, 0.4 * np.array([1.0, 0.5, 0.25]), rtol=0.05)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = ev(xt)
    np.testing.assert_allclose(out.detach().numpy()[:, :, 0], run)   # torch == NumPy
    out.mean().backward()
    assert xt.grad is not None and bool(torch.isfinite(xt.grad).all())


def test_plan_reports_both_probabilities_and_buys_more_for_a_run() -> None:
    obj = min_cost_with_probability(probability=0.9)
    run = plan_batch(Noisy(0.1), _problem("run"), obj, seed=0)
    exp = plan_batch(Noisy(0.1), _problem("expected"), obj, seed=0)
    assert run.probability_of == "run" and exp.probability_of == "expected"
    assert run.p_target["t"] >= 0.88 and exp.p_target["t"] >= 0.88
    assert exp.p_target == exp.p_target_expected
    assert run.p_target_expected["t"] == 1.0        # the expected error is deterministic
    # a run must clear the noise: more experiments than the expected error needs
    assert run.allocation["real:t"] > 1.5 * exp.allocation["real:t"]
    # the reported error summary stays the expected error's
    assert run.expected_error["t"].q05 == pytest.approx(run.expected_error["t"].q95)
    assert run.to_dict()["probability_of"] == "run"


def test_models_without_noise_fall_back_to_the_expected_error() -> None:
    res = plan_batch(Quiet(0.1), _problem("run"), min_cost_with_probability(probability=0.9),
                     seed=0)
    assert res.probability_of == "expected" and res.p_target == res.p_target_expected


def test_probability_of_is_validated() -> None:
    with pytest.raises(PlanningError, match="probability_of"):
        _problem("sometimes")


def test_huge_run_noise_keeps_gradients_finite_and_the_plan_going() -> None:
    # a non-converged fit whose noise grows with size can put sigma in the thousands far
    # beyond its data; exp(sigma eps) then overflowed and NaN gradients stopped BoTorch
    import torch

    ev = TaskErrorEvaluator(Noisy(5000.0), _problem())
    x = torch.tensor([[900.0]], dtype=torch.float64, requires_grad=True)
    y = ev(x)
    assert torch.isfinite(y).all()
    (g,) = torch.autograd.grad(y.sum(), x)
    assert torch.isfinite(g).all()
    res = plan_batch(Noisy(5000.0), _problem(), min_cost_with_probability(0.9), seed=0,
                     num_restarts=2, raw_samples=16)
    assert res.total_cost <= 1e5
