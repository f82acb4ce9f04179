"""Access to one curve of any ErrorModel: error draws on a grid, parameters when known.

A *route* of a task is ``"real"`` (learning from scratch, size = ``n_real``) or a database
name (pre-training, size = ``n_sim`` at the ``n_real`` its curve was measured at).

Examples
--------
>>> route_curve(model, op, "gap", "mp").error_at([1000.0])  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from models.errors import UnknownCurveError
from planner.decisions.core import invert_on_grid, size_to_reach
from planner.decisions.core import slope as core_slope
from planner.optim.problem import NO_SOURCE, OperatingPoint, operating_point_from_table
from planner.protocols import ErrorModel

FAR = 1e12
REAL = "real"


@dataclass(frozen=True)
class RouteCurve:
    """One route of one task at the current operating point."""

    model: Any
    task: str
    route: str
    size: float
    n_real: float

    @property
    def axis(self) -> str:
        """``n_real`` for the scratch route, ``n_sim`` for a database."""
        return "n_real" if self.route == REAL else "n_sim"

    def error_at(self, sizes: Any) -> np.ndarray:
        """Error draws ``(S, Q)`` along the route's axis."""
        sizes = np.atleast_1d(np.asarray(sizes, dtype=float))
        if self.route == REAL:
            return np.asarray(self.model.error_draws(self.task, NO_SOURCE, 0.0 * sizes, sizes))
        return np.asarray(self.model.error_draws(self.task, self.route, sizes,
                                                 np.full_like(sizes, self.n_real)))

    def parameters(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Draws ``(c, d, alpha)`` if the model exposes them, else ``None``."""
        src = NO_SOURCE if self.route == REAL else self.route
        n_sim = 0.0 if self.route == REAL else self.size
        if hasattr(self.model, "find_curve") and hasattr(self.model, "curve_parameters"):
            p = self.model.curve_parameters(self.model.find_curve(self.task, src, n_sim,
                                                                  self.n_real))
            return np.asarray(p.c), np.asarray(p.d), np.asarray(p.alpha)
        curves = getattr(self.model, "curves", None)
        if isinstance(curves, dict) and (self.task, src) in curves:
            p = curves[(self.task, src)]
            return np.asarray(p.c), np.asarray(p.d), np.asarray(p.alpha)
        return None

    def floor(self) -> np.ndarray:
        """Draws of the floor ``C`` (exact from parameters, else the error at 1e12)."""
        p = self.parameters()
        return p[0] if p is not None else self.error_at([FAR])[:, 0]

    def size_to_reach(self, target: float) -> np.ndarray:
        """Draws of the size on this route reaching ``target`` (``inf``: never)."""
        p = self.parameters()
        if p is not None:
            return size_to_reach(*p, target)
        return invert_on_grid(self.error_at, target)

    def slope(self, x: np.ndarray) -> np.ndarray:
        """Draw-wise ``dE/dx`` at draw-wise sizes ``x`` (S,) by central differences."""
        x = np.broadcast_to(np.asarray(x, dtype=float), (self._n_draws(),))
        p = self.parameters()
        if p is not None:
            with np.errstate(invalid="ignore", over="ignore"):
                return np.where(np.isfinite(x), core_slope(*p, np.where(np.isfinite(x), x,
                                                                         1.0)), np.nan)
        out = np.full(x.shape, np.nan)
        ok = np.isfinite(x) & (x > 0)
        if not ok.any():
            return out
        h = 1e-3
        hi, lo = x[ok] * (1 + h), x[ok] * (1 - h)
        e_hi = self.error_at(hi)[ok, :]
        e_lo = self.error_at(lo)[ok, :]
        idx = np.arange(int(ok.sum()))
        out[ok] = (e_hi[idx, idx] - e_lo[idx, idx]) / (hi - lo)
        return out

    def _n_draws(self) -> int:
        return int(self.model.n_draws)


def operating_point(model: ErrorModel, operating: OperatingPoint | None = None,
                    table: Any = None) -> OperatingPoint:
    """The given operating point, else the one of ``table`` or of ``model.data``."""
    if operating is not None:
        return operating
    if table is None:
        data = getattr(model, "data", None)
        table = getattr(data, "table", data)
    if table is None:
        raise UnknownCurveError("no operating point: pass operating=... or a model with "
                                "its data (.data.table).")
    return operating_point_from_table(table)


def routes(model: ErrorModel, op: OperatingPoint, task: str) -> list[RouteCurve]:
    """Every route of ``task`` that the model describes."""
    if task not in op.n_real:
        raise UnknownCurveError(f"no data for task '{task}'. Tasks: {op.tasks}.")
    out = [RouteCurve(model, task, REAL, op.n_real[task], op.n_real[task])]
    out += [RouteCurve(model, task, s, op.n_sim[(task, s)], op.curve_n_real[(task, s)])
            for s in op.databases(task)]
    usable = []
    for r in out:
        try:
            r.error_at([r.size])
            usable.append(r)
        except UnknownCurveError:
            continue
    return usable
