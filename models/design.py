"""Scale-free numeric inputs of the curve models (pure NumPy, no PyMC).

Errors are divided by their task's median error and taken on a log scale; sizes are divided
by each curve's reference size (the geometric mean of its distinct sizes), so the default
priors mean the same thing for any metric and any size range.

Examples
--------
>>> import pandas as pd
>>> from models.contract import load_curves
>>> df = pd.DataFrame({"task": "t", "sim_source": "none", "n_sim": 0,
...                    "n_real": [10, 100, 1000], "seed": 0, "error": [2.0, 1.0, 0.5],
...                    "metric": "MAE"})
>>> d = make_design(load_curves(df))
>>> round(float(d.x_ref[0]), 6), float(d.scale[0])
(100.0, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.contract import CurveData


@dataclass(frozen=True)
class Design:
    """Arrays the models consume.

    Attributes
    ----------
    curve : ndarray of int, shape (N,)
        Curve index of each observation.
    log_x : ndarray, shape (N,)
        log(size / x_ref[curve]) on the curve's varying axis.
    y : ndarray, shape (N,)
        log(error / scale[curve]).
    x_ref, scale : ndarray, shape (K,)
        Reference size and error scale of each curve.
    curve_ids : list of str
        Curve labels (the ``curve`` coordinate).
    """

    curve: np.ndarray
    log_x: np.ndarray
    y: np.ndarray
    x_ref: np.ndarray
    scale: np.ndarray
    curve_ids: list[str]

    @property
    def n_curves(self) -> int:
        """Number of curves K."""
        return len(self.curve_ids)


def reference_sizes(table: pd.DataFrame, curves: pd.DataFrame) -> np.ndarray:
    """Geometric mean of each curve's distinct sizes on its varying axis."""
    out = np.empty(len(curves))
    for k, axis in enumerate(curves["axis"]):
        sizes = np.unique(table.loc[table["curve"] == k, axis].to_numpy(dtype=float))
        out[k] = float(np.exp(np.mean(np.log(sizes))))
    return out


def error_scales(table: pd.DataFrame, curves: pd.DataFrame) -> np.ndarray:
    """Median error of each curve's task (so priors are unit-free)."""
    medians = table.groupby("task")["error"].median()
    return curves["task"].map(medians).to_numpy(dtype=float)


def make_design(data: CurveData) -> Design:
    """Build the :class:`Design` of a validated table."""
    table, curves = data.table, data.curves
    curve = table["curve"].to_numpy(dtype=np.int64)
    x_ref = reference_sizes(table, curves)
    scale = error_scales(table, curves)
    axis = curves["axis"].to_numpy()[curve]
    size = np.where(axis == "n_sim", table["n_sim"].to_numpy(float),
                    table["n_real"].to_numpy(float))
    log_x = np.log(size / x_ref[curve])
    y = np.log(table["error"].to_numpy(float) / scale[curve])
    return Design(curve=curve, log_x=log_x, y=y, x_ref=x_ref, scale=scale,
                  curve_ids=curves["curve_id"].tolist())


@dataclass(frozen=True)
class Replicates:
    """Sufficient statistics of replicate groups (one group per curve and size).

    With a Normal likelihood on log error, the replicates at one size enter only through
    their count ``n``, mean ``y_bar`` and within-group sum of squares ``ss``, which makes
    each gradient several times cheaper than one term per replicate (same posterior).
    """

    curve: np.ndarray
    log_x: np.ndarray
    n: np.ndarray
    y_bar: np.ndarray
    ss: np.ndarray


def replicate_groups(design: Design) -> Replicates:
    """Group the observations of ``design`` by (curve, size).

    Examples
    --------
    >>> d = Design(curve=np.array([0, 0, 0]), log_x=np.array([0.0, 0.0, 1.0]),
    ...            y=np.array([1.0, 3.0, 0.5]), x_ref=np.ones(1), scale=np.ones(1),
    ...            curve_ids=["a"])
    >>> g = replicate_groups(d)
    >>> g.n.tolist(), g.y_bar.tolist(), g.ss.tolist()
    ([2, 1], [2.0, 0.5], [2.0, 0.0])
    """
    frame = pd.DataFrame({"curve": design.curve, "log_x": np.round(design.log_x, 12),
                          "y": design.y})
    grouped = frame.groupby(["curve", "log_x"], sort=True)["y"]
    stats = grouped.agg(["size", "mean"]).reset_index()
    ss = grouped.apply(lambda v: float(((v - v.mean()) ** 2).sum())).to_numpy()
    return Replicates(curve=stats["curve"].to_numpy(np.int64),
                      log_x=stats["log_x"].to_numpy(float), n=stats["size"].to_numpy(np.int64),
                      y_bar=stats["mean"].to_numpy(float), ss=np.asarray(ss, dtype=float))
