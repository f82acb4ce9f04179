"""The report's prior-sensitivity section: computed at the recommended batch, its default
column equal to the decision summary, rendered (robust sentence, warning, unreliable rows,
not available for a non-Posterior model) and valid in report.json."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim2real.models.evaluation.sensitivity import ALTERNATIVES
from sim2real.planner.report import formatting as f
from sim2real.planner.report.prior_sensitivity import (
    plan_prior_sensitivity,
    prior_sensitivity_content,
)
from sim2real.planner.report.render import render_html, validate_report_json
from tests.planner.report_fixtures import report_inputs, shared_content

QUANTITIES = {"expected_error", "p_expected", "p_run"}
NO_FIGURES: dict[str, list[Any]] = {k: [] for k in ("curves", "required", "exchange",
                                                    "frontier", "sensitivity", "diagnostics")}


@pytest.fixture(scope="module")
def shared() -> tuple[Any, Path, Any]:
    return shared_content()


@pytest.fixture(scope="module")
def table(shared: tuple[Any, Path, Any]) -> Any:
    post, path, _ = shared
    inp = report_inputs(post, path)
    return plan_prior_sensitivity(post, inp["plan"], inp["problem"], inp["given"])


def section(html: str) -> str:
    m = re.search(r'<section id="prior-sensitivity".*?</section>', html, flags=re.S)
    assert m, "prior-sensitivity section missing"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(0)))


def test_table_at_the_recommended_batch_matches_the_decision_summary(
        shared: tuple[Any, Path, Any]) -> None:
    content = shared[2]
    ps = content.prior_sensitivity
    assert ps.available and not ps.warning and ps.moved == ()
    assert [a.name for a in ps.alternatives] == list(ALTERNATIVES)
    assert all(a.applicable and a.reliable for a in ps.alternatives)
    assert len(ps.rows) == len(ALTERNATIVES) * len(QUANTITIES)
    task = content.decision.tasks[0]
    by = {(r.alternative, r.quantity): r for r in ps.rows}
    for alt in ALTERNATIVES:
        # the default column is the plan's own numbers: same draws, same run noise
        assert by[(alt, "p_run")].default == pytest.approx(task.p_target, abs=1e-12)
        assert by[(alt, "p_expected")].default == pytest.approx(task.p_target_expected,
                                                               abs=1e-12)
        err = by[(alt, "expected_error")]
        assert err.default_lo <= task.after["q50"] <= err.default_hi
        assert err.default == pytest.approx(task.after["q50"], rel=0.01)
        assert err.target == task.target


def test_report_shows_the_table_and_says_the_decision_is_robust(
        shared: tuple[Any, Path, Any]) -> None:
    content = shared[2]
    data = content.to_dict()
    validate_report_json(data)
    assert data["prior_sensitivity"]["available"] is True
    html = render_html(content, figures=NO_FIGURES)
    assert html.index('id="sensitivity"') < html.index('id="prior-sensitivity"') < \
        html.index('id="diagnostics"')
    text = section(html)
    assert "robust to the alternative priors" in text and "Prior-sensitive" not in text
    for r in data["prior_sensitivity"]["rows"]:
        shown = f.fmt_pct(r["value"]) if r["quantity"] != "expected_error" else \
            f"{f.fmt_num(r['value'])} {f.fmt_interval(r['lo'], r['hi'])}"
        assert shown in text
    for a in data["prior_sensitivity"]["alternatives"]:
        assert a["name"] in text and a["priors"].split(";")[0] in text


def test_a_moved_quantity_is_a_clear_warning_and_a_red_flag(
        table: Any, shared: tuple[Any, Path, Any]) -> None:
    moved = table.copy()
    row = (moved["alternative"] == "slow_exponents") & (moved["quantity"] == "p_run")
    moved.loc[row, ["value", "moves"]] = [0.05, True]
    ps = prior_sensitivity_content(moved)
    assert [r.quantity for r in ps.moved] == ["p_run"]
    assert "under slow_exponents" in ps.warning and "to 5%" in ps.warning
    content = dataclasses.replace(shared[2], prior_sensitivity=ps)
    validate_report_json(content.to_dict())
    assert ps.warning in content.red_flags
    text = section(render_html(content, figures=NO_FIGURES))
    assert "Prior-sensitive decision" in text and "robust" not in text


def test_unreliable_and_inapplicable_alternatives_are_labelled(
        table: Any, shared: tuple[Any, Path, Any]) -> None:
    bad = table.copy()
    low = bad["alternative"] == "low_floors"
    bad.loc[low, ["value", "lo", "hi", "change"]] = np.nan
    bad.loc[low, ["khat", "reliable"]] = [1.37, False]
    bad.loc[bad["alternative"] == "half_scales", "priors"] = ""
    ps = prior_sensitivity_content(bad)
    checks = {a.name: a for a in ps.alternatives}
    assert not checks["low_floors"].reliable and "--prior 'logit_f_mu=" in \
        checks["low_floors"].refit
    assert not checks["half_scales"].applicable
    assert {r.alternative for r in ps.rows} == {"wide_exponents", "slow_exponents",
                                                "low_floors"}
    content = dataclasses.replace(shared[2], prior_sensitivity=ps)
    validate_report_json(content.to_dict())
    text = section(render_html(content, figures=NO_FIGURES))
    assert "unreliable: refit with this prior" in text and f.fmt_num(1.37, 2) in text
    assert "not applicable" in text and "need a refit to check" in text


def test_not_available_for_a_model_that_is_not_a_posterior(
        shared: tuple[Any, Path, Any]) -> None:
    from sim2real.models.evaluation.point_draws import PowerLawDraws
    from tests.planner.planner_fixtures import noisy

    post, path, content = shared
    inp = report_inputs(post, path)
    fake = PowerLawDraws({("t", "none"): noisy(0.2, 2.0, 0.5),
                          ("t", "dft"): noisy(0.1, 1.0, 0.3, n_real=20.0)})
    assert plan_prior_sensitivity(fake, inp["plan"], inp["problem"], inp["given"]) is None
    unavailable = dataclasses.replace(content, prior_sensitivity=prior_sensitivity_content(
        None))
    data = unavailable.to_dict()
    validate_report_json(data)
    assert data["prior_sensitivity"]["available"] is False
    assert data["prior_sensitivity"]["rows"] == []
    assert "Not available for this model" in section(render_html(unavailable, figures=NO_FIGURES))
    broken = {**data, "prior_sensitivity": {"available": True}}
    with pytest.raises(Exception, match="prior_sensitivity"):
        validate_report_json(broken)
