"""Preposterior analysis: reweighting, the sequential schedule forecast, pilot values."""

from __future__ import annotations

import numpy as np
import pytest

from sim2real.models.errors import PlanningError
from sim2real.planner.optim.pilot import pilot_candidates, pilot_value
from sim2real.planner.optim.preposterior import (
    DrawSubset,
    forecast_schedule,
    reweight,
    round_trigger,
)
from sim2real.planner.optim.problem import OperatingPoint, PlanProblem, Source
from sim2real.planner.optim.sequential import plan_next_round


class Uncertain:
    """Scratch curve E(m) = 0.05 + 2 m^-alpha_d, alpha_d spread over draws; noise sigma."""

    def __init__(self, alpha: np.ndarray, sigma: float = 0.05) -> None:
        self.alpha = np.asarray(alpha, dtype=float)
        self.sigma = sigma
        self.nu_draws = None

    @property
    def n_draws(self) -> int:
        return int(self.alpha.size)

    def error_draws(self, task: str, src: str, n_sim: object, n_real: object) -> object:
        if type(n_real).__module__.startswith("torch"):
            import torch

            m = torch.atleast_1d(n_real)                     # type: ignore[arg-type]
            a = torch.as_tensor(self.alpha, dtype=torch.float64)[:, None]
            return 0.05 + 2.0 * m[None, :] ** -a
        m = np.atleast_1d(np.asarray(n_real, dtype=float))
        return 0.05 + 2.0 * m[None, :] ** -self.alpha[:, None]

    def noise_draws(self, task: str, src: str, n_sim: object, n_real: object) -> object:
        shape = tuple(getattr(n_real, "shape", np.shape(n_real)))
        return np.full((self.n_draws, *shape), self.sigma)


def _problem(budget: float = 2e4, setup: float = 0.0) -> PlanProblem:
    op = OperatingPoint({}, {}, {"t": 50.0})
    return PlanProblem((Source("real:t", 1.0, setup=setup),), budget, op, {"t": 0.2})


def _spread(n: int = 300) -> Uncertain:
    return Uncertain(np.linspace(0.35, 0.65, n))


def test_reweight_concentrates_on_the_draws_near_the_measurement() -> None:
    model = _spread()
    rng = np.random.default_rng(0)
    truth = 100
    m = np.array([400.0])
    y = np.log(np.asarray(model.error_draws("t", "none", 0, m))[:, 0])
    loglik = -0.5 * ((y - y[truth]) / 0.01) ** 2
    idx, ess = reweight(loglik, 200, rng, exclude=truth)
    assert truth not in set(idx.tolist())                   # the truth itself is left out
    assert abs(np.median(model.alpha[idx]) - model.alpha[truth]) < 0.01
    assert ess < 20 and np.ptp(model.alpha[idx]) < 0.05
    with pytest.raises(PlanningError):
        reweight(np.full(3, -np.inf), 4, rng)


def test_draw_subset_keeps_noise_and_indexes_numpy_and_torch() -> None:
    import torch

    model = _spread(5)
    sub = DrawSubset(model, [4, 4, 0])
    assert sub.n_draws == 3
    np.testing.assert_allclose(sub.error_draws("t", "none", 0, np.array([10.0]))[:, 0],
                               0.05 + 2.0 * 10.0 ** -model.alpha[[4, 4, 0]])
    t = sub.error_draws("t", "none", 0, torch.tensor([10.0], dtype=torch.float64))
    assert isinstance(t, torch.Tensor) and t.shape == (3, 1)
    assert sub.noise_draws("t", "none", 0, 10.0).shape == (3,)

    class Quiet(Uncertain):
        noise_draws = None      # type: ignore[assignment]

    assert DrawSubset(Quiet(model.alpha), [0]).noise_draws is None


def test_pilot_candidate_is_the_geometric_midpoint_rounded_to_granularity() -> None:
    op = OperatingPoint({("t", "db"): 1000.0}, {("t", "db"): 50.0}, {"t": 50.0})
    p = PlanProblem((Source("real:t", 1.0), Source("db", 0.01, granularity=100)), 1e4, op,
                    {"t": 0.2})
    assert pilot_candidates(p, {"real:t": 150, "db": 8000}) == [{"real:t": 50},
                                                                  {"db": 2000}]
    assert pilot_candidates(p, {"real:t": 0, "db": 0}) == []


def test_pilot_pays_off_when_the_exponent_is_uncertain_and_not_when_it_is_known() -> None:
    problem = _problem()
    v = pilot_value(_spread(200), problem, 0.9, worlds=8, seed=1)
    assert v.options and v.recommended is not None
    best = max(v.options, key=lambda o: o.saving)
    assert best.saving > 0.1 * v.commit_cost                # learning alpha first is cheaper
    assert best.expected_total_cost == pytest.approx(v.commit_cost - best.saving)
    assert best.saving > 2 * best.cost_se and best.failure <= v.commit_failure + 0.01
    # every draw the same curve: measuring first only adds a second set-up cost
    known = pilot_value(Uncertain(np.full(200, 0.5)), _problem(setup=500.0), 0.9,
                        worlds=4, seed=1)
    assert known.recommended is None
    assert all(o.saving < 0 for o in known.options)
    assert known.note.startswith("no pilot pays for itself")


def test_schedule_forecast_simulates_every_round() -> None:
    problem = _problem()
    model = _spread()
    first = plan_next_round(model, problem, 0.9, remaining=2)
    fc = forecast_schedule(model, problem, 0.9, 2, first, worlds=6, seed=2)
    assert [r["round"] for r in fc.rounds] == [1, 2]
    assert fc.rounds[0]["share_buying"] == 1.0
    assert fc.rounds[0]["mean_cost"] == pytest.approx(first.total_cost)
    assert fc.expected_total_cost >= first.total_cost
    assert fc.cost_q10 <= fc.cost_q50 <= fc.cost_q90
    assert 0.0 <= fc.failure <= 1.0 and fc.ess_min > 0
    assert "--rounds-left 1" in fc.rounds[1]["trigger"]
    assert fc.to_dict()["worlds"] == 6
    with pytest.raises(PlanningError, match="at least 2"):
        forecast_schedule(model, problem, 0.9, 2, first, worlds=1)


def test_round_trigger_names_the_requirement() -> None:
    assert "0.45 x its probability" in round_trigger(2, 3, 0.9)
    assert "P(all targets met) >= 0.9" in round_trigger(2, 2, 0.9)
