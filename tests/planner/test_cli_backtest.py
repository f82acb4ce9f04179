"""``sim2real backtest``: tables, sentence, JSON output, skipped curves, clean failures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim2real.planner.cli import build_app

runner = CliRunner()


def _curves(path: Path, noise: float = 0.03) -> Path:
    """Two transfer curves (n_sim 50-6400) and a short scratch curve (n_real 20-160)."""
    rng = np.random.default_rng(0)
    rows = []
    for n_real, (c, d, a) in {20: (0.3, 3.0, 0.4), 80: (0.25, 2.5, 0.45)}.items():
        rows += [("t", "sim", int(n), n_real, s, (c + d * n ** -a) * np.exp(rng.normal(0, noise)),
                  "MAE") for n in 50 * 2 ** np.arange(8) for s in (0, 1)]
    rows += [("t", "none", 0, m, s, 0.5 + 4.0 * m ** -0.4, "MAE")
             for m in (20, 40, 80, 160) for s in (0, 1)]
    pd.DataFrame(rows, columns=["task", "sim_source", "n_sim", "n_real", "seed", "error",
                                "metric"]).to_csv(path, index=False)
    return path


def test_help_lists_backtest_and_its_options() -> None:
    result = runner.invoke(build_app(), ["backtest", "--help"])
    assert result.exit_code == 0
    for option in ("--train-max", "--train-fraction", "--out", "--methods"):
        assert option in result.output


def test_least_squares_backtest_prints_tables_sentence_and_json(tmp_path: Path) -> None:
    curves, out = _curves(tmp_path / "curves.csv"), tmp_path / "res" / "backtest.json"
    result = runner.invoke(build_app(), ["backtest", str(curves), "--methods",
                                         "least_squares", "--out", str(out)])
    assert result.exit_code == 0, result.output
    # default cutoff: 1/8 of each curve's largest size; the scratch curve keeps only 20
    assert "skipped: t|none|n_sim=0: only 1 training size(s) <= 20" in result.output
    assert "Backtest per curve" in result.output and "Backtest overall" in result.output
    assert "Fitting on sizes <= 1/8 of each curve's largest size, the least-squares fit's" \
        in " ".join(result.output.split())
    payload = json.loads(out.read_text())
    assert payload["settings"]["train_fraction"] == 0.125
    assert {c["curve_id"]: c["status"] for c in payload["curves"]} == {
        "t|none|n_sim=0": "skipped", "t|sim|n_real=20": "scored", "t|sim|n_real=80": "scored"}
    assert len(payload["points"]) == 6 and payload["overall"][0]["cov90"] is None
    assert list(out.parent.iterdir()) == [out]  # no temp files left behind


@pytest.mark.parametrize(("args", "needle"), [
    (["--train-max", "400", "--train-fraction", "0.5"], "exactly one"),
    (["--train-fraction", "2"], "must be in (0, 1)"),
    (["--methods", "ridge"], "unknown method"),
    (["--train-max", "30"], "no curve keeps 3"),
])
def test_bad_options_exit_2_and_write_nothing(tmp_path: Path, args: list[str],
                                              needle: str) -> None:
    curves, out = _curves(tmp_path / "curves.csv"), tmp_path / "backtest.json"
    result = runner.invoke(build_app(), ["backtest", str(curves), "--out", str(out), *args])
    assert result.exit_code == 1, result.output
    assert needle in " ".join(result.output.split())
    assert not out.exists()


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(build_app(), ["backtest", str(tmp_path / "nope.csv")])
    assert result.exit_code == 1 and "file not found" in result.output


def test_hierarchical_backtest_with_train_max(tmp_path: Path) -> None:
    curves, out = _curves(tmp_path / "curves.csv"), tmp_path / "backtest.json"
    result = runner.invoke(build_app(), [
        "backtest", str(curves), "--train-max", "400", "--methods",
        "hierarchical,least_squares", "--draws", "100", "--tune", "150", "--chains", "2",
        "--seed", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "not scored: t|none|n_sim=0: no size above 400" in text
    assert "Fitting on sizes <= 400, the hierarchical model's prediction" in text
    assert "90% predictive intervals covered" in text
    payload = json.loads(out.read_text())
    overall = {row["method"]: row for row in payload["overall"]}
    assert set(overall) == {"hierarchical", "least_squares"}
    assert 0 <= overall["hierarchical"]["cov90"] <= 1
    assert overall["hierarchical"]["n_obs"] == overall["least_squares"]["n_obs"] == 16
    assert payload["fits"][0]["method"] == "hierarchical"


def test_warnings_and_curve_names_with_markup_are_printed_verbatim(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Brackets in task names and warnings are shown as typed, not parsed as rich markup."""
    import warnings

    import sim2real.models.evaluation.backtest as backtest_module
    from sim2real.models.errors import DataWarning

    run = backtest_module.run_backtest

    def warn_then_run(*args: object, **kwargs: object) -> object:
        warnings.warn("curve [bold]a[/x] looks odd", DataWarning, stacklevel=1)
        return run(*args, **kwargs)

    monkeypatch.setattr(backtest_module, "run_backtest", warn_then_run)
    curves = tmp_path / "curves.csv"
    pd.read_csv(_curves(curves)).assign(task="a[/x]").to_csv(curves, index=False)
    result = runner.invoke(build_app(), ["backtest", str(curves), "--methods",
                                         "least_squares"])
    assert result.exit_code == 0, result.output
    assert "warning: curve [bold]a[/x] looks odd" in result.output
    assert "skipped: a[/x]|none|n_sim=0" in result.output
