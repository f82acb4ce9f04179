"""`sim2real plan | exchange | update` on a hand-built CurvePosterior saved to netCDF."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim2real.planner.cli import build_app

runner = CliRunner()


@pytest.fixture
def posterior_file(hand_built_posterior: Callable[..., Any], tmp_path: Path) -> Path:
    # scratch: 0.2 + 2 m^-0.5 (floor 0.2); transfer 'dft' at n_real=20: 0.1 + n^-0.3
    return hand_built_posterior(jitter=0.02).to_netcdf(tmp_path / "post.nc")


def _plan(post: Path, out: Path, *extra: str) -> Any:
    return runner.invoke(build_app(), ["plan", str(post), "--out", str(out), *extra])


def test_plan_writes_plan_json_and_prefers_simulations(posterior_file: Path,
                                                       tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    res = _plan(posterior_file, out, "--budget", "100000", "--cost", "dft=1",
                "--cost", "real=100", "--target", "t=0.15")
    assert res.exit_code == 0, res.output
    plan = json.loads(out.read_text())
    assert set(plan["allocation"]) == {"dft", "real"}
    assert plan["allocation"]["real"] == 0 and plan["allocation"]["dft"] > 10_000
    assert plan["total_cost"] <= 100000
    assert set(plan["expected_error"]["t"]) == {"mean", "q05", "q50", "q95"}
    assert 0.8 <= plan["p_target"]["t"] <= 1.0
    assert plan["provenance"]["posterior_sha256"]
    assert "P(all targets met)" in res.output


def test_plan_says_when_target_is_below_every_floor(posterior_file: Path,
                                                    tmp_path: Path) -> None:
    res = _plan(posterior_file, tmp_path / "p.json", "--budget", "1000", "--cost", "dft=1",
                "--cost", "real:t=10", "--target", "t=0.05", "--rounds", "2")
    assert res.exit_code == 0, res.output
    assert "floor above target" in res.output
    assert len(json.loads((tmp_path / "p.json").read_text())["rounds"]) == 2
    res = _plan(posterior_file, tmp_path / "q.json", "--budget", "1000", "--cost", "dft=1",
                "--cost", "real:t=10", "--target", "t=0.001")
    assert res.exit_code == 0, res.output
    plan = json.loads((tmp_path / "q.json").read_text())
    assert plan["objective"] == "expected_error" and plan["total_cost"] > 0
    assert "Note:" in res.output and "minimizes the expected error" in res.output


def test_plan_sequential_round_records_policy(posterior_file: Path, tmp_path: Path) -> None:
    args = ["--budget", "100000", "--cost", "dft=1", "--cost", "real=100", "--target",
            "t=0.15"]
    seq, once = tmp_path / "seq.json", tmp_path / "once.json"
    res = _plan(posterior_file, seq, *args, "--remaining-rounds", "3", "--forecast-worlds",
                "0")
    assert res.exit_code == 0, res.output
    assert "schedule" not in json.loads(seq.read_text())
    assert _plan(posterior_file, once, *args).exit_code == 0
    p_seq, p_once = (json.loads(f.read_text()) for f in (seq, once))
    prov = p_seq["provenance"]
    assert prov["policy"] == "sequential" and prov["remaining_rounds"] == 3
    assert prov["round_probability"] == pytest.approx(0.3)
    assert prov["settings"]["remaining_rounds"] == 3
    assert p_seq["total_cost"] <= p_once["total_cost"] <= 100000


def test_plan_rounds_left_forecasts_the_schedule_and_values_a_pilot(
        posterior_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    res = _plan(posterior_file, out, "--budget", "100000", "--cost", "dft=1", "--cost",
                "real=100", "--target", "t=0.15", "--rounds-left", "2", "--forecast-worlds",
                "4", "--pilot", "--pilot-worlds", "3")
    assert res.exit_code == 0, res.output
    plan = json.loads(out.read_text())
    sched = plan["schedule"]
    assert [r["round"] for r in sched["rounds"]] == [1, 2] and sched["worlds"] == 4
    assert sched["rounds"][0]["mean_cost"] == pytest.approx(plan["total_cost"])
    assert sched["expected_total_cost"] >= plan["total_cost"]
    assert 0.0 <= sched["failure"] <= 1.0
    pilot = plan["pilot"]
    assert pilot["worlds"] == 3 and pilot["commit_cost"] > 0
    assert all(set(o["allocation"]) <= {"dft", "real"} for o in pilot["options"])
    assert "Sequential schedule" in res.output
    assert "What the next measurement is worth" in res.output


def test_plan_pilot_needs_targets(posterior_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    res = _plan(posterior_file, out, "--budget", "1000", "--cost", "dft=1", "--pilot")
    assert res.exit_code == 1 and "need targets" in res.output and not out.exists()


@pytest.mark.parametrize(("extra", "message"), [
    (["--remaining-rounds", "2", "--rounds", "2"], "not both"),
    (["--remaining-rounds", "2", "--objective", "expected_error"], "min_cost_with_prob"),
    (["--remaining-rounds", "0"], ">= 1"),
])
def test_plan_sequential_option_errors(posterior_file: Path, tmp_path: Path,
                                       extra: list[str], message: str) -> None:
    out = tmp_path / "p.json"
    res = _plan(posterior_file, out, "--budget", "1000", "--cost", "dft=1", "--target",
                "t=0.15", *extra)
    assert res.exit_code == 1, res.output
    assert message in res.output and not out.exists()


def test_plan_config_file(posterior_file: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "plan.toml"
    cfg.write_text('budget = 5000\nobjective = "expected_error"\n[costs]\ndft = 1.0\n'
                   '"real:t" = 50.0\n[sources.dft]\ngranularity = 100\n')
    res = _plan(posterior_file, tmp_path / "p.json", "--config", str(cfg))
    assert res.exit_code == 0, res.output
    plan = json.loads((tmp_path / "p.json").read_text())
    assert plan["allocation"]["dft"] % 100 == 0 and plan["total_cost"] <= 5000


@pytest.mark.parametrize(("args", "message"), [
    (["--budget", "100", "--cost", "nope=1"], "unknown source"),
    (["--budget", "100", "--cost", "dft=0"], "positive"),
    (["--budget", "100", "--cost", "dft=-2"], "positive"),
    (["--budget", "0.5", "--cost", "dft=1"], "cheapest"),
    (["--budget", "100", "--cost", "dft=1", "--target", "t=0"], "> 0"),
    (["--budget", "100", "--cost", "dft=1", "--target", "zz=0.1"], "no data"),
    (["--budget", "100", "--cost", "real:zz=1"], "no data"),
    (["--budget", "100", "--cost", "dft"], "NAME=NUMBER"),
    (["--cost", "dft=1"], "no budget"),
])
def test_plan_clear_errors(posterior_file: Path, tmp_path: Path, args: list[str],
                           message: str) -> None:
    out = tmp_path / "p.json"
    res = _plan(posterior_file, out, *args)
    assert res.exit_code == 1, res.output
    assert message in res.output
    assert not out.exists()


def test_exchange_prints_rates(posterior_file: Path, tmp_path: Path) -> None:
    res = runner.invoke(build_app(), ["exchange", str(posterior_file), "--task", "t",
                                      "--out", str(tmp_path / "x.csv")])
    assert res.exit_code == 0, res.output
    assert "Marginal rate" in res.output and "m_eq" in res.output
    table = pd.read_csv(tmp_path / "x.csv")
    assert table.loc[0, "m_eq_q05"] <= table.loc[0, "m_eq_q50"] <= table.loc[0, "m_eq_q95"]


def test_update_rejects_bad_new_results_and_writes_nothing(simple_table: pd.DataFrame,
                                                           tmp_path: Path) -> None:
    curves, new = tmp_path / "curves.csv", tmp_path / "new.csv"
    simple_table.to_csv(curves, index=False)
    bad = simple_table.head(2).copy()
    bad["error"] = -1.0
    bad.to_csv(new, index=False)
    before = curves.read_text()
    res = runner.invoke(build_app(), ["update", str(curves), str(new), "--posterior",
                                      str(tmp_path / "p.nc")])
    assert res.exit_code == 1, res.output
    assert curves.read_text() == before and not (tmp_path / "p.nc").exists()
