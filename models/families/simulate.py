"""Tables simulated from a family with known parameters (for recovery and CLI tests).

Both simulators evaluate the registered family's own ``log_error`` (no second copy of any
formula) and add Normal noise on log error.

Examples
--------
>>> t = simulate_curve_table("power_law", [{"E_ref": 1.0, "alpha": 0.5}], seeds=1)
>>> round(float(t["error"].iloc[0] / t["error"].iloc[1]), 1)
1.4
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim2real.models.families import get_family
from sim2real.models.families.ops import NUMPY_OPS

COLUMNS = ["task", "sim_source", "n_sim", "n_real", "seed", "error", "metric"]


def simulate_curve_table(form: str, curves: list[dict[str, float]], *,
                         sizes: tuple[float, ...] = (25, 50, 100, 200, 400, 800, 1600),
                         seeds: int = 3, sigma: float = 0.03, sigma_slope: float = 0.0,
                         split_sigma: float = 0.0, rng_seed: int = 0) -> Any:
    """Simulate scratch curves (one task each) from a curve family with known parameters.

    The noise on log error is ``sigma (x / x_ref)^sigma_slope`` (constant by default;
    :mod:`models.families.noise`) plus one offset per (task, seed) of sd ``split_sigma``
    shared by the seed's runs (:mod:`models.families.replicates`).

    Each dict of ``curves`` holds the family's parameters in error units at the reference
    size (geometric mean of ``sizes``): ``E_ref`` (power_law) or ``C, A``, plus ``alpha``
    (``alpha2, xb``; ``x0``) or ``gamma, xs`` with sizes in raw units.
    """
    family = get_family(form)
    rng = np.random.default_rng(rng_seed)
    x = np.asarray(sizes, dtype=float)
    x_ref = float(np.exp(np.mean(np.log(x))))
    rows = []
    for i, c in enumerate(curves):
        p = {"log_e": np.log(c.get("E_ref", 1.0)), "alpha": c.get("alpha", 0.0),
             "log_c": np.log(c.get("C", 1.0)), "log_a": np.log(c.get("A", 1.0)),
             "alpha2": c.get("alpha2", 0.0), "log_xb": np.log(c.get("xb", x_ref) / x_ref),
             "gamma": c.get("gamma", 1.0), "log_xs": np.log(c.get("xs", x_ref) / x_ref),
             "log_x0": np.log(c.get("x0", x_ref) / x_ref)}
        mean = np.exp(family.log_error(NUMPY_OPS, {"lx": np.log(x / x_ref)}, p))
        offset = split_sigma * rng.standard_normal(seeds) if split_sigma else np.zeros(seeds)
        for m, e in zip(sizes, mean, strict=True):
            sd = sigma * (m / x_ref) ** sigma_slope
            for s in range(seeds):
                rows.append((f"task{i}", "none", 0, int(m), s,
                             float(e * np.exp(offset[s] + sd * rng.standard_normal())),
                             "MAE"))
    return pd.DataFrame(rows, columns=COLUMNS)


def simulate_surface_table(form: str, params: dict[str, Any], *, task: str = "task",
                           sources: dict[str, dict[str, float]] | None = None,
                           n_sim: tuple[float, ...] = (100, 1000, 10000),
                           n_real: tuple[float, ...] = (25, 50, 100, 200, 400),
                           seeds: int = 3, sigma: float = 0.05, rng_seed: int = 0) -> Any:
    """Simulate a full n_sim x n_real grid (plus scratch rows) from a known surface.

    ``params`` holds the task's ``C, A, beta`` (and ``G`` for ``"additive"``) in error
    units; ``A`` is the amplitude at the reference real size ``m_ref`` (geometric mean of
    ``n_real``). ``sources`` maps each database to its transfer parameters in raw sizes:
    EDT ``k, a, b`` (``T = k n^a m^b``; ``edt_negative`` also ``h, n_h``); additive
    ``alpha, n0``. Returns a contract table.

    Examples
    --------
    >>> t = simulate_surface_table("edt", {"C": 0.1, "A": 0.5, "beta": 0.5},
    ...                            sources={"db": {"k": 0.5, "a": 0.6, "b": 0.0}}, seeds=1)
    >>> len(t), sorted(t["sim_source"].unique())
    (20, ['db', 'none'])
    """
    family = get_family(form)
    rng = np.random.default_rng(rng_seed)
    m_ref = float(np.exp(np.mean(np.log(n_real))))
    rows = []
    for src, theta in {"none": {}, **(sources or {})}.items():
        p = _surface_parameters(params, theta, m_ref)
        for n in ((0.0,) if src == "none" else n_sim):
            for m in n_real:
                x = {"lm": np.log(m / m_ref), "u": float(n)}   # n_ref = 1: raw n_sim
                mean = float(np.exp(family.log_error(NUMPY_OPS, x, p)))
                for s in range(seeds):
                    err = mean * np.exp(sigma * rng.standard_normal())
                    rows.append((task, src, int(n), int(m), s, err, "MAE"))
    return pd.DataFrame(rows, columns=COLUMNS)


def _surface_parameters(task: dict[str, Any], theta: dict[str, float],
                        m_ref: float) -> dict[str, float]:
    """Raw-unit parameters as the family's scale-free ones (scale 1, n_ref 1)."""
    p = {"log_c": np.log(task["C"]), "log_a": np.log(task["A"]), "beta": task["beta"],
         "log_g": np.log(task.get("G", 1.0)),
         # T = k n^a m^b = m_ref t0 n^a (m / m_ref)^b  ->  t0 = k m_ref^(b - 1)
         "log_t0": np.log(theta.get("k", 1.0)) + (theta.get("b", 0.0) - 1.0) * np.log(m_ref),
         "a_t": theta.get("a", 1.0), "b_t": theta.get("b", 0.0),
         "alpha": theta.get("alpha", 0.0), "log_n0": np.log(theta.get("n0", 1.0)),
         "nt_h": theta.get("h", 0.0), "log_uh": np.log(theta.get("n_h", 1.0))}
    return p
