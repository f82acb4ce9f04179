"""The notebook API (``sim2real.planner.fit / plan / report``), plan.json's schema version,
and the executed notebook example ``docs/examples/notebook_api.py``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim2real.models.errors import InputDataError
from tests.planner.report_fixtures import BUDGET, TARGET, hand_posterior

ROOT = Path(__file__).resolve().parents[2]
COSTS = {"dft": 1.0, "real:t": 20.0}


def _run(code: str) -> str:
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                       text=True, check=False, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()[-1]


def test_the_package_reexports_the_api_lazily() -> None:
    out = _run("import sys\nimport sim2real.planner as s2r\n"
               "heavy = [m for m in ('pymc', 'torch', 'botorch') if m in sys.modules]\n"
               "print(heavy, callable(s2r.fit), callable(s2r.plan), callable(s2r.report))")
    assert out == "[] True True True"


def test_report_is_callable_whichever_import_comes_first() -> None:
    out = _run("import sim2real.planner.report.render as r\nimport sim2real.planner as s2r\n"
               "from sim2real.planner.api import report\n"
               "print(callable(s2r.report), s2r.report.render is r, callable(report))")
    assert out == "True True True"


@pytest.fixture(scope="module")
def planned() -> tuple[object, object]:
    import sim2real.planner as s2r

    post = hand_posterior()
    return post, s2r.plan(post, budget=BUDGET, costs=COSTS, targets={"t": TARGET}, seed=0)


def test_plan_returns_a_frame_and_a_figure(planned: tuple[object, object]) -> None:
    from matplotlib.figure import Figure

    _, res = planned
    frame = res.to_frame()
    assert frame.columns.tolist() == ["source", "count", "unit_cost", "cost", "share"]
    assert frame["source"].tolist() == list(COSTS)            # names as given
    assert frame["unit_cost"].tolist() == list(COSTS.values())
    assert frame["cost"].sum() == pytest.approx(res.total_cost)
    assert res.provenance["settings"]["budget"] == BUDGET
    fig = res.plot()
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert any(line.get_label() == "target" for line in fig.axes[1].collections)


def test_plan_refuses_a_non_posterior_with_a_fix() -> None:
    import sim2real.planner as s2r

    with pytest.raises(InputDataError, match="Fix: pass the result of"):
        s2r.plan([1, 2], budget=10.0, costs={"dft": 1.0})


def test_report_names_and_hashes_the_posterior_file_it_saves(
        planned: tuple[object, object], tmp_path: Path) -> None:
    import sim2real.planner as s2r
    from sim2real.planner.workflow import file_sha256

    post, res = planned
    rep = s2r.report(post, tmp_path / "r", res)
    data = json.loads(rep.files.json.read_text(encoding="utf-8"))
    nc = tmp_path / "r" / "posterior.nc"
    assert data["reproducibility"]["posterior"] == str(nc)
    assert data["reproducibility"]["posterior_sha256"] == file_sha256(nc)
    assert data["decision"]["batch"] and rep.html.is_file()
    svg = rep.figures()[0]._repr_svg_()                         # notebooks show it inline
    assert svg.startswith("<svg") and 'role="img"' in svg


def test_plan_json_carries_a_schema_version_and_readers_check_it(
        planned: tuple[object, object], tmp_path: Path) -> None:
    from sim2real.planner.optim.config import merge_settings
    from sim2real.planner.workflow import (
        PLAN_SCHEMA_VERSION,
        plan_payload,
        read_plan,
        write_json,
    )

    post, res = planned
    nc = post.to_netcdf(tmp_path / "post.nc")
    settings = merge_settings({}, budget=BUDGET, costs=COSTS, targets={"t": TARGET})
    payload = plan_payload(res, {}, settings, nc)
    assert payload["schema_version"] == PLAN_SCHEMA_VERSION == "2.1"
    older = {k: v for k, v in payload.items() if k != "schema_version"}
    assert read_plan(write_json(older, tmp_path / "old.json"))["allocation"]   # older file
    minor = write_json({**payload, "schema_version": "1.7"}, tmp_path / "minor.json")
    assert read_plan(minor)["schema_version"] == "1.7"
    newer = write_json({**payload, "schema_version": "3.0"}, tmp_path / "new.json")
    with pytest.raises(InputDataError, match=r"new\.json: plan\.json schema version 3\.0 is "
                                             r"newer.*Fix: upgrade sim2real-planner"):
        read_plan(newer)


@pytest.mark.filterwarnings("ignore::sim2real.models.errors.ConvergenceWarning")  # tiny MCMC
def test_the_notebook_example_runs(tmp_path: Path) -> None:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    r = subprocess.run([sys.executable, str(ROOT / "docs" / "examples" / "notebook_api.py"),
                        str(tmp_path / "report")], cwd=tmp_path, capture_output=True,
                       text=True, check=False, timeout=600, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "report written to" in r.stdout and "P(all targets met)" in r.stdout
    assert {"report.html", "report.json", "plan.json", "posterior.nc"} <= {
        p.name for p in (tmp_path / "report").iterdir()}
