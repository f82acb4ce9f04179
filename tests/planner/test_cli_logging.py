"""``sim2real --quiet / --verbose``, exit codes, predict's extrapolation flags, and where
library warnings point."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim2real.planner.cli import build_app
from tests.planner.bad_input_fixtures import curves_table, queries, save_posterior_file

runner = CliRunner()


@pytest.fixture(scope="module")
def post(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_posterior_file(tmp_path_factory.mktemp("post") / "post.nc")


def _predict(post: Path, tmp_path: Path, *root: str) -> tuple[object, Path]:
    at, out = tmp_path / "at.csv", tmp_path / "pred.csv"
    pd.concat([queries(), queries(n_sim=1_000_000),
               queries(sim_source="none", n_sim=0, n_real=1)]).to_csv(at, index=False)
    return runner.invoke(build_app(), [*root, "predict", str(post), "--at", str(at), "--out",
                                       str(out)]), out


def test_default_shows_info_notes_not_debug(post: Path, tmp_path: Path) -> None:
    result, _ = _predict(post, tmp_path)
    assert result.exit_code == 0, result.output
    assert "Predictions written to" in result.output
    assert "DEBUG" not in result.output


def test_quiet_hides_info_notes_keeps_results_and_warnings(post: Path,
                                                           tmp_path: Path) -> None:
    result, out = _predict(post, tmp_path, "--quiet")
    assert result.exit_code == 0, result.output
    assert "Predictions written to" not in result.output
    assert "Predictions (100 draws)" in result.output and out.exists()
    assert "warning:" in result.output          # the extrapolation warning stays


def test_verbose_shows_debug_messages(post: Path, tmp_path: Path) -> None:
    result, _ = _predict(post, tmp_path, "--verbose")
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "DEBUG" in flat and "'power_law_floor' posterior (2 chains x 50 draws)" in flat


def test_logging_is_restored_after_the_command(post: Path, tmp_path: Path) -> None:
    logger = logging.getLogger("sim2real")
    state = (list(logger.handlers), logger.level, logger.propagate, warnings.showwarning)
    _predict(post, tmp_path, "--verbose")
    assert (list(logger.handlers), logger.level, logger.propagate,
            warnings.showwarning) == state


def test_quiet_and_verbose_together_is_a_usage_error(post: Path, tmp_path: Path) -> None:
    result, _ = _predict(post, tmp_path, "--quiet", "--verbose")
    assert result.exit_code == 2


def test_data_error_exits_1_usage_error_exits_2(tmp_path: Path) -> None:
    assert runner.invoke(build_app(), ["validate", str(tmp_path / "no.csv")]).exit_code == 1
    assert runner.invoke(build_app(), ["validate", "--bogus", "x.csv"]).exit_code == 2


def test_predict_flags_extrapolation_in_file_and_table(post: Path, tmp_path: Path) -> None:
    result, out = _predict(post, tmp_path)
    pred = pd.read_csv(out)
    # n_sim 1000 inside [100, 10000]; 1e6 is 100x above; n_real 1 is 10x below [10, 80]
    assert pred["extrapolation"].tolist() == pytest.approx([1.0, 100.0, 10.0])
    assert pred["extrapolated"].tolist() == [False, True, False]
    assert "100x!" in result.output
    assert "1 prediction(s) marked !" in " ".join(result.output.split())


def test_library_warnings_point_at_the_caller() -> None:
    from sim2real.models.data.contract import load_curves

    table = pd.concat([curves_table(), curves_table().head(1)])   # a duplicate row
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_curves(table)
    assert caught and all(w.filename == __file__ for w in caught), \
        [(w.filename, w.lineno) for w in caught]
