"""Population trend: pooled curve parameters drift with the log of the curve's fixed size.

A transfer curve varies ``n_sim`` at a fixed ``n_real``, and a study measures several of
them (one per ``n_real`` level). Their shapes are not exchangeable: the more real data the
model is fine-tuned on, the less pre-training adds, so the exponent falls steadily with
``n_real``. Least squares on the project's curves (``benchmarks/sections/extrapolation.md``)
gives, from ``n_real = 25`` to ``1600``, alpha 0.069 -> 0.031 (AFLOW -> MP) and 0.051 ->
0.011 (OQMD -> MP), and 0.076 -> 0.020 (MP -> AFLOW). One population *mean* shrinks the
steep and the flat curves towards each other, and their extrapolations with them.

With ``ModelSpec(trend="size")`` (opt-in; the default is ``"none"``) every pooled
curve parameter ``theta`` (``log_alpha``, ``logit_f``, the families' shape parameters) has
a population mean that is linear in ``v_j``, the centred log of curve ``j``'s fixed size::

    theta_j = theta_mu[r_j] + theta_trend[r_j] v_j + theta_sigma[r_j] theta_z[j]
    v_j = log(fixed n_real_j) - mean over the transfer curves of route r_j
    theta_trend ~ Normal(0, 0.5)            (per unit of log size)

``r_j`` is the curve's population (its route with ``pooling="route"``). Scratch curves
(their fixed size is ``n_sim = 0``) have ``v = 0``. A population whose curves all share
one fixed size gets no trend term; a table where no population varies gets none at all,
so the model is then the one without the option. Surfaces model ``n_real`` as an axis
already: ``none`` there.

Why opt-in: on the one tuning study with several ``n_real`` levels (MP transfer, 14
curves, backtest at 1/8) it changed the MALE ratio to least squares from 1.246 to 1.243
(``benchmarks/sections/extrapolation.md``): the pooled model's extrapolations there are
too flat on almost every curve (33 of 35 held-out predictions too high) whatever the
trend, so the trend is not what they miss.

Examples
--------
>>> import numpy as np
>>> covariate(np.log([25.0, 100.0, 400.0, np.nan]), np.array([0, 0, 0, 1])).round(3).tolist()
[-1.386, 0.0, 1.386, 0.0]
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from sim2real.models.families.priors import Prior

#: Trend kinds of :class:`~models.inference.spec.ModelSpec` (``none``, the default; ``size``
#: on curve families only).
KINDS = ("none", "size")
#: Prior of every trend slope, per unit of natural-log size.
SLOPE_PRIOR = Prior("Normal", mu=0.0, sigma=0.5)
#: Suffix of the slope variables (``log_alpha_trend``...).
SUFFIX = "_trend"


def priors_for(pooled: Iterable[str]) -> dict[str, Prior]:
    """Default priors of the trend slopes of the pooled parameters ``pooled``."""
    return {f"{name}{SUFFIX}": SLOPE_PRIOR for name in pooled}


def covariate(log_fixed: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Centred covariate ``v`` ``(C,)``: ``log_fixed`` minus its mean within each
    population ``pool``; 0 where ``log_fixed`` is NaN (no fixed size: scratch curves)."""
    log_fixed = np.asarray(log_fixed, dtype=float)
    out = np.zeros(len(log_fixed))
    for p in np.unique(pool):
        rows = (pool == p) & np.isfinite(log_fixed)
        if rows.any():
            out[rows] = log_fixed[rows] - log_fixed[rows].mean()
    return out


def varying_pools(v: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Indices of the populations whose curves' covariate varies (a trend is fitted)."""
    return np.array([p for p in np.unique(pool) if np.ptp(v[pool == p]) > 1e-9],
                    dtype=np.int64)
