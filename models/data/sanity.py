"""Sanity checks of a learning-curve table beyond the contract: metric ranges, outliers.

* **Metric range** (an error): a bounded metric outside its range, e.g. an
  ``error_rate`` above 1 (a percentage typed as 83 instead of 0.83).
* **Gross outliers** (an error): an error more than :data:`GROSS_FACTOR` (a million)
  times above or below the median error of its own curve: no learning curve spans six
  orders of magnitude, so the value is a failed run or a unit slip (e.g. ``1e300``).
* **Replicate outliers** (a warning): an error far from the other replicates (seeds) of
  its curve at the same size. In log space, each row's residual is its distance to the
  median of its replicate group; the noise scale is the MAD of those residuals over the
  whole table (x 1.4826, floored at :data:`MIN_LOG_SCALE`). A row whose residual exceeds
  :data:`OUTLIER_THRESHOLD` robust standard deviations is flagged. With two replicates the
  median lies half-way, so both rows of a disagreeing pair are named.

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"curve": 0, "task": "a", "sim_source": "none", "n_sim": 0,
...                   "n_real": 10, "seed": [0, 1, 2], "error": [0.5, 0.52, 50.0]})
>>> replicate_outliers(t).tolist()
[2]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from sim2real.models.errors import InputDataError

#: Robust standard deviations (MAD x 1.4826, log space) beyond which a replicate is flagged.
OUTLIER_THRESHOLD = 5.0
#: Floor of the robust log-scale noise: replicates agreeing within ~10% never flag.
MIN_LOG_SCALE = 0.1
#: An error this many times above / below its curve's median is refused.
GROSS_FACTOR = 1e6
#: Metrics bounded to [0, 1] (lower-case names).
UNIT_INTERVAL_METRICS = frozenset({"error_rate", "zero_one", "zero_one_loss",
                                   "misclassification_rate", "1-accuracy", "1-auc",
                                   "1-r2", "top1_error", "top5_error"})


def metric_range_rows(table: pd.DataFrame) -> pd.Index:
    """Index of the rows whose ``error`` is outside the range of their ``metric``.

    Examples
    --------
    >>> t = pd.DataFrame({"metric": ["error_rate", "MAE"], "error": [83.0, 83.0]})
    >>> metric_range_rows(t).tolist()
    [0]
    """
    bounded = table["metric"].str.lower().isin(UNIT_INTERVAL_METRICS)
    return table.index[bounded & (table["error"] > 1.0)]


def check_metric_ranges(table: pd.DataFrame, origin: str,
                        rows_text: Callable[[pd.Index], str]) -> None:
    """Raise :class:`InputDataError` for errors outside their metric's range.

    ``rows_text`` formats an index as row references (``contract._rows``).
    """
    bad = metric_range_rows(table)
    if len(bad):
        metric = table.loc[bad[0], "metric"]
        raise InputDataError(
            f"{origin}, {rows_text(bad)}, column 'error': {metric} must be in [0, 1] "
            f"(got {', '.join(f'{v:.4g}' for v in table.loc[bad, 'error'].head(3))}). Fix: "
            "write rates as "
            "fractions (0.17, not 17%), or name the metric correctly.")


def replicate_outliers(table: pd.DataFrame) -> pd.Index:
    """Index of the rows that are outliers against their replicates (see module doc).

    ``table`` needs ``curve``, ``n_sim``, ``n_real`` and ``error`` (a validated table).
    """
    log_e = np.log(table["error"].astype(float))
    groups = table.groupby(["curve", "n_sim", "n_real"], sort=False)
    size = groups["error"].transform("size")
    resid = (log_e - log_e.groupby([table["curve"], table["n_sim"], table["n_real"]])
             .transform("median"))
    replicated = size >= 2
    if not replicated.any():
        return table.index[:0]
    scale = max(1.4826 * float(np.median(np.abs(resid[replicated]))), MIN_LOG_SCALE)
    return table.index[replicated & (np.abs(resid) > OUTLIER_THRESHOLD * scale)]


def check_gross_outliers(table: pd.DataFrame, origin: str,
                         rows_text: Callable[[pd.Index], str]) -> None:
    """Raise :class:`InputDataError` for errors more than :data:`GROSS_FACTOR` times
    away from the median error of their curve (``table`` needs ``curve`` and ``error``).

    Examples
    --------
    >>> t = pd.DataFrame({"curve": 0, "error": [0.5, 0.4, 0.3, 1e300]})
    >>> try:
    ...     check_gross_outliers(t, "c.csv", lambda i: f"rows {list(i + 1)}")
    ... except InputDataError as exc:
    ...     print(str(exc)[:35])
    c.csv, rows [4], column 'error': 1e
    """
    log_e = np.log(table["error"].astype(float))
    dist = np.abs(log_e - log_e.groupby(table["curve"]).transform("median"))
    bad = table.index[dist > np.log(GROSS_FACTOR)]
    if len(bad):
        values = ", ".join(f"{v:.4g}" for v in table.loc[bad, "error"].head(3))
        raise InputDataError(
            f"{origin}, {rows_text(bad)}, column 'error': {values} is more than "
            f"{GROSS_FACTOR:.0e} times away from the median error of its curve (a failed "
            "run or a unit slip). Fix: correct the value or drop the row.")
