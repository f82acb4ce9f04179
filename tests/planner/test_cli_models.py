"""CLI smoke tests: sim2real compare, fit-surface and exchange --surface (tiny draws)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim2real.models.families.simulate import simulate_curve_table, simulate_surface_table
from sim2real.planner.cli import build_app

runner = CliRunner()
TINY = ["--draws", "60", "--tune", "60", "--chains", "1", "--seed", "3"]


def test_help_lists_the_model_commands() -> None:
    result = runner.invoke(build_app(), ["--help"])
    assert result.exit_code == 0
    assert "compare" in result.output and "fit-surface" in result.output
    result = runner.invoke(build_app(), ["exchange", "--help"])
    assert "--surface" in result.output


def test_compare_rejects_unknown_forms_cleanly(tmp_path: Path) -> None:
    curves = tmp_path / "c.csv"
    simulate_curve_table("power_law", [{"E_ref": 1.0, "alpha": 0.5}]).to_csv(curves,
                                                                            index=False)
    result = runner.invoke(build_app(), ["compare", str(curves), "--forms",
                                         "power_law,cubic", *TINY])
    assert result.exit_code == 1
    assert "unknown" in result.output and "'cubic'" in result.output


def test_compare_prints_the_loo_table_and_writes_csv(tmp_path: Path) -> None:
    curves, out = tmp_path / "c.csv", tmp_path / "cmp.csv"
    simulate_curve_table("power_law_floor", [{"C": 0.5, "A": 0.5, "alpha": 0.8}],
                         sigma=0.02).to_csv(curves, index=False)
    result = runner.invoke(build_app(), ["compare", str(curves), "--forms",
                                         "power_law,power_law_floor", "--out", str(out),
                                         *TINY])
    assert result.exit_code == 0, result.output
    assert "PSIS-LOO comparison" in result.output and "elpd_loo" in result.output
    table = pd.read_csv(out)
    assert sorted(table["form"]) == ["power_law", "power_law_floor"]
    assert {"elpd_loo", "se", "d_loo", "weight", "p_loo", "max_pareto_k"} <= set(table)


@pytest.fixture(scope="module")
def surface_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("surface")
    curves = tmp / "grid.csv"
    simulate_surface_table("edt", {"C": 0.1, "A": 0.5, "beta": 0.5},
                           sources={"db": {"k": 2.0, "a": 0.5, "b": 0.0}}, seeds=2,
                           n_real=(25, 50, 100, 200)).to_csv(curves, index=False)
    out = tmp / "surface.nc"
    result = runner.invoke(build_app(), ["fit-surface", str(curves), "--form", "edt",
                                         "--out", str(out), *TINY])
    assert result.exit_code == 0, result.output
    assert "effective data transferred" in result.output
    from sim2real.models.posterior.storage import load_posterior

    assert {"T_ref", "alpha_T"} <= set(load_posterior(out).summary()["parameter"])
    return out


def test_exchange_on_a_saved_surface(surface_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "rates.csv"
    result = runner.invoke(build_app(), ["exchange", str(surface_file), "--surface", "edt",
                                         "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Equivalent real sample size" in result.output
    rates = pd.read_csv(out)
    assert rates[["task", "sim_source"]].values.tolist() == [["task", "db"]]
    assert (rates["m_eq_q50"] > rates["n_real"]).all()


def test_exchange_surface_form_mismatch_exits_2(surface_file: Path) -> None:
    result = runner.invoke(build_app(), ["exchange", str(surface_file), "--surface",
                                         "additive"])
    assert result.exit_code == 1
    assert "holds a 'edt' posterior" in result.output


def test_fit_surface_rejects_a_table_without_databases(tmp_path: Path) -> None:
    curves, out = tmp_path / "c.csv", tmp_path / "s.nc"
    simulate_curve_table("power_law", [{"E_ref": 1.0, "alpha": 0.5}]).to_csv(curves,
                                                                            index=False)
    result = runner.invoke(build_app(), ["fit-surface", str(curves), "--out", str(out),
                                         *TINY])
    assert result.exit_code == 1 and "no pre-training rows" in result.output
    assert not out.exists()


def test_plan_and_report_on_a_saved_surface(surface_file: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    result = runner.invoke(build_app(), ["plan", str(surface_file), "--budget", "5000",
                                         "--cost", "db=1", "--cost", "real=50",
                                         "--target", "task=0.2", "--out", str(plan)])
    assert result.exit_code == 0, result.output
    payload = json.loads(plan.read_text())
    assert set(payload["allocation"]) == {"db", "real"}
    assert payload["total_cost"] <= 5000
    result = runner.invoke(build_app(), ["report", str(surface_file), "--plan", str(plan),
                                         "--out", str(tmp_path / "rep")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "rep" / "report.html").is_file()
    assert json.loads((tmp_path / "rep" / "report.json").read_text())


def test_fit_another_form_then_plan_with_it(tmp_path: Path) -> None:
    curves, post, plan = tmp_path / "c.csv", tmp_path / "exp.nc", tmp_path / "plan.json"
    simulate_curve_table("exp_saturation", [{"C": 0.1, "A": 0.5, "gamma": 0.7, "xs": 300}],
                         sigma=0.02).to_csv(curves, index=False)
    result = runner.invoke(build_app(), ["fit", str(curves), "--form", "exp_saturation",
                                         "--out", str(post), *TINY])
    assert result.exit_code == 0, result.output
    assert "stretched exponential" in result.output and "MCMC diagnostics" in result.output
    result = runner.invoke(build_app(), ["plan", str(post), "--budget", "5000",
                                         "--cost", "real=1", "--objective", "expected_error",
                                         "--out", str(plan)])
    assert result.exit_code == 0, result.output
    payload = json.loads(plan.read_text())
    assert payload["total_cost"] == 5000 and payload["allocation"] == {"real": 5000}
    after, now = payload["expected_error"]["task0"], payload["current_error"]["task0"]
    assert after["mean"] < now["mean"]
    bad = runner.invoke(build_app(), ["fit", str(curves), "--form", "cubic", "--out",
                                      str(tmp_path / "x.nc"), *TINY])
    assert bad.exit_code == 1 and "unknown model family 'cubic'" in bad.output
    assert not (tmp_path / "x.nc").exists()
