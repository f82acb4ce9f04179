"""Sim-to-real exchange rates on a two-axis surface (pure NumPy core, pandas wrapper).

At an operating point (n simulations, m real samples) of a (task, database):

* ``m_eq`` - equivalent real sample size: the from-scratch real size with the same error
  (the scratch curve is inverted; for the EDT form this is exactly ``m + T(n, m)``);
* ``transferred = m_eq - m`` - effective data transferred;
* ``average_rate = n / (m_eq - m)`` - simulations per transferred experiment;
* ``marginal_rate = (dE/dm) / (dE/dn)`` - simulations buying the error reduction of one
  more experiment at the margin.

Examples
--------
>>> import numpy as np
>>> p = {"log_c": np.log([0.1]), "log_a": np.log([0.5]), "beta": np.array([0.5]),
...      "log_t0": np.array([0.0]), "a_t": np.array([0.5]), "b_t": np.array([0.0]),
...      "m_ref": 100.0, "n_ref": 1000.0, "scale": 1.0}
>>> d = surface_exchange_draws("edt", p, n=1000.0, m=100.0)
>>> round(float(d["m_eq"][0]), 6), round(float(d["average_rate"][0]), 6)   # T = m_ref
(200.0, 10.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.surface_forms import NUMPY_OPS, invert_scratch, surface_log_error
from planner.decisions.core import average_rate, marginal_rate, quantile_row

REL_STEP = 1e-4


def _log_error(form: str, p: dict[str, Any], n: float, m: float) -> np.ndarray:
    theta = {k: np.asarray(v) for k, v in p.items() if k not in ("m_ref", "n_ref", "scale")}
    return np.asarray(surface_log_error(form, NUMPY_OPS, np.log(m / p["m_ref"]),
                                        n / p["n_ref"], theta))


def surface_exchange_draws(form: str, params: dict[str, Any], n: float,
                           m: float) -> dict[str, np.ndarray]:
    """Draws of ``m_eq``, ``transferred``, ``average_rate``, ``marginal_rate``.

    Parameters
    ----------
    form : str
        ``"edt"`` or ``"additive"``.
    params : dict
        Scale-free parameter draws of one (task, database), as returned by
        :meth:`models.surface_posterior.SurfacePosterior.parameters`.
    n, m : float
        Operating point: simulations (> 0) and real samples (> 0).
    """
    if not (n > 0 and m > 0):
        raise ValueError(f"operating point needs n > 0 and m > 0, got n={n}, m={m}.")
    y = _log_error(form, params, n, m)
    m_eq = params["m_ref"] * np.exp(invert_scratch(form, y, params))
    h = REL_STEP
    scale = params["scale"]
    de_dm = scale * (np.exp(_log_error(form, params, n, m * (1 + h)))
                     - np.exp(_log_error(form, params, n, m * (1 - h)))) / (2 * h * m)
    de_dn = scale * (np.exp(_log_error(form, params, n * (1 + h), m))
                     - np.exp(_log_error(form, params, n * (1 - h), m))) / (2 * h * n)
    return {"m_eq": m_eq, "transferred": m_eq - m, "average_rate": average_rate(n, m, m_eq),
            "marginal_rate": marginal_rate(de_dm, de_dn)}


def surface_exchange_table(model: Any, tasks: list[str] | None = None,
                           points: dict[tuple[str, str], tuple[float, float]] | None = None
                           ) -> pd.DataFrame:
    """Exchange rates per (task, database) of a :class:`SurfacePosterior` with quantiles.

    Parameters
    ----------
    model : SurfacePosterior
    tasks : list of str, optional
        Restrict to these tasks.
    points : dict, optional
        ``{(task, database): (n, m)}``; default: the largest ``n_sim`` measured with the
        database and the largest ``n_real`` measured with it.

    Returns
    -------
    DataFrame
        task, sim_source, n_sim, n_real, form, then q05/q50/q95 of ``m_eq``,
        ``transferred``, ``average_rate`` and ``marginal_rate``.
    """
    table = model.data.table
    rows = []
    for task, src in model.design.pairs:
        if tasks and task not in tasks:
            continue
        sel = table[(table["task"] == task) & (table["sim_source"] == src)]
        n, m = (points or {}).get((task, src), (float(sel["n_sim"].max()),
                                                float(sel["n_real"].max())))
        draws = surface_exchange_draws(model.form, model.parameters(task, src), n, m)
        row: dict[str, Any] = {"task": task, "sim_source": src, "n_sim": n, "n_real": m,
                               "form": model.form}
        for k, v in draws.items():
            row.update(quantile_row(v, k))
        rows.append(row)
    return pd.DataFrame(rows)
