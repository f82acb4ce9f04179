"""Decision tables (pandas) with 5/50/95% posterior quantiles, for any ErrorModel.

* :func:`required_size_table` - size needed per task and route to reach a target, and
  ``P(unreachable) = P(floor >= target)``, the floor being the route's asymptote where the
  model has one (every registered family, both axes of a surface) and the error at a stated
  horizon otherwise (column ``unreachable_basis`` says which).
* :func:`exchange_table` - equivalent real sample size ``m_eq`` of a database, the data
  transferred ``m_eq - m``, the average rate ``n / (m_eq - m)`` and the marginal rate
  ``(dE/dm) / (dE/dn)`` (simulations that buy the error reduction of one experiment).
  One table for every family: single-axis curves and two-axis surfaces alike. Beside
  each figure: how far ``m_eq`` extrapolates the from-scratch curve (``m_eq`` over the
  largest measured from-scratch ``n_real``; flagged past :data:`EXTRAPOLATION_FLAG`), the
  share of draws where nothing transfers (``m_eq <= m``) and where no from-scratch size
  matches the pre-trained error (``m_eq = inf``).
* :func:`database_value_table` - expected error reduction per extra 1,000 simulations.

Nothing here branches on a model's family: closed forms are used where the model offers
them (:mod:`planner.decisions.curves`), and whether a database route also moves along
``n_real`` is asked of the model.

Examples
--------
>>> required_size_table(model, {"gap": 0.3})  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim2real.models.errors import PlanningError, UnknownCurveError
from sim2real.planner.decisions.core import (
    average_rate,
    marginal_rate,
    p_unreachable,
    quantile_row,
)
from sim2real.planner.decisions.curves import REAL, REL_STEP, RouteCurve, operating_point, routes
from sim2real.planner.optim.evaluate import TaskErrorEvaluator
from sim2real.planner.optim.problem import OperatingPoint, PlanProblem, Source
from sim2real.planner.protocols import ErrorModel

#: ``m_eq`` past this multiple of the measured from-scratch range is flagged.
EXTRAPOLATION_FLAG = 10.0

#: A floor whose posterior spread (sd of log floor) is at least this share of its prior
#: spread is "not identified by the data".
IDENTIFIED_BELOW = 0.9

UNREACHABLE_NOTE = ("floor above target: more of this route cannot reach it; use a better "
                    "simulator or more real data")


def required_size_table(model: ErrorModel, targets: Mapping[str, float],
                        operating: OperatingPoint | None = None,
                        table: Any = None) -> pd.DataFrame:
    """Required size per (task, route) to reach each task's target.

    Columns: task, route, axis, target, current_size, p_unreachable, unreachable_basis
    (``asymptote`` or the horizon it was evaluated at), floor_spread (posterior sd of the
    log floor over its prior sd, when the model offers ``prior_view``), floor_identified
    (``False``: the floor's posterior is about its prior, so ``P(unreachable)`` says what
    the prior says), size_q05/q50/q95 (``inf`` = never), additional_q50 (size beyond the
    current one), note.
    """
    op = operating_point(model, operating, table)
    prior_view = getattr(model, "prior_view", None)
    prior = prior_view() if callable(prior_view) else None
    rows = []
    for task, target in targets.items():
        if not target > 0:
            raise PlanningError(f"target for task '{task}' must be > 0, got {target}. "
                                f"Fix: give a positive target error, e.g. {task}=0.1.")
        for r in routes(model, op, task):
            size = r.size_to_reach(float(target))
            floor, basis = r.floor_with_basis()
            p_un = p_unreachable(floor, float(target))
            spread = floor_spread(floor, prior, r)
            identified = None if spread is None else bool(spread < IDENTIFIED_BELOW)
            note = UNREACHABLE_NOTE if p_un >= 0.5 else ""
            if identified is False:
                note = (f"floor not identified by the data (posterior spread {spread:.0%} "
                        "of the prior's): P(unreachable) reflects the prior" +
                        (f"; {note}" if note else ""))
            row = {"task": task, "route": r.route, "axis": r.axis, "target": float(target),
                   "current_size": r.size, "p_unreachable": p_un, "unreachable_basis": basis,
                   "floor_spread": spread, "floor_identified": identified,
                   **quantile_row(size, "size"),
                   "additional_q50": max(quantile_row(size, "s")["s_q50"] - r.size, 0.0),
                   "note": note}
            rows.append(row)
    return pd.DataFrame(rows)


def floor_spread(floor: np.ndarray, prior: Any, route: RouteCurve) -> float | None:
    """Posterior sd of the log floor over its prior sd on the same route (``None``:
    no prior, or a floor of 0 such as the plain power law's)."""
    if prior is None:
        return None
    before = RouteCurve(prior, route.task, route.route, route.size, route.n_real).floor()
    post, pri = np.asarray(floor, dtype=float), np.asarray(before, dtype=float)
    post, pri = post[np.isfinite(post) & (post > 0)], pri[np.isfinite(pri) & (pri > 0)]
    if post.size < 2 or pri.size < 2 or np.std(np.log(pri)) == 0:
        return None
    return float(np.std(np.log(post)) / np.std(np.log(pri)))


def exchange_draws(scratch: RouteCurve, transfer: RouteCurve, two_axis: bool,
                   scratch_max: float | None = None) -> dict[str, np.ndarray]:
    """Draws of m_eq, transferred data, average and marginal rates for one database.

    ``m_eq`` is the scratch size whose error equals the pre-trained error, draw by draw
    (the scratch route's closed form where the model has one: for a surface with an
    effective-data-transferred form, exactly ``m + T(n, m)``). ``two_axis``: the model
    moves the database route along ``n_real`` too, so ``dE/dm`` is taken there; otherwise
    one more experiment moves the equivalent scratch learner from ``m_eq`` to ``m_eq + 1``;
    that slope does not exist where ``m_eq = inf`` (no from-scratch size matches the
    pre-trained error), so the marginal rate is NaN there (not 0) and the table reports
    the share of such draws. ``extrapolation``: ``m_eq / scratch_max`` (at least 1), how
    far the from-scratch curve is extrapolated (``scratch_max``: its largest measured size,
    default the scratch route's current size).
    """
    n, m = transfer.size, transfer.n_real
    e_t = transfer.error_at([n])[:, 0]
    m_eq = scratch.size_to_reach(e_t)
    de_dn = transfer.slope(np.full(e_t.shape, n))
    if two_axis:
        h = REL_STEP * m
        up = transfer.model.error_draws(transfer.task, transfer.route, [n], [m + h])[:, 0]
        dn = transfer.model.error_draws(transfer.task, transfer.route, [n], [m - h])[:, 0]
        de_dm = (np.asarray(up) - np.asarray(dn)) / (2 * h)
    else:
        finite = np.isfinite(m_eq)
        de_dm = np.full_like(m_eq, np.nan)
        if finite.any():
            de_dm[finite] = np.asarray(scratch.slope(m_eq))[finite]
    rate = marginal_rate(de_dm, de_dn)
    rate[np.isnan(de_dm)] = np.nan
    top = float(scratch_max if scratch_max is not None else scratch.size)
    with np.errstate(invalid="ignore"):
        extrapolation = np.maximum(m_eq / top, 1.0)
    return {"m_eq": m_eq, "transferred": m_eq - m, "average_rate": average_rate(n, m, m_eq),
            "marginal_rate": rate, "extrapolation": extrapolation}


def exchange_table(model: ErrorModel, tasks: list[str] | None = None,
                   operating: OperatingPoint | None = None, table: Any = None) -> pd.DataFrame:
    """Sim-to-real exchange rates per (task, database) at the current operating point.

    The point of a database is its largest measured ``n_sim`` and the largest ``n_real``
    measured with it (pass ``operating`` for others). Columns: task, sim_source, n_sim,
    n_real, then q05/q50/q95 of ``m_eq``,
    ``transferred`` (= m_eq - m), ``average_rate`` (simulations per transferred
    experiment) and ``marginal_rate`` (simulations per experiment at the margin), and
    ``marginal_method`` (``two_axis`` or ``scratch_slope_at_m_eq``).
    """
    op = operating_point(model, operating, table)
    rows = []
    for task in tasks or op.tasks:
        rs = routes(model, op, task)
        scratch = next((r for r in rs if r.route == REAL), None)
        if scratch is None:
            raise UnknownCurveError(f"task '{task}': no from-scratch curve (sim_source "
                                    "'none'); exchange rates need one.")
        for tr in (r for r in rs if r.route != REAL):
            two = _is_two_axis(tr)
            draws = exchange_draws(scratch, tr, two, scratch_range(model, task, scratch.size))
            row: dict[str, Any] = {"task": task, "sim_source": tr.route, "n_sim": tr.size,
                                   "n_real": tr.n_real}
            for k, v in draws.items():
                row.update(quantile_row(v, k))
            row["marginal_method"] = "two_axis" if two else "scratch_slope_at_m_eq"
            row.update(transfer_shares(draws["m_eq"], tr.n_real))
            row["extrapolated"] = bool(row["extrapolation_q50"] > EXTRAPOLATION_FLAG)
            rows.append(row)
    return pd.DataFrame(rows)


def transfer_shares(m_eq: np.ndarray, m: float) -> dict[str, float]:
    """Shares of draws where nothing transfers (``m_eq <= m``) and where no from-scratch
    size matches the pre-trained error (``m_eq = inf``).

    Examples
    --------
    >>> transfer_shares(np.array([50.0, 80.0, np.inf, 300.0]), 100.0)
    {'p_no_transfer': 0.5, 'p_m_eq_infinite': 0.25}
    """
    m_eq = np.asarray(m_eq, dtype=float)
    return {"p_no_transfer": float(np.mean(m_eq <= m)),
            "p_m_eq_infinite": float(np.mean(np.isposinf(m_eq)))}


def scratch_range(model: Any, task: str, default: float) -> float:
    """Largest from-scratch ``n_real`` measured for ``task`` in the model's data
    (``default`` when the model carries no data)."""
    data = getattr(model, "data", None)
    table = getattr(data, "table", None)
    if table is None:
        return float(default)
    rows = table[(table["task"] == task) & (table["sim_source"] == "none")]
    return float(rows["n_real"].max()) if len(rows) else float(default)


def _is_two_axis(tr: RouteCurve) -> bool:
    """Whether the model moves the database route along ``n_real`` as well."""
    try:
        tr.model.error_draws(tr.task, tr.route, [tr.size], [tr.n_real * 1.01 + 1.0])
        return True
    except UnknownCurveError:
        return False


def database_value_table(model: ErrorModel, step: int = 1000,
                         operating: OperatingPoint | None = None,
                         table: Any = None) -> pd.DataFrame:
    """Expected reduction of each task's error per ``step`` more simulations of a database.

    The task error follows the planner's convention (best route per draw). Columns: task,
    sim_source, step, reduction_mean, reduction_q05/q50/q95.
    """
    op = operating_point(model, operating, table)
    rows = []
    for src in sorted({s for (_, s) in op.n_sim}):
        prob = PlanProblem((Source(src, 1.0),), float(step), op)
        ev = TaskErrorEvaluator(model, prob)
        for task in ev.tasks:
            if (task, src) not in op.n_sim:
                continue
            e = np.asarray(ev.task_draws(task, np.array([[0.0], [float(step)]])))
            red = e[:, 0] - e[:, 1]
            rows.append({"task": task, "sim_source": src, "step": step,
                         "reduction_mean": float(red.mean()), **quantile_row(red, "reduction")})
    return pd.DataFrame(rows)
