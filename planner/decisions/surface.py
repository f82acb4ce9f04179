"""Exchange rates of a two-axis surface: the one :func:`~planner.decisions.exchange_table`.

The curve and surface exchange tables are one function over any posterior
(:func:`planner.decisions.tables.exchange_table`). At a (task, database) point
(n simulations, m real samples):

* ``m_eq`` - equivalent real sample size: the from-scratch real size with the same error,
  from the scratch route's closed form where the family has one
  (``family.log_size_to_reach``; for the EDT surface exactly ``m + T(n, m)``);
* ``transferred = m_eq - m``; ``average_rate = n / (m_eq - m)``;
* ``marginal_rate = (dE/dm) / (dE/dn)``, both slopes along the surface (``two_axis``).

:func:`surface_exchange_table` is kept for callers of the release-0.1 name: the same table
at optional per-(task, database) points.

Examples
--------
>>> surface_exchange_table(post, points={("gap", "mp"): (5000.0, 100.0)})  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sim2real.planner.decisions.curves import operating_point
from sim2real.planner.decisions.tables import exchange_table
from sim2real.planner.optim.problem import OperatingPoint


def surface_exchange_table(model: Any, tasks: list[str] | None = None,
                           points: dict[tuple[str, str], tuple[float, float]] | None = None
                           ) -> pd.DataFrame:
    """:func:`~planner.decisions.tables.exchange_table` at optional points.

    Parameters
    ----------
    model : Posterior or ErrorModel with ``data``
    tasks : list of str, optional
        Restrict to these tasks.
    points : dict, optional
        ``{(task, database): (n, m)}``; default: the largest ``n_sim`` measured with the
        database and the largest ``n_real`` measured with it.

    Returns
    -------
    DataFrame
        task, sim_source, n_sim, n_real, then q05/q50/q95 of ``m_eq``, ``transferred``,
        ``average_rate`` and ``marginal_rate``, and ``marginal_method``.
    """
    op = operating_point(model)
    if points:
        op = OperatingPoint({**op.n_sim, **{k: float(v[0]) for k, v in points.items()}},
                            {**op.curve_n_real,
                             **{k: float(v[1]) for k, v in points.items()}},
                            dict(op.n_real))
    return exchange_table(model, tasks=tasks, operating=op)
