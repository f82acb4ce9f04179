"""Access to one route of any ErrorModel: error draws, floor, size to reach a target, slope.

A *route* of a task is ``"real"`` (learning from scratch, size = ``n_real``) or a database
name (pre-training, size = ``n_sim`` at the ``n_real`` its curve was measured at).

The floor and the size reaching a target come from the model's optional closed forms
(``route_floor`` / ``route_size_to_reach``, see :class:`planner.protocols.RouteClosedForms`)
where it has them; otherwise the error draws are evaluated far out / inverted on a log grid.
Slopes are central differences of draw-wise errors: each draw at its own size, in O(S)
through the family of a fitted posterior (:func:`paired_errors`), else from the
``(S, Q)`` error draws.

Examples
--------
>>> import numpy as np
>>> class Scratch:
...     n_draws = 1
...     def error_draws(self, task, sim_source, n_sim, n_real):
...         return (0.1 + np.atleast_1d(np.asarray(n_real, float)) ** -0.5)[None, :]
>>> r = RouteCurve(Scratch(), "a", REAL, 10.0, 10.0)
>>> round(float(r.size_to_reach(0.2)[0]))          # grid inversion: no closed form
100
>>> round(float(r.slope(np.array([100.0]))[0]), 6)  # -0.5 * 100^-1.5
-0.0005
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim2real.models.errors import UnknownCurveError
from sim2real.planner.decisions.core import invert_on_grid
from sim2real.planner.optim.problem import NO_SOURCE, OperatingPoint, operating_point_from_table
from sim2real.planner.protocols import ErrorModel

FAR = 1e12
REAL = "real"
#: Relative step of the central differences (truncation error ~ REL_STEP^2).
REL_STEP = 1e-4
#: Distinct sizes evaluated per ``error_draws`` call when a model has no paired evaluation.
CHUNK = 256


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

    @property
    def sim_source(self) -> str:
        """The ``sim_source`` of the route (``"none"`` from scratch)."""
        return NO_SOURCE if self.route == REAL else self.route

    def sizes(self, x: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(n_sim, n_real)`` of the route at sizes ``x`` (1-D)."""
        x = np.atleast_1d(np.asarray(x, dtype=float))
        if self.route == REAL:
            return 0.0 * x, x
        return x, np.full_like(x, self.n_real)

    def error_at(self, sizes: Any) -> np.ndarray:
        """Error draws ``(S, Q)`` along the route's axis."""
        return np.asarray(self.model.error_draws(self.task, self.sim_source,
                                                 *self.sizes(sizes)))

    def _point(self) -> tuple[float, float]:
        """``(n_sim, n_real)`` of the route's current operating point."""
        n_sim, n_real = self.sizes([self.size])
        return float(n_sim[0]), float(n_real[0])

    def floor(self) -> np.ndarray:
        """Draws of the floor (closed form if the model has one, else the error at 1e12)."""
        return self.floor_with_basis()[0]

    def floor_with_basis(self) -> tuple[np.ndarray, str]:
        """Draws of the floor and what it is: ``"asymptote"`` (the model's limit as the
        route's size grows without bound) or ``"horizon n=1e+12"`` (the error at the stated
        horizon :data:`FAR`, for a model without a closed-form limit on this route)."""
        closed = getattr(self.model, "route_floor", None)
        if closed is not None:
            out = closed(self.task, self.sim_source, *self._point())
            if out is not None:
                return np.array(np.broadcast_to(np.asarray(out, dtype=float),
                                                (self._n_draws(),))), "asymptote"
        return self.error_at([FAR])[:, 0], f"horizon n={FAR:.0e}"

    def size_to_reach(self, target: float | np.ndarray) -> np.ndarray:
        """Draws of the size on this route reaching ``target`` (``inf``: never).

        ``target`` is one error or one per draw ``(S,)``.
        """
        closed = getattr(self.model, "route_size_to_reach", None)
        if closed is not None:
            out = closed(self.task, self.sim_source, *self._point(), target)
            if out is not None:
                return np.array(np.broadcast_to(np.asarray(out, dtype=float),
                                                (self._n_draws(),)))
        return invert_on_grid(self.error_at, target)

    def error_drawwise(self, x: Any) -> np.ndarray:
        """Draw ``s`` of the error at its own size ``x[s]``, shape ``(S,)`` (NaN where
        ``x`` is not a finite positive size)."""
        s = self._n_draws()
        x = np.broadcast_to(np.asarray(x, dtype=float), (s,))
        out = np.full(s, np.nan)
        ok = np.isfinite(x) & (x > 0)
        if not ok.any():
            return out
        rows, xs = np.flatnonzero(ok), x[ok]
        distinct, where = np.unique(xs, return_inverse=True)
        if distinct.size > CHUNK:
            safe = np.where(ok, x, xs[0])
            paired = paired_errors(self.model, self.task, self.sim_source,
                                   *self.sizes(safe))
            if paired is not None:
                return np.where(ok, paired, np.nan)
        for lo in range(0, distinct.size, CHUNK):
            hit = (where >= lo) & (where < lo + CHUNK)
            e = self.error_at(distinct[lo:lo + CHUNK])
            out[rows[hit]] = e[rows[hit], where[hit] - lo]
        return out

    def slope(self, x: np.ndarray) -> np.ndarray:
        """Draw-wise ``dE/dx`` at draw-wise sizes ``x`` (S,) by central differences."""
        x = np.broadcast_to(np.asarray(x, dtype=float), (self._n_draws(),))
        ok = np.isfinite(x) & (x > 0)
        safe = np.where(ok, x, 1.0)
        hi, lo = safe * (1 + REL_STEP), safe * (1 - REL_STEP)
        out = (self.error_drawwise(hi) - self.error_drawwise(lo)) / (hi - lo)
        return np.where(ok, out, np.nan)

    def _n_draws(self) -> int:
        return int(self.model.n_draws)


def paired_errors(model: Any, task: str, sim_source: str, n_sim: np.ndarray,
                  n_real: np.ndarray) -> np.ndarray | None:
    """Draw ``s`` of the error at ``(n_sim[s], n_real[s])``, shape ``(S,)``, in O(S).

    For a fitted family posterior (members ``family``, ``design``, ``data`` and
    ``point_parameters``): the family's formula on the point's parameter draws and the
    scale-free inputs of each draw's sizes. Every size must lie on the same route (one
    curve, or one (task, database) of a surface). ``None`` for any other model.
    """
    family, design = getattr(model, "family", None), getattr(model, "design", None)
    if family is None or design is None or not hasattr(model, "point_parameters"):
        return None
    from sim2real.models.data.design import locate, query_inputs
    from sim2real.models.families.ops import NUMPY_OPS

    ns, nr = np.asarray(n_sim, dtype=float), np.asarray(n_real, dtype=float)
    _, where = locate(design, model.data, task, sim_source, (ns, nr))
    x = query_inputs(design, NUMPY_OPS, where, ns, nr, np.asarray)
    p = model.point_parameters(task, sim_source, float(ns[0]), float(nr[0]))
    return np.asarray(p["scale"] * np.exp(family.log_error(NUMPY_OPS, x, p)), dtype=float)


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
        raise UnknownCurveError(f"no data for task '{task}'. Tasks: {op.tasks}. Fix: pass "
                                f"one of them, e.g. --task {(op.tasks or ['<task>'])[0]}.")
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
