"""Real-world constraints: capacity caps, batch minimums, set-up costs, per-source budgets.

Known answers on hand-built posteriors (task ``a``; databases ``mp`` and ``oqmd`` with the
same slope, ``mp`` the lower floor), the CLI options, and the two defects of issue 12.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim2real.models.errors import InputDataError, PlanningError
from sim2real.models.evaluation import least_squares
from sim2real.models.evaluation.point_draws import PowerLawDraws
from sim2real.planner.acquisition import expected_error, min_cost_with_probability
from sim2real.planner.cli import build_app
from sim2real.planner.cli._common import EXIT_DATA_ERROR
from sim2real.planner.optim import fixed_costs
from sim2real.planner.optim.baselines import plug_in
from sim2real.planner.optim.config import merge_settings, parse_pairs
from sim2real.planner.optim.optimizer import plan_batch
from sim2real.planner.optim.problem import OperatingPoint, PlanProblem, Source
from sim2real.planner.optim.repair import is_feasible
from tests.planner.planner_fixtures import noisy


def _world(tasks: tuple[str, ...] = ("a",)) -> tuple[PowerLawDraws, OperatingPoint]:
    """Task ``a``: mp (floor 0.02) beats oqmd (floor 0.04); task ``b`` (if asked) learns
    from mp only."""
    curves = {("a", "none"): noisy(0.05, 2.0, 0.5, s=100, sd=0.02, seed=1),
              ("a", "mp"): noisy(0.02, 3.0, 0.5, 50.0, s=100, sd=0.02, seed=2),
              ("a", "oqmd"): noisy(0.04, 3.0, 0.5, 50.0, s=100, sd=0.02, seed=3)}
    n_sim = {("a", "mp"): 1000.0, ("a", "oqmd"): 1000.0}
    if "b" in tasks:
        curves[("b", "none")] = noisy(0.05, 2.0, 0.5, s=100, sd=0.02, seed=4)
        curves[("b", "mp")] = noisy(0.02, 3.0, 0.5, 50.0, s=100, sd=0.02, seed=5)
        n_sim[("b", "mp")] = 1000.0
    op = OperatingPoint(n_sim, dict.fromkeys(n_sim, 50.0), dict.fromkeys(tasks, 50.0))
    return PowerLawDraws(curves), op


def _fast(model: Any, prob: PlanProblem, obj: Any) -> Any:
    return plan_batch(model, prob, obj, num_restarts=2, raw_samples=32, maxiter=50)


# ------------------------------------------------------------- (c) capacity cap binding
def test_capacity_cap_sends_the_remainder_to_the_next_best_route() -> None:
    model, op = _world(("a", "b"))
    free = PlanProblem((Source("mp", 1.0), Source("oqmd", 1.0)), 100_000.0, op)
    uncapped = _fast(model, free, expected_error()).allocation
    assert uncapped["mp"] >= 95_000 and uncapped["oqmd"] <= 5_000   # mp serves both tasks
    capped = PlanProblem((Source("mp", 1.0, max=5_000), Source("oqmd", 1.0)), 100_000.0, op)
    res = _fast(model, capped, expected_error())
    assert res.allocation["mp"] == 5_000                  # the cap binds (task b needs mp)
    assert res.allocation["oqmd"] >= 90_000               # the rest goes to the next route
    assert res.total_cost <= 100_000.0


# ------------------------------------------------------------- (d) set-up costs
@pytest.mark.parametrize(("setup", "used"), [(10_000.0, False), (100.0, True)])
def test_setup_cost_above_a_routes_benefit_leaves_it_unused(setup: float,
                                                            used: bool) -> None:
    # Target 0.07: mp needs ~4,600 samples (cost ~4,600); oqmd at a tenth of the price
    # needs ~14,500 (cost ~1,450), a saving of ~3,150 against its set-up cost.
    model, op = _world()
    prob = PlanProblem((Source("mp", 1.0), Source("oqmd", 0.1, setup=setup)), 100_000.0, op,
                       targets={"a": 0.07})
    res = _fast(model, prob, min_cost_with_probability(0.9))
    assert (res.allocation["oqmd"] > 0) is used
    assert (res.allocation["mp"] > 0) is not used
    assert res.p_target["a"] >= 0.9
    paid = setup if used else 0.0
    expected = res.allocation["mp"] * 1.0 + res.allocation["oqmd"] * 0.1 + paid
    assert res.total_cost == pytest.approx(expected)
    assert res.provenance["setup_paid"] == ({"oqmd": setup} if used else {})
    assert res.provenance["setup_search"]["method"] == "enumeration"


def test_setup_cost_counts_against_the_budget_under_expected_error() -> None:
    # With 3,000 to spend, a 2,500 set-up on mp leaves too little for mp to beat oqmd.
    model, op = _world()
    prob = PlanProblem((Source("mp", 1.0, setup=2_500.0), Source("oqmd", 1.0)), 3_000.0, op)
    res = _fast(model, prob, expected_error())
    assert res.allocation["mp"] == 0 and res.allocation["oqmd"] >= 2_900
    cheap = PlanProblem((Source("mp", 1.0, setup=10.0), Source("oqmd", 1.0)), 3_000.0, op)
    res = _fast(model, cheap, expected_error())
    assert res.allocation["mp"] >= 2_900 and res.total_cost <= 3_000.0


def test_greedy_elimination_beyond_the_enumeration_limit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fixed_costs, "MAX_ENUMERATED", 0)
    model, op = _world()
    prob = PlanProblem((Source("mp", 1.0), Source("oqmd", 0.1, setup=10_000.0),
                        Source("real:a", 50.0, setup=20_000.0)), 100_000.0, op,
                       targets={"a": 0.07})
    res = _fast(model, prob, min_cost_with_probability(0.9))
    assert res.provenance["setup_search"]["method"] == "greedy"
    assert res.allocation["oqmd"] == 0 and res.allocation["real:a"] == 0
    assert res.allocation["mp"] > 0 and res.p_target["a"] >= 0.9


def test_enumeration_prunes_subsets_over_the_budget() -> None:
    _, op = _world()
    prob = PlanProblem((Source("mp", 1.0, setup=600.0), Source("oqmd", 1.0, setup=600.0),
                        Source("real:a", 10.0)), 1_000.0, op)
    assert sorted(map(sorted, fixed_costs.enumerated_subsets(prob))) == [[], ["mp"],
                                                                          ["oqmd"]]


def test_feasibility_counts_setup_costs() -> None:
    _, op = _world()
    prob = PlanProblem((Source("mp", 1.0, setup=500.0, budget=800.0), Source("oqmd", 1.0)),
                       1_000.0, op)
    assert is_feasible(np.array([300.0, 200.0]), prob)
    assert not is_feasible(np.array([301.0, 0.0]), prob)          # own budget: 500 + 301
    assert not is_feasible(np.array([300.0, 201.0]), prob)        # total: 500 + 501
    assert prob.upper.tolist() == [300.0, 1000.0]


# ------------------------------------------------------------- minimums
def test_minimum_is_respected_and_forces_its_setup() -> None:
    model, op = _world()
    prob = PlanProblem((Source("mp", 1.0), Source("real:a", 10.0, min=30, setup=200.0)),
                       5_000.0, op, targets={"a": 0.07})
    res = _fast(model, prob, min_cost_with_probability(0.9))
    assert res.allocation["real:a"] >= 30
    assert res.provenance["setup_paid"] == {"real:a": 200.0}
    assert res.total_cost == pytest.approx(res.allocation["mp"] + 10.0 *
                                           res.allocation["real:a"] + 200.0)


# ------------------------------------------------------------- validation (defect 1)
def test_own_budget_below_minimum_times_price_is_a_clear_error() -> None:
    # Before: accepted, then repair raised "internal error: repaired batch ... infeasible".
    with pytest.raises(PlanningError, match=r"'real:a'.*own budget 500.*minimum of 10.*"
                                            r"= 1000.*Fix: raise its budget"):
        Source("real:a", 100.0, min=10, budget=500.0)
    with pytest.raises(PlanningError, match=r"set-up cost 300 \(= 1300\)"):
        Source("real:a", 100.0, min=10, budget=1_200.0, setup=300.0)
    Source("real:a", 100.0, min=10, budget=1_000.0)           # exactly enough is fine


def test_minimums_with_setup_over_total_budget_is_a_clear_error() -> None:
    _, op = _world()
    with pytest.raises(PlanningError, match=r"minimums cost 1100 \(real:a: 1100.*Fix"):
        PlanProblem((Source("mp", 1.0), Source("real:a", 100.0, min=10, setup=100.0)),
                    1_000.0, op)
    with pytest.raises(PlanningError, match="set-up cost must be"):
        Source("mp", 1.0, setup=-1.0)
    with pytest.raises(PlanningError, match=r"min 5 rounded up to its granularity 10 is 10, "
                                            r"above its max 7"):
        Source("mp", 1.0, min=5, max=7, granularity=10)


# ------------------------------------------------------------- settings and CLI parsing
def test_parse_pairs_for_counts_and_setup() -> None:
    assert parse_pairs(["mp=100", "real:a=5"], "--max", minimum=0, whole=True) == \
        {"mp": 100, "real:a": 5}
    with pytest.raises(InputDataError, match="given twice"):
        parse_pairs(["mp=1", "mp=2"], "--setup", minimum=0)
    with pytest.raises(InputDataError, match="must be >= 0"):
        parse_pairs(["mp=-5"], "--setup", minimum=0)
    with pytest.raises(InputDataError, match="whole number"):
        parse_pairs(["mp=1.5"], "--max", minimum=0, whole=True)
    with pytest.raises(InputDataError, match="expected NAME=NUMBER"):
        parse_pairs(["mp=lots"], "--min", minimum=0, whole=True)


def test_settings_merge_toml_tables_and_cli_and_reject_unknown_sources() -> None:
    _, op = _world()
    cfg = {"budget": 1000.0, "costs": {"mp": 1.0, "real": 10.0},
           "sources": {"mp": {"max": 50, "granularity": 10}}, "setup": {"real": 50.0},
           "max": {"mp": 80}}
    settings = merge_settings(cfg, max={"mp": 90}, min={"real": 2})
    prob, _ = settings.problem(op)
    mp, real = prob.source("mp"), prob.source("real:a")
    assert (mp.max, mp.granularity, real.min, real.setup) == (90, 10, 2, 50.0)
    assert settings.constraints()["real"] == {"setup": 50.0, "min": 2}
    with pytest.raises(InputDataError, match=r"unknown source\(s\) \['aflow'\].*--cost"):
        merge_settings(cfg, setup={"aflow": 5.0}).problem(op)
    with pytest.raises(InputDataError, match="whole number"):
        merge_settings({**cfg, "min": {"mp": 2.5}}).problem(op)


@pytest.fixture
def posterior_file(hand_built_posterior: Callable[..., Any], tmp_path: Path) -> Path:
    return hand_built_posterior(jitter=0.02).to_netcdf(tmp_path / "post.nc")


def _plan(post: Path, out: Path, *extra: str) -> Any:
    return CliRunner().invoke(build_app(), ["plan", str(post), "--out", str(out),
                                            "--budget", "5000", "--cost", "dft=1",
                                            "--cost", "real=100", *extra])


def test_cli_constraints_reach_plan_json(posterior_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    res = _plan(posterior_file, out, "--max", "dft=1000", "--min", "real=2",
                "--setup", "real=300")
    assert res.exit_code == 0, res.output
    plan = json.loads(out.read_text())
    assert plan["allocation"]["dft"] <= 1000 and plan["allocation"]["real"] >= 2
    assert plan["constraints"] == {"dft": {"max": 1000}, "real": {"min": 2, "setup": 300.0}}
    assert plan["setup_paid"] == {"real": 300.0}
    assert plan["total_cost"] == pytest.approx(plan["allocation"]["dft"] + 100.0 *
                                               plan["allocation"]["real"] + 300.0)


@pytest.mark.parametrize(("extra", "message"), [
    (["--max", "aflow=10"], "unknown source"),
    (["--setup", "dft=5", "--setup", "dft=6"], "given twice"),
    (["--min", "real=-1"], "must be >= 0"),
    (["--setup", "real=-3"], "must be >= 0"),
    (["--max", "dft=ten"], "expected NAME=NUMBER"),
    (["--min", "real=60"], "minimums cost"),
])
def test_cli_constraint_errors_write_nothing(posterior_file: Path, tmp_path: Path,
                                             extra: list[str], message: str) -> None:
    out = tmp_path / "plan.json"
    res = _plan(posterior_file, out, *extra)
    assert res.exit_code == EXIT_DATA_ERROR, res.output
    assert message in " ".join(res.output.split())
    assert not out.exists()


# ------------------------------------------------------------- plug-in fit (defect 2)
def _table(mp_sizes: tuple[int, ...]) -> pd.DataFrame:
    rows = [("a", "none", 0, v, 0.05 + 2.0 * v ** -0.5) for v in (25, 50, 100, 200)]
    rows += [("a", "mp", v, 50, 0.02 + 3.0 * v ** -0.5) for v in mp_sizes]
    rows += [("a", "oqmd", v, 50, 0.04 + 3.0 * v ** -0.5) for v in (100, 300, 1000)]
    return pd.DataFrame(rows, columns=["task", "sim_source", "n_sim", "n_real", "error"])


def test_plug_in_refuses_a_curve_whose_fit_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: a failed fit silently became the fit's starting guess (alpha = 0.5), and the
    # plug-in plan rested on that arbitrary curve.
    model, op = _world()
    prob = PlanProblem((Source("mp", 1.0), Source("real:a", 100.0)), 5_000.0, op)
    assert plug_in(model, prob, expected_error(), table=_table((100, 300, 1000))).allocation
    with pytest.raises(PlanningError, match=r"plug_in.*task 'a', sim_source 'mp'.*1 "
                                            r"distinct size.*Fix"):
        plug_in(model, prob, expected_error(), table=_table((1000,)))

    def no_convergence(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Optimal parameters not found: maxfev = 5000 reached.")

    monkeypatch.setattr(least_squares, "curve_fit", no_convergence)
    with pytest.raises(PlanningError, match=r"plug_in.*task 'a'.*Optimal parameters not "
                                            r"found.*Fix"):
        plug_in(model, prob, expected_error(), table=_table((100, 300, 1000)))
    assert least_squares.fit_power_law(np.array([1.0, 2, 3]), np.ones(3))[2] == 0.5
