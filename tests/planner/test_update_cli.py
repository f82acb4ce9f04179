"""`sim2real update CURVES NEW_RESULTS`: validated append, refit (tiny MCMC), provenance."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim2real.planner.cli import build_app

runner = CliRunner()


def _split(table: pd.DataFrame, tmp_path: Path) -> tuple[Path, Path, pd.DataFrame]:
    """CURVES without the scratch curve's largest size; NEW_RESULTS = those rows."""
    later = (table["sim_source"] == "none") & (table["n_real"] == 80)
    curves, new = tmp_path / "curves.csv", tmp_path / "new.csv"
    table[~later].to_csv(curves, index=False)
    table[later].to_csv(new, index=False)
    return curves, new, table[later]


def _noisy(table: pd.DataFrame) -> pd.DataFrame:
    """Replicates with 5% log-normal noise (exact replicates make sigma degenerate)."""
    rng = np.random.default_rng(11)
    return table.assign(error=table["error"] * np.exp(0.05 * rng.standard_normal(len(table))))


def test_update_appends_refits_and_records_provenance(simple_table: pd.DataFrame,
                                                      tmp_path: Path) -> None:
    from sim2real.models.posterior.storage import load_posterior

    simple_table = _noisy(simple_table)
    curves, new, new_rows = _split(simple_table, tmp_path)
    post = tmp_path / "post.nc"
    res = runner.invoke(build_app(), ["update", str(curves), str(new), "--posterior",
                                      str(post), "--draws", "100", "--chains", "2",
                                      "--seed", "7"])
    assert res.exit_code == 0, res.output
    assert f"Appended {len(new_rows)} rows" in res.output
    combined = pd.read_csv(curves)           # default: CURVES is overwritten in place
    assert len(combined) == len(simple_table)
    assert combined["n_real"].max() == 80
    fitted = load_posterior(post)
    assert len(fitted.data.table) == len(simple_table)
    assert fitted.n_draws == 200
    attrs = fitted.idata.posterior.attrs
    assert str(curves) in attrs["sim2real_origin"] and str(new) in attrs["sim2real_origin"]
    sampler = json.loads(attrs["sim2real_sampler"])
    assert (sampler["draws"], sampler["chains"], sampler["seed"]) == (100, 2, 7)
    # the refitted scratch curve has seen m = 80: its posterior error there is close
    e80 = fitted.error_draws("t", "none", 0, [80.0]).mean()
    assert abs(e80 - (0.2 + 2.0 * 80 ** -0.5)) < 0.06
    # a plan from the refitted posterior names it and its hash
    out = tmp_path / "plan.json"
    res = runner.invoke(build_app(), ["plan", str(post), "--budget", "2000", "--cost",
                                      "dft=1", "--cost", "real=50", "--target", "t=0.3",
                                      "--out", str(out)])
    assert res.exit_code == 0, res.output
    prov = json.loads(out.read_text())["provenance"]
    assert prov["posterior"] == str(post)
    assert prov["posterior_sha256"] == hashlib.sha256(post.read_bytes()).hexdigest()
    assert prov["n_draws"] == 200


def _bad_missing_column(t: pd.DataFrame) -> pd.DataFrame:
    return t.drop(columns=["error"])


def _bad_value(t: pd.DataFrame) -> pd.DataFrame:
    return t.assign(error=-1.0)


def _bad_metric(t: pd.DataFrame) -> pd.DataFrame:
    return t.assign(metric="RMSE")


@pytest.mark.parametrize(("mutate", "message"), [
    (_bad_missing_column, "error"),
    (_bad_value, "error"),
    (_bad_metric, "metric"),
])
def test_update_rejects_invalid_new_results(simple_table: pd.DataFrame, tmp_path: Path,
                                            mutate: Callable[[pd.DataFrame], pd.DataFrame],
                                            message: str) -> None:
    curves, new, new_rows = _split(simple_table, tmp_path)
    mutate(new_rows).to_csv(new, index=False)
    before = curves.read_text()
    post = tmp_path / "post.nc"
    res = runner.invoke(build_app(), ["update", str(curves), str(new), "--posterior",
                                      str(post)])
    assert res.exit_code == 1, res.output
    assert message in res.output
    assert curves.read_text() == before and not post.exists()


def test_update_refuses_results_appended_twice(simple_table: pd.DataFrame,
                                               tmp_path: Path) -> None:
    curves, new, _ = _split(simple_table, tmp_path)
    simple_table.head(3).to_csv(new, index=False)   # rows already in CURVES
    out = tmp_path / "combined.csv"
    res = runner.invoke(build_app(), ["update", str(curves), str(new), "--out-curves",
                                      str(out), "--posterior", str(tmp_path / "p.nc")])
    assert res.exit_code == 1, res.output
    assert "appended twice" in res.output and "data rows 1, 2, 3" in res.output
    assert not out.exists() and not (tmp_path / "p.nc").exists()


@pytest.mark.parametrize("which", ["curves", "new"])
def test_update_missing_file(simple_table: pd.DataFrame, tmp_path: Path, which: str) -> None:
    curves, new, _ = _split(simple_table, tmp_path)
    gone = tmp_path / "nope.csv"
    args = [str(gone), str(new)] if which == "curves" else [str(curves), str(gone)]
    res = runner.invoke(build_app(), ["update", *args, "--posterior",
                                      str(tmp_path / "p.nc")])
    assert res.exit_code == 1, res.output
    assert "nope.csv" in res.output and "not found" in res.output
    assert not (tmp_path / "p.nc").exists()


def test_update_refits_the_model_of_the_existing_posterior(simple_table: pd.DataFrame,
                                                            tmp_path: Path) -> None:
    # a non-default form, prior and likelihood at once: update must keep all three
    fit_args = ["--form", "exp_saturation", "--prior", "log_gamma_mu=Normal(mu=-2, sigma=1)",
                "--likelihood", "student_t"]
    from sim2real.models.posterior.storage import load_posterior as load_any_posterior

    curves, new, _ = _split(_noisy(simple_table), tmp_path)
    post = tmp_path / "post.nc"
    tiny = ["--draws", "60", "--chains", "1", "--seed", "3"]
    res = runner.invoke(build_app(), ["fit", str(curves), "--out", str(post), "--tune", "60",
                                      "--target-accept", "0.97", *tiny, *fit_args])
    assert res.exit_code == 0, res.output
    before = load_any_posterior(post)
    res = runner.invoke(build_app(), ["update", str(curves), str(new), "--posterior",
                                      str(post), *tiny])
    assert res.exit_code == 0, res.output
    after = load_any_posterior(post)
    assert type(after) is type(before) and after.spec == before.spec
    assert after.sampler.target_accept == 0.97
    assert len(after.data.table) == len(simple_table)
