"""The BoTorch planner: budget and integrality always hold; known right answers."""

from __future__ import annotations

import numpy as np
import pytest

from sim2real.models.errors import PlanningError
from sim2real.planner.acquisition import (
    cvar,
    expected_error,
    make_objective,
    min_cost_with_probability,
    prob_all_targets,
)
from sim2real.planner.optim.multiround import plan_rounds
from sim2real.planner.optim.optimizer import plan_batch
from sim2real.planner.optim.problem import OperatingPoint, PlanProblem, Source, parse_source_name
from sim2real.planner.optim.repair import is_feasible, repair
from tests.planner.planner_fixtures import noisy, one_task


def _problem(op: OperatingPoint, budget: float, sim_cost: float = 1.0,
             real_cost: float = 100.0, target: float | None = 0.2, **kw) -> PlanProblem:
    sources = (Source("mp", sim_cost, **kw), Source("real:a", real_cost))
    return PlanProblem(sources, budget, op, targets={"a": target} if target else {})


def test_repair_never_exceeds_budgets_random() -> None:
    rng = np.random.default_rng(1)
    op = OperatingPoint({("a", "mp"): 10.0, ("a", "md"): 10.0}, {("a", "mp"): 5.0,
                        ("a", "md"): 5.0}, {"a": 5.0})
    for _ in range(300):
        srcs = (Source("mp", float(rng.uniform(0.1, 5)), granularity=int(rng.integers(1, 50)),
                       budget=float(rng.uniform(50, 500))),
                Source("md", float(rng.uniform(0.1, 5)), max=int(rng.integers(0, 300))),
                Source("real:a", float(rng.uniform(10, 300)), min=int(rng.integers(0, 2))))
        budget = float(rng.uniform(400, 2000))
        prob = PlanProblem(srcs, budget, op)
        x = rng.uniform(0, 1, 3) * budget / prob.costs * 1.5          # often infeasible
        y = repair(x, prob, score=lambda z, x=x: -np.abs(z - x).sum(1))
        assert is_feasible(y, prob)
        assert (y * prob.costs).sum() <= budget + 1e-9
        assert y.dtype.kind == "i"


@pytest.mark.parametrize("objective", [expected_error(), prob_all_targets(), cvar(0.8),
                                       min_cost_with_probability(0.9)])
def test_plan_is_integer_and_within_budget(objective) -> None:
    model, op = one_task(noisy(0.05, 2.0, 0.5, seed=1), noisy(0.05, 3.0, 0.4, 50.0, seed=2))
    prob = _problem(op, 3333.0, granularity=7)
    res = plan_batch(model, prob, objective)
    assert res.total_cost <= 3333.0
    assert all(isinstance(v, int) for v in res.allocation.values())
    assert res.allocation["mp"] % 7 == 0
    assert set(res.expected_error) == {"a"} and 0 <= res.p_target["a"] <= 1


def test_floor_above_target_buys_experiments() -> None:
    # Transfer floor 0.3 > target 0.2: simulations cannot help; experiments can.
    model, op = one_task(noisy(0.05, 2.0, 0.5, seed=1), noisy(0.3, 3.0, 0.4, 50.0, seed=2))
    for obj in (min_cost_with_probability(0.9), prob_all_targets(), expected_error()):
        res = plan_batch(model, _problem(op, 50_000.0, sim_cost=1.0, real_cost=100.0), obj)
        assert res.allocation["real:a"] > 0
        assert res.allocation["mp"] * 1.0 < 0.05 * res.total_cost, obj.name
    assert res.p_target["a"] > 0.9


def test_cheap_steep_simulations_are_chosen() -> None:
    model, op = one_task(noisy(0.05, 2.0, 0.3, seed=1), noisy(0.01, 3.0, 0.8, 50.0, seed=2))
    prob = _problem(op, 20_000.0, sim_cost=1.0, real_cost=1000.0, target=0.015)
    for obj in (expected_error(), min_cost_with_probability(0.9)):
        res = plan_batch(model, prob, obj)
        assert res.allocation["real:a"] == 0
        assert res.allocation["mp"] > 0
    assert res.p_target["a"] >= 0.9
    assert res.total_cost < 20_000.0  # min-cost does not spend what it does not need


