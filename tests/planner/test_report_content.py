"""Report content from a hand-built posterior: every section, known answers, red flags."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim2real.models.errors import ReportError
from sim2real.models.inference.diagnostics import Diagnostics
from sim2real.planner.report.content import Quantiles, to_jsonable
from sim2real.planner.report.decision import decision_warnings, exchange_sentence, verdict
from sim2real.planner.report.render import validate_report_json
from tests.planner.report_fixtures import BUDGET, LAWS, TARGET, build, shared_content


@pytest.fixture(scope="module")
def post_path() -> tuple[Any, Path]:
    post, path, _ = shared_content()
    return post, path


@pytest.fixture(scope="module")
def content() -> Any:
    return shared_content()[2]


def test_every_section_is_filled(content: Any) -> None:
    d = content.to_dict()
    assert "simulated truths" in d["decision"]["next_measurement"]   # value of a pilot
    assert [b["source"] for b in d["decision"]["batch"]] == ["dft", "real"]
    assert d["decision"]["total_cost"] <= BUDGET
    assert d["decision"]["tasks"][0]["target"] == TARGET
    assert {c["curve_id"] for c in d["curves"]} == set(LAWS)
    assert {r["route"] for r in d["required_sizes"]} == {"real", "dft"}
    assert any(r["current"] for r in d["exchange"]) and len(d["exchange"]) > 3
    strategies = {p["strategy"] for p in d["frontier"]}
    assert {"bayesian", "uniform_by_cost", "all_simulation", "all_experiment",
            "greedy_mean", "plug_in"} <= strategies
    assert {p["budget"] for p in d["frontier"]} == {2000.0, BUDGET}
    assert [p["cost_ratio"] for p in d["sensitivity"]] == pytest.approx([2.0, 20.0, 200.0])
    assert d["diagnostics"]["loo"]["n_obs"] == 14 and d["diagnostics"]["ppc"]["n_obs"] == 14
    assert d["data"]["n_rows"] == 14 and d["data"]["tasks"] == ["t"]
    assert d["reproducibility"]["command"].startswith("sim2real report")
    assert d["reproducibility"]["versions"]["pymc"] != "not installed"
    assert d["decision"]["exchange_sentence"].startswith("For t, at the current")


def test_report_json_validates_against_its_schema(content: Any) -> None:
    data = content.to_dict()
    validate_report_json(data)
    broken = {k: v for k, v in data.items() if k != "decision"}
    with pytest.raises(ReportError, match="decision"):
        validate_report_json(broken)
    data["decision"]["batch"][0]["count"] = -1
    with pytest.raises(ReportError, match="batch"):
        validate_report_json(data)


def test_numbers_follow_the_known_laws(content: Any) -> None:
    # transfer 0.1 + n^-0.3 reaches 0.15 at (1 / 0.05)^(1 / 0.3) = 21,764
    dft = next(r for r in content.required_sizes if r.route == "dft")
    assert dft.size.q05 < 21764 < dft.size.q95
    assert dft.size.q50 == pytest.approx(21764, rel=0.3)
    real = next(r for r in content.required_sizes if r.route == "real")
    assert real.p_unreachable > 0.99  # scratch floor 0.2 is above the target 0.15
    for band in content.curves:
        c, d, a = LAWS[band.curve_id]
        grid = np.asarray(band.grid)
        np.testing.assert_allclose(band.mean, c + d * grid ** -a, rtol=0.1)
        assert np.all(np.asarray(band.q05) <= band.mean) and np.all(band.mean <= np.asarray(
            band.q95))
        assert np.all(np.asarray(band.q25) >= band.q05) and np.all(np.asarray(
            band.q75) <= band.q95)
    # the curve the planner uses is extrapolated to the size that reaches the target
    transfer = next(b for b in content.curves if b.sim_source == "dft")
    assert transfer.planner_curve and max(transfer.grid) > 21764


def test_decision_matches_the_plan(content: Any) -> None:
    d = content.decision
    counts = {b.source: b.count for b in d.batch}
    assert counts["real"] == 0 and counts["dft"] > 0  # the floor makes experiments useless
    assert d.total_cost == pytest.approx(sum(b.cost for b in d.batch))
    t = d.tasks[0]
    assert t.after["mean"] < t.current["mean"]
    assert 0 <= t.p_target <= 1 and d.p_all_targets == pytest.approx(t.p_target)
    assert d.exchange is not None and d.exchange.sim_source == "dft"
    assert d.exchange.price_ratio == pytest.approx(20.0)


def test_red_flags_when_diagnostics_fail(post_path: tuple[Any, Path]) -> None:
    post, path = post_path
    bad = dataclasses.replace(post)  # a copy: the shared posterior stays intact
    bad.diagnostics = Diagnostics(max_rhat=1.2, min_ess_bulk=20.0, min_ess_tail=20.0,
                                  divergences=7, min_bfmi=0.9, chains=2, draws=100)
    comparison = pd.DataFrame({"rank": [0, 1], "elpd_loo": [10.0, 4.0],
                               "weight": [0.9, 0.1]}, index=["power_law_floor", "exp"])
    content = build(bad, path, budgets=[BUDGET], ratio_factors=(1.0,),
                    comparison=comparison)
    flags = " ".join(content.red_flags)
    assert "R-hat" in flags and "7 divergent" in flags
    assert not content.to_dict()["diagnostics"]["ok"]
    assert content.to_dict()["diagnostics"]["comparison"][0]["form"] == "power_law_floor"


def test_comparison_red_flag_when_loo_prefers_another_form(
        post_path: tuple[Any, Path]) -> None:
    post, path = post_path
    comparison = pd.DataFrame({"form": ["exp_saturation", "power_law_floor"],
                               "rank": [0, 1], "elpd_loo": [10.0, -12.0],
                               "d_loo": [0.0, 22.0], "dse": [0.0, 5.0],
                               "weight": [1.0, 0.0]})
    content = build(post, path, budgets=[BUDGET], ratio_factors=(1.0,),
                    comparison=comparison)
    assert any("PSIS-LOO prefers exp_saturation" in f for f in content.red_flags)
    close = comparison.assign(dse=[0.0, 15.0])  # within 2 se: no flag
    content = build(post, path, budgets=[BUDGET], ratio_factors=(1.0,), comparison=close)
    assert not any("PSIS-LOO prefers" in f for f in content.red_flags)


def test_decision_warnings_and_verdicts() -> None:
    plan = {"total_cost": 0.0, "provenance": {"p_all_targets": 0.3}}
    sizes = pd.DataFrame({"task": ["t", "t"], "route": ["real", "dft"], "target": [0.1, 0.1],
                          "p_unreachable": [0.9, 0.7]})
    text = " ".join(decision_warnings(plan, 0.9, sizes))
    assert "probability 30%" in text and "buy nothing" in text and "floor" in text
    assert decision_warnings({"total_cost": 5.0, "provenance": {"p_all_targets": 0.95}},
                             0.9, None) == []
    fell_back = {"total_cost": 5.0, "provenance": {"p_all_targets": 0.95,
                                                   "fallback": "no draw meets a target"}}
    assert decision_warnings(fell_back, 0.9, None) == [
        "The targets cannot be approached within this budget: no draw meets a target."]
    rate = Quantiles(2.0, 10.0, 50.0)
    assert [verdict(rate, p) for p in (100.0, 1.0, 20.0, None)] == [
        "simulations", "experiments", "undecided", "no_prices"]
    assert "cannot tell" in exchange_sentence(
        dataclasses.replace(_headline(), verdict="undecided"))
    assert exchange_sentence(None).startswith("No exchange rate")


def _headline() -> Any:
    from sim2real.planner.report.content import ExchangeHeadline

    return ExchangeHeadline("t", "dft", 1e4, Quantiles(2.0, 10.0, 50.0), 20.0, "undecided")


def test_jsonable_has_no_infinities() -> None:
    out = to_jsonable({"a": float("inf"), "b": (np.float64(1.5), np.int64(2), np.nan),
                       "q": Quantiles(1.0, float("-inf"), 3.0)})
    assert out == {"a": None, "b": [1.5, 2, None], "q": {"q05": 1.0, "q50": None, "q95": 3.0}}


FAMILY_PARAMS = {
    "edt": {"log_c": np.log(0.1), "log_a": np.log(0.5), "beta": 0.5, "log_t0": 0.0,
            "a_t": 0.5, "b_t": 0.2},
    "exp_saturation": {"log_c": np.log(0.3), "log_a": np.log(0.7), "gamma": 0.5,
                       "log_xs": 0.0},
}


@pytest.mark.parametrize("family", sorted(FAMILY_PARAMS))
def test_report_for_a_surface_and_a_family_without_closed_forms(family: str,
                                                                tmp_path: Path) -> None:
    from sim2real.planner.report.render import write_report
    from tests.planner.planner_fixtures import family_posterior
    from tests.planner.report_fixtures import simple_table

    post = family_posterior(simple_table(), family, FAMILY_PARAMS[family], jitter=0.02)
    path = post.to_netcdf(tmp_path / "post.nc")
    content = build(post, path, budgets=[BUDGET], ratio_factors=(1.0,))
    data = content.to_dict()
    validate_report_json(data)
    # one band per measured curve, drawn from the model's own error draws along it
    assert {b.curve_id for b in content.curves} == set(post.data.curves["curve_id"])
    for band in content.curves:
        grid = np.asarray(band.grid)
        if band.axis == "n_sim":
            e = post.error_draws(band.task, band.sim_source, grid, np.full_like(grid,
                                                                             band.fixed))
        else:
            e = post.error_draws(band.task, band.sim_source, 0.0 * grid, grid)
        np.testing.assert_allclose(band.mean, e.mean(0))
    assert {r.route for r in content.required_sizes} == {"real", "dft"}
    assert any(r.current for r in content.exchange)
    assert data["diagnostics"]["ppc"]["n_obs"] == len(post.data.table)
    assert data["diagnostics"]["loo"]["n_obs"] == len(post.data.table)
    text = " ".join(content.assumptions)
    assert post.family.description in text
    assert ("surface E(n_sim, n_real)" in text) == (post.family.layout == "surface")
    files = write_report(content, tmp_path / "out")
    assert "Learning curves" in files.html.read_text(encoding="utf-8")


@pytest.mark.parametrize("family", sorted(FAMILY_PARAMS))
def test_parameter_table_shows_every_display_label(family: str) -> None:
    from sim2real.planner.report.tables import parameter_frame, render_parameters
    from tests.planner.planner_fixtures import family_posterior
    from tests.planner.report_fixtures import simple_table

    post = family_posterior(simple_table(), family, FAMILY_PARAMS[family], jitter=0.02)
    frame = parameter_frame(post.summary())
    assert [*post.family.display, "sigma"] == [c for c in frame.columns
                                              if c not in ("level", "curve", "R-hat")]
    assert ("level" in frame) == (post.family.layout == "surface")
    assert set(frame["curve"]) == set(post.summary()["curve_id"])
    title = render_parameters(post.summary(), description=post.family.description).title
    assert str(title).startswith(post.family.description)
