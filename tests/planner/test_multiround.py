"""Sequential (closed-loop) policy: probability schedule, per-task early rounds, budgets."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from sim2real.models.errors import PlanningError
from sim2real.models.evaluation.point_draws import CurveDraws, PowerLawDraws
from sim2real.planner.acquisition import min_cost_with_probability
from sim2real.planner.optim.optimizer import plan_batch
from sim2real.planner.optim.problem import OperatingPoint, PlanProblem, Source
from sim2real.planner.optim.sequential import plan_next_round, round_probability
from tests.planner.planner_fixtures import noisy, one_task


def test_round_probability_schedules() -> None:
    assert round_probability(0.9, 1) == 0.9
    assert round_probability(0.9, 1, "geometric") == pytest.approx(0.9)
    assert round_probability(0.9, 3) == pytest.approx(0.3)
    assert round_probability(0.9, 2, "geometric") == pytest.approx(1 - 0.1 ** 0.5)
    for schedule in ("ratio", "geometric"):
        ps = [round_probability(0.95, k, schedule) for k in (4, 3, 2, 1)]
        assert all(a < b for a, b in itertools.pairwise(ps))


@pytest.mark.parametrize(("args", "message"), [((1.0, 2), "(0, 1)"), ((0.9, 0), ">= 1"),
                                               ((0.9, 2, "linear"), "unknown schedule")])
def test_round_probability_rejects_bad_input(args: tuple, message: str) -> None:
    with pytest.raises(PlanningError, match=message.replace("(", r"\(").replace(")", r"\)")):
        round_probability(*args)


def _two_tasks(s: int = 400) -> tuple[PowerLawDraws, PlanProblem]:
    """Two independent tasks, each meeting its target now with probability ~0.6."""
    rng = np.random.default_rng(3)
    curves = {}
    for t in ("a", "b"):
        d = 3.0 * np.exp(0.5 * rng.standard_normal(s) - 0.5 * 0.2533)  # P(d < 3) ~ 0.6
        curves[(t, "none")] = CurveDraws(np.full(s, 0.05), d, np.full(s, 0.5))
    model = PowerLawDraws(curves)
    op = OperatingPoint({}, {}, {"a": 400.0, "b": 400.0})   # met now iff d < 3
    prob = PlanProblem((Source("real:a", 10.0), Source("real:b", 10.0)), 100_000.0, op,
                       targets={"a": 0.2, "b": 0.2})
    return model, prob


def test_per_task_requirement_is_weaker_than_joint() -> None:
    model, prob = _two_tasks()
    each = plan_batch(model, prob, min_cost_with_probability(0.5, joint=False))
    both = plan_batch(model, prob, min_cost_with_probability(0.5))
    assert each.total_cost == 0.0                 # each task already has P ~ 0.6 >= 0.5
    assert min(each.p_target.values()) >= 0.5
    assert each.p_all_targets is not None and each.p_all_targets < 0.5
    assert both.total_cost > 0.0 and both.p_all_targets is not None
    assert both.p_all_targets >= 0.5


def test_early_round_buys_less_than_one_shot_and_records_policy() -> None:
    # wide posterior of the exponent: the 0.9-quantile of the size needed is far above the
    # median; an early round asks for less and spends less.
    model, op = one_task(noisy(0.05, 2.0, 0.45, sd=0.1, s=100, seed=1),
                         noisy(0.3, 3.0, 0.4, 50.0, s=100, seed=2))
    prob = PlanProblem((Source("mp", 1.0), Source("real:a", 100.0)), 2_000_000.0, op,
                       targets={"a": 0.15})
    first = plan_next_round(model, prob, 0.9, remaining=3)
    last = plan_next_round(model, prob, 0.9, remaining=1)
    assert 0 < first.total_cost < 0.5 * last.total_cost
    assert last.total_cost <= 2_000_000.0
    prov = first.provenance
    assert prov["policy"] == "sequential" and prov["remaining_rounds"] == 3
    assert prov["round_probability"] == pytest.approx(0.3)
    assert prov["requirement"].startswith("each target")
    # early rounds ask for 0.3 x the probability the whole budget could reach
    assert 0.5 < prov["p_reachable_at_cap"]["a"] <= 1.0
    assert prov["levels"]["a"] == pytest.approx(0.3 * prov["p_reachable_at_cap"]["a"])
    assert first.p_target["a"] >= prov["levels"]["a"] - 1e-9
    assert last.p_all_targets is not None and last.p_all_targets >= 0.9
    assert last.provenance["requirement"] == "all targets jointly"
    assert first.provenance["optimizer"] == "botorch.optimize_acqf"


def test_sequential_round_respects_budget_and_grid() -> None:
    model, op = one_task(noisy(0.05, 2.0, 0.5, seed=1), noisy(0.05, 3.0, 0.4, 50.0, seed=2))
    prob = PlanProblem((Source("mp", 1.0, granularity=50), Source("real:a", 100.0)), 777.0,
                       op, targets={"a": 0.01})     # unreachable: spends, never overspends
    res = plan_next_round(model, prob, 0.9, remaining=2)
    assert res.total_cost <= 777.0 and res.allocation["mp"] % 50 == 0
    # no draw can meet 0.01 (floors 0.05): even an early round lowers the error rather
    # than asking for a zero share of a zero probability (an empty batch)
    assert res.objective == "expected_error" and res.total_cost > 0.9 * 777.0
    assert res.provenance["policy"] == "sequential" and "fallback" in res.provenance


def test_levels_override_per_task_requirement_and_are_checked() -> None:
    model, prob = _two_tasks()
    # task a must reach 0.9 on its own, task b only 0.1: buys experiments of a only
    res = plan_batch(model, prob, min_cost_with_probability(0.5, joint=False,
                                                            levels={"a": 0.9, "b": 0.1}))
    assert res.allocation["real:a"] > 0 and res.allocation["real:b"] == 0
    assert res.p_target["a"] >= 0.9
    with pytest.raises(PlanningError, match="levels"):
        min_cost_with_probability(0.5, levels={"a": 1.0})


def test_early_round_already_met_takes_the_next_rounds_requirement() -> None:
    # each task meets its target now with P ~ 0.6, above round 1's 0.3 of 0.9: an empty
    # batch would bring no data, so the round asks for round 2's 0.45, then 0.9 jointly
    from sim2real.planner.optim.sequential import probability_now

    model, prob = _two_tasks()
    now = probability_now(model, prob)
    assert all(0.5 < v < 0.7 for v in now.values())
    res = plan_next_round(model, prob, 0.9, remaining=3)
    prov = res.provenance
    assert prov["rounds_advanced"] == 2 and prov["requirement"] == "all targets jointly"
    assert prov["round_probability"] == pytest.approx(0.9)
    assert res.total_cost > 0 and res.p_all_targets is not None
    assert res.p_all_targets >= 0.9
    # a round whose own share is unmet keeps it (task b is far off now)
    far = dataclasses.replace(prob, targets={"a": 0.2, "b": 0.1})
    assert probability_now(model, far)["b"] < 0.1
    kept = plan_next_round(model, far, 0.9, remaining=3)
    assert kept.provenance["rounds_advanced"] == 0
    assert kept.provenance["round_probability"] == pytest.approx(0.3)


def test_a_target_out_of_reach_gets_the_rest_of_the_budget() -> None:
    # task b's target is below every draw's floor (0.05): no batch can raise its
    # probability, so the probability requirement alone would never buy it data
    model, prob = _two_tasks()
    prob = dataclasses.replace(prob, targets={"a": 0.2, "b": 0.04}, budget=20_000.0)
    for remaining in (3, 1):
        res = plan_next_round(model, prob, 0.9, remaining=remaining)
        prov = res.provenance
        assert prov["out_of_reach"] == ["b"] and prov["top_up"]["real:b"] > 0
        assert res.allocation["real:b"] == prov["top_up"]["real:b"]
        assert res.allocation["real:a"] > 0                    # a still gets its share
        assert 0.9 * 20_000.0 < res.total_cost <= 20_000.0
        assert res.expected_error["b"].mean < res.current_error["b"].mean
        assert "out of this round's reach" in prov["out_of_reach_note"]
        from sim2real.planner.report.decision import decision_warnings
        warned = decision_warnings({"provenance": prov, "total_cost": res.total_cost},
                                   0.9, None)
        assert any(w.startswith("Target(s) of b are out of") for w in warned)
    # every target within reach: nothing is topped up
    easy = plan_next_round(model, dataclasses.replace(prob, targets={"a": 0.2, "b": 0.2}),
                           0.9, remaining=1)
    assert "out_of_reach" not in easy.provenance and easy.total_cost < 20_000.0
