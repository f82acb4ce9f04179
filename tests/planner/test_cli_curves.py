"""CLI smoke tests: validate, fit, predict (tiny draws), and clean failures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim2real.models.examples import example_path
from sim2real.planner.cli import build_app

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(build_app(), ["--help"])
    assert result.exit_code == 0
    for command in ("validate", "fit", "predict"):
        assert command in result.output


def test_validate_summarizes_the_example() -> None:
    result = runner.invoke(build_app(), ["validate", str(example_path("synthetic"))])
    assert result.exit_code == 0, result.output
    assert "99 rows, 5 curves, 2 tasks" in result.output


def test_validate_bad_input_exits_2_with_the_fix(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    pd.read_csv(example_path("synthetic")).drop(columns="seed").to_csv(bad, index=False)
    result = runner.invoke(build_app(), ["validate", str(bad)])
    assert result.exit_code == 1
    assert "missing column" in result.output and "seed" in result.output


def test_fit_rejecting_input_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    df = pd.read_csv(example_path("synthetic"))
    df.loc[5, "error"] = -1.0
    df.to_csv(bad, index=False)
    out = tmp_path / "post.nc"
    result = runner.invoke(build_app(), ["fit", str(bad), "--out", str(out)])
    assert result.exit_code == 1 and "must be finite and > 0" in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fit") / "post.nc"
    result = runner.invoke(build_app(), ["fit", str(example_path("synthetic")), "--out", str(out),
                                         "--draws", "150", "--tune", "300", "--chains", "2",
                                         "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "E = C + D x^-alpha" in result.output
    assert "MCMC diagnostics" in result.output
    return out


def test_predict_writes_requested_quantiles(fitted: Path, tmp_path: Path) -> None:
    queries = tmp_path / "at.csv"
    pd.DataFrame({"task": ["bandgap_synth", "chi_synth"], "sim_source": ["dft_a", "none"],
                  "n_sim": [300000, 0], "n_real": [100, 5000]}).to_csv(queries, index=False)
    out = tmp_path / "pred.csv"
    result = runner.invoke(build_app(), ["predict", str(fitted), "--at", str(queries),
                                         "--out", str(out), "--quantiles", "0.02,0.5,0.98"])
    assert result.exit_code == 0, result.output
    pred = pd.read_csv(out)
    assert list(pred.columns) == ["task", "sim_source", "n_sim", "n_real", "mean", "q02",
                                  "q50", "q98", "extrapolation", "extrapolated"]
    assert (pred["q02"] <= pred["q50"]).all() and (pred["q50"] <= pred["q98"]).all()
    # extrapolation to 300k simulations: the known law gives 0.38 + 2 * 300000^-0.35
    assert pred.loc[0, "q02"] < 0.38 + 2 * 300000 ** -0.35 < pred.loc[0, "q98"]


def test_predict_unknown_task_is_a_clear_error(fitted: Path, tmp_path: Path) -> None:
    queries = tmp_path / "at.csv"
    pd.DataFrame({"task": ["nope"], "sim_source": ["none"], "n_sim": [0],
                  "n_real": [10]}).to_csv(queries, index=False)
    out = tmp_path / "pred.csv"
    result = runner.invoke(build_app(), ["predict", str(fitted), "--at", str(queries),
                                         "--out", str(out)])
    assert result.exit_code == 1 and "no curve for task 'nope'" in result.output
    assert not out.exists()


@pytest.mark.parametrize(("prior", "message"), [
    ("alpha=Normal(mu=0, sigma=1)", "unknown prior 'alpha'"),
    ("log_alpha_mu=Normal(mu=0)", "missing ['sigma']"),
    ("log_alpha_mu=Normal", "Distribution(...)"),
    ("log_alpha_sigma=Normal(mu=0, sigma=1)", "positive distribution"),
    ("Normal(mu=0, sigma=1)", "expected NAME=Distribution(...)"),
])
def test_fit_rejects_bad_prior_options_and_writes_nothing(tmp_path: Path, prior: str,
                                                          message: str) -> None:
    out = tmp_path / "post.nc"
    result = runner.invoke(build_app(), ["fit", str(example_path("synthetic")), "--out",
                                         str(out), "--prior", prior])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert not out.exists()
