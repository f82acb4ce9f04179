"""The learning-curve data contract: load, validate and split a table into curves.

A learning-curve table is a long table with one row per measured evaluation:

=============  ==========================================================================
column         meaning
=============  ==========================================================================
task           real-world prediction task (e.g. ``band_gap``)
sim_source     computational database used for pre-training; ``none`` when ``n_sim`` = 0
n_sim          computational samples used in pre-training (integer >= 0; 0 = from scratch)
n_real         real samples used for training / fine-tuning (integer >= 0)
seed           replicate id (integer)
error          test error on held-out real data (finite, > 0, lower is better)
metric         name of the error metric (``MAE``, ``RMSE``, ``error_rate``...), one per task
n_test         optional: number of real test samples
=============  ==========================================================================

How curves are identified (each curve must have at least 3 distinct sizes > 0):

* rows with ``sim_source == "none"`` (``n_sim == 0``) form one *scratch* curve per task,
  varying ``n_real``;
* rows of one (task, sim_source) whose ``n_sim`` takes a single value and whose ``n_real``
  varies form one *fine-tuning* curve varying ``n_real`` at that fixed ``n_sim``;
* otherwise the rows of one (task, sim_source) form one *transfer* curve per ``n_real``
  level, varying ``n_sim`` at that fixed ``n_real`` (a full n_sim x n_real grid gives one
  curve per ``n_real``).

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({
...     "task": "gap", "sim_source": "none", "n_sim": 0, "n_real": [10, 20, 40],
...     "seed": 0, "error": [1.0, 0.8, 0.7], "metric": "MAE"})
>>> data = load_curves(df)
>>> data.curves[["task", "sim_source", "axis"]].values.tolist()
[['gap', 'none', 'n_real']]
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim2real.models.data.sanity import (
    OUTLIER_THRESHOLD,
    check_gross_outliers,
    check_metric_ranges,
    replicate_outliers,
)
from sim2real.models.errors import DataWarning, InputDataError, warn_at_caller

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS: tuple[str, ...] = (
    "task", "sim_source", "n_sim", "n_real", "seed", "error", "metric",
)
OPTIONAL_COLUMNS: tuple[str, ...] = ("n_test",)
NO_SOURCE = "none"
KEY_COLUMNS: tuple[str, ...] = ("task", "sim_source", "n_sim", "n_real", "seed")
MIN_SIZES = 3


@dataclass(frozen=True)
class CurveData:
    """A validated learning-curve table and the curves found in it.

    Attributes
    ----------
    table : pandas.DataFrame
        The validated rows (contract columns, canonical dtypes) plus ``curve`` (the integer
        index of the curve the row belongs to).
    curves : pandas.DataFrame
        One row per curve: ``curve_id`` (label), ``task``, ``sim_source``, ``axis``
        (``"n_sim"`` or ``"n_real"``), ``fixed_n_sim``, ``fixed_n_real`` (the value held
        fixed; -1 on the varying axis), ``metric``, ``n_sizes``, ``n_rows``,
        ``size_min``, ``size_max``.
    origin : str
        Where the table came from (file name or ``"<DataFrame>"``), used in messages.
    """

    table: pd.DataFrame
    curves: pd.DataFrame
    origin: str

    @property
    def tasks(self) -> list[str]:
        """Sorted task names."""
        return sorted(self.table["task"].unique().tolist())

    def summary(self) -> pd.DataFrame:
        """Per-curve summary: sizes, replicates and error range."""
        grouped = self.table.groupby("curve")
        out = self.curves.copy()
        out["replicates"] = grouped["seed"].nunique().to_numpy()
        out["error_min"] = grouped["error"].min().to_numpy()
        out["error_max"] = grouped["error"].max().to_numpy()
        return out


def load_curves(source: str | Path | pd.DataFrame, *, origin: str | None = None) -> CurveData:
    """Load and validate a learning-curve table from CSV, Parquet or a DataFrame.

    Parameters
    ----------
    source : str, Path or pandas.DataFrame
        A ``.csv`` / ``.parquet`` file or an in-memory table.
    origin : str, optional
        Name used in error messages (defaults to the file name).

    Returns
    -------
    CurveData

    Raises
    ------
    InputDataError
        Naming the file, the rows, the column and the fix, for any contract violation.
    """
    if isinstance(source, pd.DataFrame):
        return validate_table(source, origin or "<DataFrame>", csv_lines=False)
    path = Path(source)
    name = origin or str(path)
    df = read_table_file(path, name, "a learning-curve table")
    suffix = path.suffix.lower()
    return validate_table(df, name, csv_lines=suffix == ".csv")


def read_table_file(path: Path, name: str, what: str) -> pd.DataFrame:
    """Read a ``.csv`` / ``.parquet`` table as raw rows (no validation).

    Text columns of the contract stay strings (a task named ``NA`` is not missing).
    ``name`` is used in errors, ``what`` in the fix for a missing file.

    Examples
    --------
    >>> try:
    ...     read_table_file(Path("nope.csv"), "nope.csv", "the new measurements")
    ... except InputDataError as err:
    ...     print(str(err)[:24])
    nope.csv: file not found
    """
    if path.is_dir():
        raise InputDataError(f"{name}: is a directory, not a table file. Fix: pass the path "
                             f"of {what} (.csv or .parquet).")
    if not path.is_file():
        raise InputDataError(f"{name}: file not found. Fix: pass the path of {what} "
                             "(.csv or .parquet).")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            _check_csv_header(path, name, what)
            return pd.read_csv(path, dtype={"task": str, "sim_source": str, "metric": str},
                               keep_default_na=False, na_values=[""])
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
    except InputDataError:
        raise
    except Exception as exc:  # parser errors from pandas / pyarrow
        raise InputDataError(f"{name}: cannot be read as {suffix[1:]} ({exc}). Fix: pass "
                             f"{what} saved as .csv or .parquet.") from exc
    raise InputDataError(f"{name}: unsupported file type '{suffix}'. Fix: use .csv or "
                         ".parquet.")


def _check_csv_header(path: Path, name: str, what: str) -> None:
    """Refuse an empty CSV and a header naming a column twice (pandas would rename the
    second ``error`` to ``error.1`` and silently use the first)."""
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        header = next(csv.reader(handle), None)
    if not header or not any(h.strip() for h in header):
        raise InputDataError(f"{name}: the file is empty (no header line). Fix: write "
                             f"{what} with a header line and one row per entry.")
    names = [h.strip() for h in header]
    dup = sorted({h for h in names if names.count(h) > 1})
    if dup:
        where = {d: [i + 1 for i, h in enumerate(names) if h == d] for d in dup}
        raise InputDataError(
            f"{name}, line 1 (header): column(s) {dup} appear more than once (CSV columns "
            f"{where}). Fix: keep one column of each name (rename or delete the others).")


def _rows(index: pd.Index | np.ndarray, csv_lines: bool, limit: int = 8) -> str:
    """Human row references: 1-based data rows (and CSV line numbers)."""
    rows = [int(i) + 1 for i in list(index)[:limit]]
    more = len(index) - len(rows)
    text = ", ".join(str(r) for r in rows)
    if csv_lines:
        text += " (CSV lines " + ", ".join(str(r + 1) for r in rows) + ")"
    return ("row " if len(index) == 1 else "rows ") + text + (f" and {more} more" if more else "")


def validate_table(df: pd.DataFrame, origin: str = "<DataFrame>", *,
                   csv_lines: bool = False) -> CurveData:
    """Validate a raw table against the contract and identify its curves.

    See :func:`load_curves`; this is the in-memory part. Nothing is modified in ``df``.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise InputDataError(
            f"{origin}: missing column(s) {missing}; found {list(df.columns)}. Fix: the table "
            f"needs the columns {list(REQUIRED_COLUMNS)} (optional: {list(OPTIONAL_COLUMNS)}).")
    if len(df) == 0:
        raise InputDataError(f"{origin}: the table has no rows. Fix: add measured evaluations.")
    extra = [c for c in df.columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if extra:
        warn_at_caller(f"{origin}: ignoring unknown column(s) {extra}. Fix: rename them to "
                       f"contract columns, or drop them to silence this.", DataWarning)
    table = df.reset_index(drop=True)
    out = pd.DataFrame(index=table.index)
    for col in ("task", "sim_source", "metric"):
        out[col] = _text_column(table[col], col, origin, csv_lines)
    out["sim_source"] = out["sim_source"].where(out["sim_source"].str.lower() != NO_SOURCE,
                                                NO_SOURCE)
    for col in ("n_sim", "n_real", "seed"):
        out[col] = _int_column(table[col], col, origin, csv_lines,
                               nonnegative=col != "seed")
    out["error"] = _error_column(table["error"], origin, csv_lines)
    if "n_test" in table.columns:
        out["n_test"] = _optional_count(table["n_test"], origin, csv_lines)
    _check_sources(out, origin, csv_lines)
    _check_metrics(out, origin, csv_lines)
    check_metric_ranges(out, origin, lambda index: _rows(index, csv_lines))
    _warn_duplicates(out, origin, csv_lines)
    curve_index, curves = identify_curves(out, origin, csv_lines)
    out["curve"] = curve_index
    check_gross_outliers(out, origin, lambda index: _rows(index, csv_lines))
    _warn_outliers(out, origin, csv_lines)
    logger.debug("%s: %d rows, %d curves validated", origin, len(out), len(curves))
    return CurveData(table=out, curves=curves, origin=origin)


def _text_column(col: pd.Series, name: str, origin: str, csv_lines: bool) -> pd.Series:
    text = col.astype("string").str.strip()
    bad = text.isna() | (text == "")
    if bad.any():
        raise InputDataError(f"{origin}, {_rows(col.index[bad], csv_lines)}, column '{name}': "
                             "empty value. Fix: fill in a name.")
    return text.astype(str)


def _numeric(col: pd.Series, name: str, origin: str, csv_lines: bool) -> pd.Series:
    values = pd.to_numeric(col, errors="coerce")
    bad = values.isna() & col.notna()
    bad |= col.isna()
    if bad.any():
        examples = ", ".join(repr(v) for v in col[bad].head(3).tolist())
        raise InputDataError(f"{origin}, {_rows(col.index[bad], csv_lines)}, column '{name}': "
                             f"not a number ({examples}). Fix: write a plain number.")
    return values.astype(float)


def _int_column(col: pd.Series, name: str, origin: str, csv_lines: bool, *,
                nonnegative: bool) -> pd.Series:
    values = _numeric(col, name, origin, csv_lines)
    frac = ~np.isfinite(values) | (values != np.round(values))
    if frac.any():
        raise InputDataError(f"{origin}, {_rows(col.index[frac], csv_lines)}, column '{name}': "
                             "must be a whole number. Fix: write the integer count.")
    if nonnegative and (values < 0).any():
        neg = values < 0
        raise InputDataError(f"{origin}, {_rows(col.index[neg], csv_lines)}, column '{name}': "
                             "negative size. Fix: sizes are counts >= 0.")
    return values.astype("int64")


def _error_column(col: pd.Series, origin: str, csv_lines: bool) -> pd.Series:
    values = _numeric(col, "error", origin, csv_lines)
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        raise InputDataError(f"{origin}, {_rows(col.index[bad], csv_lines)}, column 'error': "
                             "must be finite and > 0 (errors are modelled on a log scale). "
                             "Fix: drop failed runs or use a strictly positive metric.")
    return values


def _optional_count(col: pd.Series, origin: str, csv_lines: bool) -> pd.Series:
    values = pd.to_numeric(col, errors="coerce")
    bad = (values.isna() & col.notna() & (col.astype("string") != "")) | (values <= 0)
    bad |= values.notna() & (values != np.round(values))
    if bad.any():
        raise InputDataError(f"{origin}, {_rows(col.index[bad], csv_lines)}, column 'n_test': "
                             "must be a whole number > 0 or empty. Fix: correct or leave empty.")
    return values.astype("Int64")


def _check_sources(out: pd.DataFrame, origin: str, csv_lines: bool) -> None:
    none = out["sim_source"] == NO_SOURCE
    bad = none & (out["n_sim"] > 0)
    if bad.any():
        raise InputDataError(
            f"{origin}, {_rows(out.index[bad], csv_lines)}, column 'sim_source': 'none' with "
            "n_sim > 0. Fix: name the computational database used for pre-training.")
    bad = ~none & (out["n_sim"] == 0)
    if bad.any():
        raise InputDataError(
            f"{origin}, {_rows(out.index[bad], csv_lines)}, column 'sim_source': a database is "
            "named but n_sim = 0. Fix: learning from scratch has sim_source 'none'.")


def _check_metrics(out: pd.DataFrame, origin: str, csv_lines: bool) -> None:
    for task, rows in out.groupby("task", sort=True):
        metrics = rows["metric"].unique()
        if len(metrics) > 1:
            minority = rows.index[rows["metric"] != rows["metric"].mode().iloc[0]]
            raise InputDataError(
                f"{origin}, {_rows(minority, csv_lines)}, column 'metric': task '{task}' mixes "
                f"metrics {sorted(metrics.tolist())}. Fix: one metric per task (split the task "
                "or convert the errors).")


def _warn_duplicates(out: pd.DataFrame, origin: str, csv_lines: bool) -> None:
    dup = out.duplicated(subset=list(KEY_COLUMNS), keep=False)
    if dup.any():
        warn_at_caller(
            f"{origin}, {_rows(out.index[dup], csv_lines)}: duplicate rows for the same "
            f"{list(KEY_COLUMNS)}; they are kept as extra replicates. Fix: give each replicate "
            "its own seed.", DataWarning)


def _warn_outliers(out: pd.DataFrame, origin: str, csv_lines: bool) -> None:
    bad = replicate_outliers(out)
    if len(bad):
        values = ", ".join(f"{v:.4g}" for v in out.loc[bad, "error"].head(4))
        warn_at_caller(
            f"{origin}, {_rows(bad, csv_lines)}, column 'error': value(s) {values} differ "
            f"from the other replicates at the same size by more than {OUTLIER_THRESHOLD:g} "
            "robust standard deviations (median / MAD of log error). Fix: check for a "
            "failed run or a unit slip; drop the row if it is wrong.", DataWarning)


def identify_curves(table: pd.DataFrame, origin: str = "<DataFrame>",
                    csv_lines: bool = False) -> tuple[np.ndarray, pd.DataFrame]:
    """Assign every row to a curve (see the module docstring for the rules).

    Returns
    -------
    curve_index : numpy.ndarray
        Integer curve index per row.
    curves : pandas.DataFrame
        Curve metadata, one row per curve, in index order.
    """
    records: list[dict[str, object]] = []
    index = np.full(len(table), -1, dtype=np.int64)
    for (task, source), block in table.groupby(["task", "sim_source"], sort=True):
        if source == NO_SOURCE:
            groups = [("n_real", 0, -1, block)]
        elif block["n_sim"].nunique() == 1 and block["n_real"].nunique() > 1:
            groups = [("n_real", int(block["n_sim"].iloc[0]), -1, block)]
        else:
            groups = [("n_sim", -1, int(m), rows) for m, rows in block.groupby("n_real")]
        for axis, fixed_sim, fixed_real, rows in groups:
            _check_curve_rows(rows, axis, str(task), str(source), origin, csv_lines)
            k = len(records)
            index[rows.index.to_numpy()] = k
            sizes = rows[axis]
            label = (f"{task}|{source}|" + (f"n_real={fixed_real}" if axis == "n_sim"
                                            else f"n_sim={fixed_sim}"))
            records.append({
                "curve_id": label, "task": task, "sim_source": source, "axis": axis,
                "fixed_n_sim": fixed_sim, "fixed_n_real": fixed_real,
                "metric": rows["metric"].iloc[0], "n_sizes": int(sizes.nunique()),
                "n_rows": len(rows), "size_min": int(sizes.min()), "size_max": int(sizes.max()),
            })
    return index, pd.DataFrame.from_records(records)


def _check_curve_rows(rows: pd.DataFrame, axis: str, task: str, source: str, origin: str,
                      csv_lines: bool) -> None:
    where = f"task '{task}', sim_source '{source}'"
    zero = rows[axis] == 0
    if zero.any():
        raise InputDataError(
            f"{origin}, {_rows(rows.index[zero], csv_lines)}, column '{axis}': {where} varies "
            f"{axis} and includes {axis} = 0, where a power law is undefined. Fix: drop those "
            "rows (zero-shot results are not part of a learning curve).")
    n_sizes = rows[axis].nunique()
    if n_sizes < MIN_SIZES:
        raise InputDataError(
            f"{origin}, {_rows(rows.index, csv_lines)}, column '{axis}': the curve of {where} "
            f"has {n_sizes} distinct size(s) {sorted(rows[axis].unique().tolist())}; at least "
            f"{MIN_SIZES} are needed to fit a learning curve. Fix: measure more sizes or drop "
            "these rows.")
