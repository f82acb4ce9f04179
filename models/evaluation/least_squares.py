"""Least-squares point estimates of every measured curve (the plug-in baseline's model).

Each curve ``E(x) = c + d * x ** (-alpha)`` is fitted to the seed-mean errors by
``scipy.optimize.curve_fit`` in log-error space, with ``c >= 0``, ``d > 0``,
``0.01 <= alpha <= 3``.

Examples
--------
>>> import pandas as pd
>>> x = [100, 200, 400, 800, 1600]
>>> t = pd.DataFrame({"task": "a", "sim_source": "none", "n_sim": 0, "n_real": x,
...                   "error": [0.1 + 2 * v ** -0.5 for v in x]})
>>> round(float(least_squares_model(t).curves[("a", "none")].alpha[0]), 2)
0.5
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy.optimize import curve_fit

from sim2real.models.data.contract import NO_SOURCE
from sim2real.models.errors import InputDataError
from sim2real.models.evaluation.point_draws import CurveDraws, PowerLawDraws


class LeastSquaresFitError(InputDataError):
    """A least-squares fit failed (too few sizes, non-finite errors, no convergence)."""


def fit_power_law(x: np.ndarray, y: np.ndarray, *,
                  strict: bool = False) -> tuple[float, float, float]:
    """Least-squares ``(c, d, alpha)`` of ``y = c + d x^-alpha`` (log residuals).

    When the fit fails (fewer than 3 distinct sizes, errors not finite and > 0, no
    convergence), ``strict`` raises :class:`LeastSquaresFitError`; otherwise the starting
    guess is returned (the backtest's lenient behaviour).
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if strict and len(np.unique(x)) < 3:
        raise LeastSquaresFitError(f"{len(np.unique(x))} distinct size(s) cannot determine "
                                   "the 3 parameters (any curve through them fits)")
    if strict and not np.all(np.isfinite(y) & (y > 0)):
        raise LeastSquaresFitError("errors must be finite and > 0")

    def f(xx: np.ndarray, lc: float, ld: float, a: float) -> np.ndarray:
        return np.log(np.exp(lc) + np.exp(ld) * xx ** (-a))

    c0 = max(float(y.min()) * 0.5, 1e-6)
    d0 = max(float(y.max() - c0), 1e-6) * float(x.min()) ** 0.5
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p, _ = curve_fit(f, x, np.log(y), p0=[np.log(c0), np.log(d0), 0.5],
                             bounds=([-20.0, -20.0, 0.01], [10.0, 30.0, 3.0]), maxfev=5000)
        if not np.all(np.isfinite(p)):
            raise ValueError(f"non-finite parameters {p.tolist()}")
        return float(np.exp(p[0])), float(np.exp(p[1])), float(p[2])
    except (RuntimeError, ValueError, TypeError) as exc:
        if strict:
            raise LeastSquaresFitError(f"{len(x)} size(s): {exc}") from exc
        return c0, d0, 0.5


def curve_groups(table: Any) -> list[tuple[str, str, float | None, np.ndarray, np.ndarray]]:
    """``(task, source, fixed n_real or None, sizes, seed-mean errors)`` per curve."""
    out: list[tuple[str, str, float | None, np.ndarray, np.ndarray]] = []
    for (task, src), rows in table.groupby(["task", "sim_source"]):
        if src == NO_SOURCE:
            g = rows.groupby("n_real")["error"].mean()
            out.append((str(task), str(src), None, g.index.to_numpy(float), g.to_numpy()))
            continue
        m = float(rows["n_real"].max())
        g = rows[rows["n_real"] == m].groupby("n_sim")["error"].mean()
        out.append((str(task), str(src), m, g.index.to_numpy(float), g.to_numpy()))
    return out


def least_squares_model(table: Any, *, strict: bool = False) -> PowerLawDraws:
    """One-draw :class:`PowerLawDraws` from least-squares fits of every curve.

    ``strict``: a curve whose fit fails raises :class:`LeastSquaresFitError` naming it
    (instead of silently keeping the fit's starting guess).
    """
    curves = {}
    for task, src, m, x, y in curve_groups(table):
        try:
            c, d, a = fit_power_law(x, y, strict=strict)
        except LeastSquaresFitError as exc:
            raise LeastSquaresFitError(
                f"curve (task '{task}', sim_source '{src}'): the least-squares fit of "
                f"E = c + d x^-alpha failed ({exc}).") from exc
        curves[(task, src)] = CurveDraws(np.array([c]), np.array([d]), np.array([a]), m)
    return PowerLawDraws(curves)
