"""Forecast scores for backtests: CRPS from draws, interval hits, log errors, and their summary.

All scores here are computed on whatever scale the caller passes; the backtest passes the
natural log of the error, so that scores are unit-free and comparable across tasks.

* :func:`crps_from_draws` -- continuous ranked probability score of the empirical
  distribution of ``S`` draws, in the energy form ``E|X - y| - 0.5 E|X - X'|``, computed in
  ``O(S log S + n log S)`` by sorting (no ``S x S`` matrix). For a point forecast (one
  draw) it reduces to the absolute error.
* :func:`interval_hits` -- whether each observation lies in the central (equal-tailed)
  ``level`` interval of the draws.
* :func:`abs_log_error` -- ``|log(predicted) - log(observed)|``.
* :class:`BacktestResult` -- the scored held-out sizes of a backtest with per-curve and
  overall summaries (a thin pandas layer over the NumPy scores above).

Examples
--------
>>> import numpy as np
>>> crps_from_draws(np.array([0.0, 1.0]), np.array([0.5, 2.0])).tolist()
[0.25, 1.25]
>>> interval_hits(np.arange(101.0), np.array([50.0, 97.0]), 0.9).tolist()
[True, False]
>>> round(float(abs_log_error(np.array(2.0), np.array(1.0))), 4)
0.6931
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


def _as_draws(draws: np.ndarray) -> np.ndarray:
    x = np.asarray(draws, dtype=float).ravel()
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError("draws must be a non-empty array of finite numbers.")
    return x


def crps_from_draws(draws: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """CRPS of the empirical distribution of ``draws`` at each observation.

    Parameters
    ----------
    draws : ndarray, shape (S,)
        Samples of the forecast distribution (e.g. posterior predictive draws).
    observed : ndarray, shape (n,)
        Observations scored against the same forecast.

    Returns
    -------
    ndarray, shape (n,)
        ``E|X - y| - 0.5 E|X - X'|`` with X, X' independent draws from the empirical
        distribution (equal to the integral of ``(F(z) - 1{z >= y})^2``; lower is better;
        0 only for a point forecast equal to ``y``).

    Examples
    --------
    >>> crps_from_draws(np.array([3.0]), np.array([1.0, 3.5])).tolist()
    [2.0, 0.5]
    """
    x = np.sort(_as_draws(draws))
    y = np.atleast_1d(np.asarray(observed, dtype=float))
    m = x.size
    prefix = np.concatenate([[0.0], np.cumsum(x)])        # prefix[k] = sum of k smallest
    k = np.searchsorted(x, y, side="right")                # draws <= y
    below = k * y - prefix[k]                              # sum over x <= y of (y - x)
    above = (prefix[m] - prefix[k]) - (m - k) * y          # sum over x > y of (x - y)
    e_xy = (below + above) / m
    ranks = np.arange(1, m + 1)
    e_xx = 2.0 * np.sum((2 * ranks - m - 1) * x) / m**2    # E|X - X'| from order stats
    return np.asarray(e_xy - 0.5 * e_xx)


def interval_hits(draws: np.ndarray, observed: np.ndarray, level: float) -> np.ndarray:
    """Whether each observation lies in the central ``level`` interval of ``draws``.

    The interval runs from the ``(1 - level) / 2`` to the ``(1 + level) / 2`` sample
    quantile (linear interpolation, NumPy's default), bounds included.

    Examples
    --------
    >>> interval_hits(np.arange(5.0), np.array([0.5, 2.0, 3.9]), 0.5).tolist()
    [False, True, False]
    """
    if not 0 < level < 1:
        raise ValueError(f"interval level {level} must be in (0, 1).")
    x = _as_draws(draws)
    lo, hi = np.quantile(x, [(1 - level) / 2, (1 + level) / 2])
    y = np.atleast_1d(np.asarray(observed, dtype=float))
    return np.asarray((y >= lo) & (y <= hi))


def abs_log_error(predicted: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """``|log(predicted) - log(observed)|`` elementwise (both must be > 0).

    Examples
    --------
    >>> abs_log_error(np.array([1.0, 0.5]), np.array([1.0, 1.0])).round(4).tolist()
    [0.0, 0.6931]
    """
    p, o = np.asarray(predicted, dtype=float), np.asarray(observed, dtype=float)
    if np.any(p <= 0) or np.any(o <= 0):
        raise ValueError("log errors need predicted and observed values > 0.")
    return np.asarray(np.abs(np.log(p) - np.log(o)))


METHOD_LABELS = {"hierarchical": "hierarchical model", "per_curve": "per-curve Bayes",
                 "least_squares": "least squares"}
_SUBJECTS = {"hierarchical": "the hierarchical model's", "per_curve": "the per-curve Bayesian "
             "fits'", "least_squares": "the least-squares fit's"}


def _summarize(points: pd.DataFrame) -> pd.Series:
    """Scores of a group of held-out sizes: MALE (median), coverages / CRPS per replicate."""
    n = points["n_obs"].to_numpy(dtype=float)

    def weighted(col: str) -> float:
        v = points[col].to_numpy(dtype=float)
        return float(np.sum(v * n) / np.sum(n)) if np.all(np.isfinite(v)) else float("nan")

    return pd.Series({"n_sizes": len(points), "n_obs": int(n.sum()),
                      "max_extrapolation": float(points["extrapolation"].max()),
                      "male": float(np.median(points["abs_log_error"])),
                      "cov50": weighted("cov50"), "cov90": weighted("cov90"),
                      "crps": weighted("crps")})


@dataclass(frozen=True)
class BacktestResult:
    """Scores of a backtest (see :mod:`models.evaluation.backtest` and ``docs/backtest.md``).

    Attributes
    ----------
    points : pandas.DataFrame
        One row per method, curve and held-out size: ``method, curve_id, size,
        extrapolation`` (size / largest training size), ``n_obs`` (held-out replicates),
        ``observed_mean, predicted, abs_log_error, cov50, cov90, crps``.
    curves : pandas.DataFrame
        Every input curve with its cutoff, training / held-out sizes and ``status``
        (``scored``, ``train_only``, ``skipped``) and ``reason``.
    fits : pandas.DataFrame
        One row per MCMC fit: ``method, curves, seconds, ok, problems`` (diagnostics).
    settings : Mapping
        Cutoff rule, methods, model spec and sampler settings.

    Examples
    --------
    >>> pts = pd.DataFrame({"method": "least_squares", "curve_id": "c", "size": [8.0, 16.0],
    ...     "extrapolation": [2.0, 4.0], "n_obs": 1, "observed_mean": 1.0,
    ...     "predicted": [1.0, 2.0], "abs_log_error": [0.0, 0.5], "cov50": np.nan,
    ...     "cov90": np.nan, "crps": [0.0, 0.5]})
    >>> r = BacktestResult(points=pts, curves=pd.DataFrame(), fits=pd.DataFrame(),
    ...                    settings={"rule": "sizes <= 4"})
    >>> r.overall()[["method", "male", "crps"]].values.tolist()
    [['least_squares', 0.25, 0.25]]
    """

    points: pd.DataFrame
    curves: pd.DataFrame
    fits: pd.DataFrame
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def methods(self) -> list[str]:
        """Methods scored, in the order they were run."""
        return [] if self.points.empty else list(dict.fromkeys(self.points["method"]))

    def _grouped(self, keys: list[str]) -> pd.DataFrame:
        if self.points.empty:
            return pd.DataFrame(columns=[*keys, "n_sizes", "n_obs", "max_extrapolation",
                                         "male", "cov50", "cov90", "crps"])
        cols = ["n_obs", "extrapolation", "abs_log_error", "cov50", "cov90", "crps"]
        out = self.points.groupby(keys, sort=False)[cols].apply(_summarize).reset_index()
        return out.astype({"n_sizes": "int64", "n_obs": "int64"})

    def per_curve(self) -> pd.DataFrame:
        """Scores per method and curve (MALE = median over the curve's held-out sizes)."""
        return self._grouped(["curve_id", "method"])

    def overall(self) -> pd.DataFrame:
        """Scores per method over every held-out size, plus ``male_ratio_ls`` (MALE /
        least-squares MALE) when least squares was run."""
        out = self._grouped(["method"])
        if "least_squares" in self.methods:
            ls = float(out.loc[out["method"] == "least_squares", "male"].iloc[0])
            out["male_ratio_ls"] = out["male"] / ls if ls > 0 else float("nan")
        return out

    def sentence(self) -> str:
        """One plain-language sentence about how far the extrapolation can be trusted."""
        rule = str(self.settings.get("rule", "the training sizes"))
        if self.points.empty:
            return f"Fitting on {rule}, no curve had held-out sizes: nothing was scored."
        overall = self.overall().set_index("method")
        main = next(m for m in (*METHOD_LABELS, *self.methods) if m in overall.index)
        row = overall.loc[main]
        top = float(self.points["size"].max())
        n_curves = self.points["curve_id"].nunique()
        text = (f"Fitting on {rule}, {_SUBJECTS.get(main, main)} prediction of "
                f"the held-out sizes of {n_curves} curve(s) (up to {top:g}, at most "
                f"{row['max_extrapolation']:.3g}x the largest training size) was off by a "
                f"median {_pct(row['male'])}")
        others = [f"{METHOD_LABELS.get(m, m)}: {_pct(overall.loc[m, 'male'])}"
                  for m in overall.index if m != main]
        text += f" ({', '.join(others)})" if others else ""
        if np.isfinite(row["cov90"]):
            text += (f"; its 90% predictive intervals covered {100 * row['cov90']:.0f}% of the "
                     f"{int(row['n_obs'])} held-out measurements (50% intervals: "
                     f"{100 * row['cov50']:.0f}%)")
        return text + "."

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: settings, sentence, overall / per-curve / per-size scores, curves
        (with skipped ones and why) and fit diagnostics; NaN becomes ``null``."""
        def records(frame: pd.DataFrame) -> Any:
            return json.loads(frame.to_json(orient="records")) if len(frame) else []

        return {"settings": dict(self.settings), "sentence": self.sentence(),
                "overall": records(self.overall()), "per_curve": records(self.per_curve()),
                "points": records(self.points), "curves": records(self.curves),
                "fits": records(self.fits)}

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON text."""
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)


def _pct(male: float) -> str:
    """A median absolute log error as the percentage it means (exp(MALE) - 1)."""
    return f"{100 * (np.exp(male) - 1):.0f}%" if np.isfinite(male) else "n/a"
