"""The learning-curve data contract: every bad-input class gives a clear error."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim2real.models.data.contract import load_curves
from sim2real.models.errors import DataWarning, InputDataError


def _write(df: pd.DataFrame, path: Path) -> Path:
    df.to_csv(path, index=False)
    return path


def test_valid_table_identifies_scratch_and_transfer_curves(simple_table: pd.DataFrame) -> None:
    data = load_curves(simple_table)
    curves = data.curves.set_index("curve_id")
    assert list(curves.index) == ["t|dft|n_real=20", "t|none|n_sim=0"]
    assert curves.loc["t|dft|n_real=20", "axis"] == "n_sim"
    assert curves.loc["t|none|n_sim=0", "axis"] == "n_real"
    assert (data.table["curve"] >= 0).all()
    assert data.summary()["replicates"].tolist() == [2, 2]


def test_grid_gives_one_transfer_curve_per_n_real() -> None:
    rows = [("g", "mp", n, m, 0, 1.0 / n + 1.0 / m, "MAE")
            for n in (10, 100, 1000) for m in (5, 50)]
    df = pd.DataFrame(rows, columns=["task", "sim_source", "n_sim", "n_real", "seed", "error",
                                     "metric"])
    data = load_curves(df)
    assert sorted(data.curves["curve_id"]) == ["g|mp|n_real=5", "g|mp|n_real=50"]


def test_fixed_database_varying_real_is_a_fine_tuning_curve() -> None:
    df = pd.DataFrame({"task": "g", "sim_source": "mp", "n_sim": 5000,
                       "n_real": [10, 20, 40], "seed": 0, "error": [0.5, 0.4, 0.3],
                       "metric": "MAE"})
    curves = load_curves(df).curves
    assert curves["axis"].tolist() == ["n_real"]
    assert curves["fixed_n_sim"].tolist() == [5000]


def test_csv_and_parquet_load_the_same(simple_table: pd.DataFrame, tmp_path: Path) -> None:
    a = load_curves(_write(simple_table, tmp_path / "c.csv"))
    simple_table.to_parquet(tmp_path / "c.parquet")
    b = load_curves(tmp_path / "c.parquet")
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.origin.endswith("c.csv")


def test_missing_column_names_file_and_fix(simple_table: pd.DataFrame, tmp_path: Path) -> None:
    path = _write(simple_table.drop(columns="metric"), tmp_path / "curves.csv")
    with pytest.raises(InputDataError, match=r"curves\.csv: missing column\(s\) \['metric'\]"):
        load_curves(path)


def test_non_numeric_value_names_row_line_and_column(simple_table: pd.DataFrame,
                                                     tmp_path: Path) -> None:
    df = simple_table.astype({"error": object})
    df.loc[3, "error"] = "n/a"
    path = _write(df, tmp_path / "curves.csv")
    with pytest.raises(InputDataError) as info:
        load_curves(path)
    msg = str(info.value)
    assert "row 4 (CSV lines 5)" in msg and "column 'error'" in msg and "Fix" in msg


@pytest.mark.parametrize(("column", "value", "needle"), [
    ("n_real", -5, "negative size"),
    ("n_sim", 2.5, "whole number"),
    ("error", 0.0, "must be finite and > 0"),
    ("error", -0.1, "must be finite and > 0"),
    ("error", np.inf, "must be finite and > 0"),
])
def test_bad_values_are_rejected(simple_table: pd.DataFrame, column: str, value: float,
                                 needle: str) -> None:
    df = simple_table.copy()
    df[column] = df[column].astype(float)
    df.loc[0, column] = value
    with pytest.raises(InputDataError, match=needle):
        load_curves(df)


def test_mixed_metrics_within_a_task(simple_table: pd.DataFrame) -> None:
    df = simple_table.copy()
    df.loc[0, "metric"] = "RMSE"
    with pytest.raises(InputDataError, match=r"row 1, column 'metric'.*mixes metrics"):
        load_curves(df)


def test_curve_with_fewer_than_three_sizes(simple_table: pd.DataFrame) -> None:
    df = simple_table[simple_table["n_sim"] != 10000]
    with pytest.raises(InputDataError, match=r"has 2 distinct size\(s\) \[100, 1000\]"):
        load_curves(df)


def test_source_and_n_sim_must_agree(simple_table: pd.DataFrame) -> None:
    df = simple_table.copy()
    df.loc[0, "n_sim"] = 50
    with pytest.raises(InputDataError, match="'none' with n_sim > 0"):
        load_curves(df)
    df = simple_table.copy()
    df.loc[df.index[-1], "n_sim"] = 0
    with pytest.raises(InputDataError, match="n_sim = 0"):
        load_curves(df)


def test_unknown_columns_and_duplicates_warn(simple_table: pd.DataFrame) -> None:
    df = pd.concat([simple_table, simple_table.iloc[[0]]], ignore_index=True)
    df["comment"] = "x"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_curves(df)
    messages = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert any("unknown column(s) ['comment']" in m for m in messages)
    assert any("duplicate rows" in m for m in messages)
    assert len(data.table) == len(df)


def test_empty_missing_and_unsupported_files(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="file not found"):
        load_curves(tmp_path / "nope.csv")
    (tmp_path / "c.txt").write_text("x")
    with pytest.raises(InputDataError, match="unsupported file type"):
        load_curves(tmp_path / "c.txt")
    with pytest.raises(InputDataError, match="no rows"):
        load_curves(pd.DataFrame(columns=["task", "sim_source", "n_sim", "n_real", "seed",
                                          "error", "metric"]))
    with pytest.raises(InputDataError, match="missing column"):   # checked before rows
        load_curves(pd.DataFrame(columns=["task"]))


def test_zero_on_a_varying_real_axis_is_rejected() -> None:
    df = pd.DataFrame({"task": "g", "sim_source": "mp", "n_sim": 5000,
                       "n_real": [0, 10, 20, 40], "seed": 0, "error": [0.9, 0.5, 0.4, 0.3],
                       "metric": "MAE"})
    with pytest.raises(InputDataError, match="zero-shot"):
        load_curves(df)
