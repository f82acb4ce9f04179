"""Pure NumPy decision quantities on posterior draws, for any model family.

Every function works draw-wise: inputs are arrays of shape ``(S,)`` (or broadcastable) and
outputs are draws of the decision quantity, ready for quantiles. Nothing here knows a
formula: closed forms come from the model (:mod:`planner.decisions.curves`).

Examples
--------
>>> import numpy as np
>>> f = lambda x: np.stack([0.1 + x ** -0.5, 0.3 + x ** -0.5])
>>> invert_on_grid(f, 0.2).round(1).tolist()
[100.0, inf]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

GRID = np.logspace(0, 12, 481)


def p_unreachable(c: np.ndarray, target: float) -> float:
    """Posterior probability that the floor is at or above the target, ``P(C >= target)``.

    Examples
    --------
    >>> p_unreachable(np.array([0.1, 0.2, 0.3, 0.4]), 0.25)
    0.5
    """
    return float(np.mean(np.asarray(c) >= target))


def average_rate(n: float | np.ndarray, m: float, m_eq: np.ndarray) -> np.ndarray:
    """Simulations per effectively transferred experiment, ``n / (m_eq - m)``.

    ``inf`` when nothing is transferred (``m_eq <= m``).

    Examples
    --------
    >>> average_rate(1000.0, 50.0, np.array([150.0, 40.0]))
    array([10., inf])
    """
    gain = np.asarray(m_eq, dtype=float) - m
    out = np.full(gain.shape, np.inf)
    ok = gain > 0
    out[ok] = np.broadcast_to(np.asarray(n, dtype=float), gain.shape)[ok] / gain[ok]
    return out


def marginal_rate(de_dm: np.ndarray, de_dn: np.ndarray) -> np.ndarray:
    """Simulations buying the error reduction of one more experiment: ``(dE/dm)/(dE/dn)``.

    ``inf`` when another simulation no longer reduces the error.

    Examples
    --------
    >>> marginal_rate(np.array([-0.01]), np.array([-0.0001]))
    array([100.])
    """
    de_dm, de_dn = np.broadcast_arrays(np.asarray(de_dm, float), np.asarray(de_dn, float))
    out = np.full(de_dm.shape, np.inf)
    ok = de_dn < 0
    out[ok] = de_dm[ok] / de_dn[ok] + 0.0  # + 0.0 turns -0.0 into 0.0
    return out


def invert_on_grid(error_at: Callable[[np.ndarray], np.ndarray], target: float | np.ndarray,
                   grid: np.ndarray = GRID) -> np.ndarray:
    """Draw-wise smallest size with error <= target from error draws on a log grid.

    ``error_at(grid)`` returns ``(S, G)`` draws of a decreasing curve; ``target`` is one
    error or one per draw ``(S,)``; sizes are interpolated in log-log between grid points;
    ``inf`` if not reached by ``grid[-1]``.

    Examples
    --------
    >>> f = lambda x: (0.1 + x ** -0.5)[None, :]
    >>> round(float(invert_on_grid(f, 0.2)[0]))
    100
    >>> g = lambda x: np.stack([0.1 + x ** -0.5, 0.1 + x ** -0.5])
    >>> np.round(invert_on_grid(g, np.array([0.2, 0.15])), 1).tolist()
    [100.0, 400.0]
    """
    e = np.asarray(error_at(grid), dtype=float)
    t = np.broadcast_to(np.asarray(target, dtype=float), (e.shape[0],))
    below = e <= t[:, None]
    first = np.where(below.any(1), below.argmax(1), -1)
    out = np.full(e.shape[0], np.inf)
    for s in np.flatnonzero(first >= 0):
        j = first[s]
        if j == 0:
            out[s] = grid[0]
            continue
        le0, le1 = np.log(e[s, j - 1]), np.log(e[s, j])
        frac = (le0 - np.log(t[s])) / (le0 - le1) if le0 != le1 else 1.0
        out[s] = np.exp(np.log(grid[j - 1]) + frac * (np.log(grid[j]) - np.log(grid[j - 1])))
    return out


def quantile_row(draws: np.ndarray, prefix: str,
                 qs: tuple[float, ...] = (0.05, 0.5, 0.95)) -> dict[str, float]:
    """``{prefix_q05: ..., prefix_q50: ..., prefix_q95: ...}`` (``inf`` kept as is).

    Examples
    --------
    >>> quantile_row(np.arange(101.0), "x")["x_q50"]
    50.0
    """
    draws = np.asarray(draws, dtype=float)
    draws = draws[~np.isnan(draws)]
    if draws.size == 0:
        return {f"{prefix}_q{round(q * 100):02d}": float("nan") for q in qs}
    vals = np.quantile(draws, qs, method="inverted_cdf")
    return {f"{prefix}_q{round(q * 100):02d}": float(v) for q, v in zip(qs, vals,
                                                                          strict=True)}
