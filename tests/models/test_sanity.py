"""Input sanity checks on load: replicate outliers (warning), metric ranges and gross
outliers (errors), and extrapolation factors of predictions."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sim2real.models.data.contract import load_curves
from sim2real.models.data.sanity import (
    GROSS_FACTOR,
    MIN_LOG_SCALE,
    OUTLIER_THRESHOLD,
    replicate_outliers,
)
from sim2real.models.errors import DataWarning, InputDataError
from sim2real.models.posterior.extrapolation import range_factor
from tests.planner.bad_input_fixtures import curves_table


def _three_seeds() -> pd.DataFrame:
    table = curves_table()
    return pd.concat([table, table.assign(seed=table["seed"] + 2)], ignore_index=True)


def _load(table: pd.DataFrame) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_curves(table, origin="c.csv")
    return [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


def test_clean_replicates_do_not_warn() -> None:
    assert _load(_three_seeds()) == []


def test_an_outlier_replicate_warns_with_row_and_column() -> None:
    table = _three_seeds()
    table.loc[3, "error"] *= 10.0
    messages = _load(table)
    assert len(messages) == 1
    assert "c.csv, row 4, column 'error'" in messages[0]
    assert "replicates" in messages[0] and "Fix" in messages[0]


def test_threshold_is_robust_and_documented() -> None:
    # four replicates, 1% noise: the MAD floor (0.1 in log) sets the scale, so a value
    # exp(0.4) = 1.5x the median is kept and exp(0.6) = 1.8x is flagged
    t = pd.DataFrame({"curve": 0, "n_sim": 0, "n_real": 10, "error": [1.0, 1.01, 0.99, 1.0]})
    assert OUTLIER_THRESHOLD * MIN_LOG_SCALE == pytest.approx(0.5)
    assert replicate_outliers(t.assign(error=[1.0, 1.01, 0.99, np.exp(0.4)])).empty
    assert replicate_outliers(t.assign(error=[1.0, 1.01, 0.99, np.exp(0.6)])).tolist() == [3]


def test_single_replicates_are_not_judged() -> None:
    t = pd.DataFrame({"curve": 0, "n_sim": 0, "n_real": [10, 20, 40], "error": [1, 5, 0.1]})
    assert replicate_outliers(t).empty


@pytest.mark.parametrize("metric", ["error_rate", "Error_Rate", "zero_one_loss"])
def test_error_rates_above_one_are_errors(metric: str) -> None:
    table = curves_table().assign(metric=metric, error=lambda t: t["error"] / 3)
    table.loc[2, "error"] = 17.0
    with pytest.raises(InputDataError, match=r"c\.csv, row 3, column 'error'.*\[0, 1\]"):
        load_curves(table, origin="c.csv")


def test_rates_at_most_one_and_unbounded_metrics_pass() -> None:
    load_curves(curves_table().assign(metric="error_rate", error=lambda t: t["error"] / 3))
    load_curves(curves_table().assign(metric="RMSE", error=lambda t: t["error"] * 100))


def test_negative_mae_is_an_error() -> None:
    table = curves_table()
    table.loc[0, "error"] = -0.2
    with pytest.raises(InputDataError, match="row 1, column 'error': must be finite and > 0"):
        load_curves(table)


def test_gross_outlier_is_an_error_even_without_replicates() -> None:
    table = curves_table().query("seed == 0").reset_index(drop=True)
    table.loc[1, "error"] = 1e300
    with pytest.raises(InputDataError, match=r"row 2, column 'error': 1e\+300"):
        load_curves(table)
    table.loc[1, "error"] = 0.5 * GROSS_FACTOR / 10   # large but within the factor
    load_curves(table)


def test_range_factor() -> None:
    assert range_factor(np.array([1.0, 10.0, 50.0, 100.0, 1000.0, 0.0]), 10.0,
                        100.0).tolist() == [10.0, 1.0, 1.0, 1.0, 10.0, np.inf]
