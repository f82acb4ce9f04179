"""How far a prediction lies beyond the sizes its curve was measured at.

A learning curve measured between ``n_min`` and ``n_max`` predicts at ``n`` with an
*extrapolation factor* ``n / n_max`` above the range, ``n_min / n`` below it and 1 inside.
Predictions with a factor above :data:`FLAG_FACTOR` (an order of magnitude) rest on the
model form more than on data, and are flagged. On a two-axis surface the factor is the
larger of the ``n_real`` and ``n_sim`` factors (ranges of the same task and database).

Examples
--------
>>> range_factor(np.array([5.0, 50.0, 2000.0]), 10.0, 100.0).tolist()
[2.0, 1.0, 20.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim2real.models.data.contract import NO_SOURCE
from sim2real.models.data.design import locate

#: Predictions beyond this factor of their curve's measured range are flagged.
FLAG_FACTOR = 10.0


def range_factor(size: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``size / hi`` above ``[lo, hi]``, ``lo / size`` below, 1 inside (``inf`` at 0)."""
    size = np.asarray(size, dtype=float)
    with np.errstate(divide="ignore"):
        below = np.where(size > 0, lo / np.where(size > 0, size, 1.0), np.inf)
    return np.where(size > hi, size / hi, np.where(size < lo, below, 1.0))


def extrapolation_factor(post: Any, task: str, sim_source: str, n_sim: float,
                         n_real: float) -> float:
    """Extrapolation factor of one query of ``post`` (a fitted Posterior)."""
    if post.design.layout == "curve":
        idx, _ = locate(post.design, post.data, task, sim_source,
                        (np.array([float(n_sim)]), np.array([float(n_real)])))
        curve_id = post.design.coords["curve"][int(idx["curve"][0])]
        c = post.data.curves.set_index("curve_id").loc[curve_id]
        size = n_sim if c["axis"] == "n_sim" else n_real
        return float(range_factor(np.array([size]), c["size_min"], c["size_max"])[0])
    t = post.data.table
    rows = t[(t["task"] == task) & (t["sim_source"] == sim_source)]
    rows = rows if len(rows) else t[t["task"] == task]
    factor = float(range_factor(np.array([n_real]), rows["n_real"].min(),
                                rows["n_real"].max())[0])
    if sim_source != NO_SOURCE and n_sim > 0 and (rows["n_sim"] > 0).any():
        sims = rows.loc[rows["n_sim"] > 0, "n_sim"]
        factor = max(factor, float(range_factor(np.array([n_sim]), sims.min(),
                                                sims.max())[0]))
    return factor


def add_extrapolation(post: Any, table: pd.DataFrame) -> pd.DataFrame:
    """``table`` (query columns first) plus ``extrapolation`` and ``extrapolated``
    (factor > :data:`FLAG_FACTOR`)."""
    out = table.copy()
    out["extrapolation"] = [extrapolation_factor(post, str(r.task), str(r.sim_source),
                                                 float(r.n_sim), float(r.n_real))
                            for r in table.itertuples(index=False)]
    out["extrapolated"] = out["extrapolation"] > FLAG_FACTOR
    return out