def test_min_cost_spends_less_than_expected_error_when_target_easy() -> None:
    model, op = one_task(noisy(0.05, 2.0, 0.5, seed=1), noisy(0.02, 3.0, 0.5, 50.0, seed=2))
    prob = _problem(op, 100_000.0, target=0.1)
    cheap = plan_batch(model, prob, min_cost_with_probability(0.9))
    full = plan_batch(model, prob, expected_error())
    assert cheap.p_target["a"] >= 0.9
    assert cheap.total_cost < 0.5 * full.total_cost


def test_unreachable_target_falls_back_to_expected_error() -> None:
    # Both floors (0.05) are above the target 0.01: no batch has any probability, so the
    # probability objective alone would buy nothing; the plan reduces the error instead.
    model, op = one_task(noisy(0.05, 2.0, 0.5, seed=1), noisy(0.05, 3.0, 0.4, 50.0, seed=2))
    prob = _problem(op, 5000.0, target=0.01)
    res = plan_batch(model, prob, min_cost_with_probability(0.9))
    assert res.objective == "expected_error"
    assert "no posterior draw meets any target" in res.provenance["fallback"]
    assert res.total_cost > 0.9 * 5000.0
    assert res.expected_error["a"].mean < res.current_error["a"].mean
    reachable = plan_batch(model, _problem(op, 5000.0, target=0.2),
                           min_cost_with_probability(0.9))
    assert "fallback" not in reachable.provenance


def test_multiround_first_round_is_allocation() -> None:
    model, op = one_task(noisy(0.05, 2.0, 0.5, seed=1), noisy(0.05, 3.0, 0.4, 50.0, seed=2))
    res = plan_rounds(model, _problem(op, 3000.0), expected_error(), rounds=3)
    assert len(res.rounds) == 3 and res.rounds[0] == res.allocation
    costs = {"mp": 1.0, "real:a": 100.0}
    assert all(sum(costs[k] * v for k, v in r.items()) <= 1000.0 for r in res.rounds)
    assert res.provenance["rounds"] == 3


def test_problem_errors() -> None:
    _, op = one_task(noisy(0.05, 2.0, 0.5), noisy(0.05, 3.0, 0.4, 50.0))
    with pytest.raises(PlanningError, match="unknown source"):
        PlanProblem((Source("nope", 1.0),), 100.0, op)
    with pytest.raises(PlanningError, match="cost"):
        Source("mp", 0.0)
    with pytest.raises(PlanningError, match="cost"):
        Source("mp", -1.0)
    with pytest.raises(PlanningError, match="cheapest"):
        PlanProblem((Source("mp", 5.0),), 4.0, op)
    with pytest.raises(PlanningError, match="> 0"):
        PlanProblem((Source("mp", 1.0),), 100.0, op, targets={"a": 0.0})
    with pytest.raises(PlanningError, match="no data"):
        PlanProblem((Source("real:b", 1.0),), 100.0, op)
    with pytest.raises(PlanningError, match="no data"):
        PlanProblem((Source("mp", 1.0),), 100.0, op, targets={"b": 0.1})
    with pytest.raises(PlanningError, match="needs"):
        plan_batch(one_task(noisy(0.05, 2.0, 0.5), noisy(0.05, 3.0, 0.4, 50.0))[0],
                   PlanProblem((Source("mp", 1.0),), 100.0, op), prob_all_targets())
    assert parse_source_name("real", ["a"]) == "real:a"


def test_objective_factories_check_arguments() -> None:
    with pytest.raises(PlanningError):
        cvar(1.0)
    with pytest.raises(PlanningError):
        min_cost_with_probability(1.5)
    with pytest.raises(PlanningError):
        min_cost_with_probability(0.9, penalty=0.0)
    with pytest.raises(PlanningError):
        expected_error({"a": -1.0})
    with pytest.raises(PlanningError):
        make_objective("nope")
