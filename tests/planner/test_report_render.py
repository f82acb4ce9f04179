"""report.html / report.json from a hand-built posterior: sections, numbers, self-containment,
accessibility markup, atomic writes and the ``sim2real report`` command."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sim2real.models.errors import ReportError
from sim2real.planner.cli import build_app
from sim2real.planner.report import formatting as f
from sim2real.planner.report.render import write_report
from tests.planner.report_fixtures import BUDGET, build, hand_posterior, shared_content

SECTIONS = ["decision", "curves", "required", "exchange", "frontier", "sensitivity",
            "prior-sensitivity", "diagnostics", "data"]
runner = CliRunner()


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, str, dict[str, Any], Path]:
    root = tmp_path_factory.mktemp("render")
    content = shared_content()[2]
    files = write_report(content, root / "out")
    return (content, files.html.read_text(encoding="utf-8"),
            json.loads(files.json.read_text(encoding="utf-8")), root / "out")


def section(html: str, name: str) -> str:
    """Visible text of one ``<section id=name>`` (tags stripped, entities kept)."""
    m = re.search(rf'<section id="{name}".*?</section>', html, flags=re.S)
    assert m, f"section {name} missing"
    text = re.sub(r"<desc\b.*?</desc>|<title\b.*?</title>", " ", m.group(0), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))


def test_sections_in_order_and_files_written(written: tuple[Any, str, dict[str, Any],
                                                            Path]) -> None:
    _, html, data, out = written
    positions = [html.index(f'<section id="{s}"') for s in SECTIONS]
    assert positions == sorted(positions)
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json"]
    assert data["schema_version"] == "1.2"


def test_html_numbers_match_report_json(written: tuple[Any, str, dict[str, Any],
                                                       Path]) -> None:
    _, html, d, _ = written
    dec = section(html, "decision")
    for b in d["decision"]["batch"]:
        assert f"{b['source']} {b['kind']} {f.fmt_int(b['count'])}" in dec
    assert f.fmt_cost(d["decision"]["total_cost"]) in dec
    for t in d["decision"]["tasks"]:
        assert f.fmt_summary(t["after"]) in dec and f.fmt_summary(t["current"]) in dec
        assert f.fmt_pct(t["p_target"]) in dec
    assert d["decision"]["exchange_sentence"].replace("'", "&#39;") in html
    req = section(html, "required")
    for r in d["required_sizes"]:
        q50 = r["size"]["q50"]  # null = infinite (never reached)
        assert f"{f.fmt_size(float('inf') if q50 is None else q50)} [" in req
        assert f.fmt_pct(r["p_unreachable"]) in req
    ex = section(html, "exchange")
    for r in (r for r in d["exchange"] if r["current"]):
        assert f.fmt_rate(r["marginal_rate"]["q50"]) in ex
    fr = section(html, "frontier")
    for p in d["frontier"]:
        assert f.fmt_summary(p["expected_error"]["t"]) in fr
    sens = section(html, "sensitivity")
    for p in d["sensitivity"]:
        assert f.fmt_pct(p["simulation_share"]) in sens
    diag = section(html, "diagnostics")
    assert f.fmt_num(d["diagnostics"]["loo"]["elpd_loo"], 4) in diag
    assert f.fmt_pct(d["diagnostics"]["ppc"]["coverage_90"]) in diag
    assert f.fmt_int(d["diagnostics"]["mcmc"]["divergences"]) in diag
    data = section(html, "data")
    assert d["reproducibility"]["command"] in data and "pymc" in data


def test_page_is_self_contained_and_accessible(written: tuple[Any, str, dict[str, Any],
                                                              Path]) -> None:
    _, html, _, _ = written
    assert "<script" not in html and "<link" not in html and "<img" not in html
    urls = set(re.findall(r'(?:src|href)="(?!#)([^"]+)"', html))
    assert urls == set(), urls
    assert "default-src 'none'" in html  # the browser blocks any network request
    svgs = re.findall(r"<svg\b[^>]*>", html)
    assert len(svgs) >= 6
    for tag in svgs:
        assert 'role="img"' in tag and "aria-labelledby" in tag and "width=" not in tag
    assert html.count("<figcaption>") == len(svgs)
    assert len(re.findall(r"<desc id=", html)) == len(svgs)
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert [k for k, v in ids.items() if v > 1] == []
    assert "@media print" in html and "@media (max-width" in html
    assert 'lang="en"' in html and 'name="viewport"' in html


def test_red_flags_are_visible_at_the_top(tmp_path: Path) -> None:
    from sim2real.models.inference.diagnostics import Diagnostics

    post = hand_posterior()
    path = post.to_netcdf(tmp_path / "post.nc")
    post.diagnostics = Diagnostics(max_rhat=1.3, min_ess_bulk=10.0, min_ess_tail=10.0,
                                   divergences=3, min_bfmi=0.9, chains=2, draws=100)
    content = build(post, path, budgets=[BUDGET], ratio_factors=(1.0,))
    html = write_report(content, tmp_path / "out").html.read_text(encoding="utf-8")
    top = html[:html.index('<section id="decision"')]
    assert 'id="red-flags"' in top and "3 divergent transitions" in top
    diag = re.search(r'<section id="diagnostics".*?</section>', html, flags=re.S)
    assert diag and 'class="badge fail"' in diag.group(0)


def test_nothing_is_written_when_content_is_invalid(written: tuple[Any, str, dict[str, Any],
                                                                   Path], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    content = written[0]
    bad = content.to_dict()
    bad["decision"]["total_cost"] = -5.0
    monkeypatch.setattr(type(content), "to_dict", lambda self: bad)
    with pytest.raises(ReportError, match="total_cost"):
        write_report(content, tmp_path / "out")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_cli_report_from_plan_json(tmp_path: Path) -> None:
    post = hand_posterior(draws=50)
    path = post.to_netcdf(tmp_path / "post.nc")
    plan = tmp_path / "plan.json"
    res = runner.invoke(build_app(), ["plan", str(path), "--budget", "5000", "--cost",
                                      "dft=1", "--cost", "real=20", "--target", "t=0.15",
                                      "--rounds-left", "2", "--forecast-worlds", "3",
                                      "--out", str(plan)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(build_app(), ["report", str(path), "--plan", str(plan), "--out",
                                      str(tmp_path / "rep")])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "rep" / "report.json").read_text())
    html = (tmp_path / "rep" / "report.html").read_text()
    assert data["decision"]["schedule"]["worlds"] == 3 and 'id="schedule-table"' in html
    assert 'id="next-measurement"' in html and data["decision"]["next_measurement"]
    planned = json.loads(plan.read_text())
    assert {b["source"]: b["count"] for b in data["decision"]["batch"]} == \
        planned["allocation"]
    assert data["decision"]["budget"] == 5000.0 and "Decision: buy" in res.output


def test_cli_report_clear_errors(tmp_path: Path) -> None:
    post = hand_posterior(draws=20)
    path = post.to_netcdf(tmp_path / "post.nc")
    bad = tmp_path / "plan.json"
    bad.write_text('{"objective": "x"}')
    res = runner.invoke(build_app(), ["report", str(path), "--plan", str(bad), "--out",
                                      str(tmp_path / "rep")])
    assert res.exit_code == 1 and "not a sim2real plan.json" in " ".join(res.output.split())
    res = runner.invoke(build_app(), ["report", str(path), "--out", str(tmp_path / "rep"),
                                      "--cost", "dft=1"])
    assert res.exit_code == 1 and "no budget" in " ".join(res.output.split())
    assert not (tmp_path / "rep").exists()


def test_report_says_what_was_pooled_with_what(written: tuple[Any, str, dict[str, Any],
                                                                Path]) -> None:
    _, html, data, _ = written
    pooled = data["data"]["pooled"]
    assert pooled, "the report must say which curves share a population"
    members = sorted(m for group in pooled.values() for m in group)
    assert members == sorted(r["curve_id"] for r in data["data"]["curves"]) or \
        set(members) == set(data["data"]["tasks"])
    assert 'id="pooled"' in html and next(iter(pooled)) in html


def test_route_pooling_lists_scratch_and_each_source_apart() -> None:
    import numpy as np

    from sim2real.models.data.design import Design, pooled_populations

    d = Design("curve", {"curve": ["t|none|n_sim=0", "t|a|n_real=5", "t|b|n_real=5"]}, {}, {},
               np.zeros(0), np.zeros(0), {},
               pools={"curve": (["scratch", "transfer:a", "transfer:b"], np.array([0, 1, 2]))})
    assert pooled_populations(d, "route") == {"scratch": ["t|none|n_sim=0"],
                                              "transfer:a": ["t|a|n_real=5"],
                                              "transfer:b": ["t|b|n_real=5"]}
    assert list(pooled_populations(d, "all")) == ["all curves"]
