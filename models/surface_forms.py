"""Two-axis learning surfaces E(n_sim, n_real) as pure functions (NumPy, torch or PyTensor).

Sizes enter scale-free: ``lm = log(m / m_ref)`` (real size over the task's reference real
size) and ``u = n / n_ref`` (simulations over the (task, source) reference simulation
size); the result is ``log(E / scale)`` with ``scale`` the task's median error. Two forms:

* ``"edt"`` (effective data transferred, Hernandez et al. 2021): pre-training on ``n``
  simulations acts like ``T(n, m)`` extra real samples::

      E = C + A ((m + T) / m_ref)^(-beta),   T = m_ref * t0 * (n / n_ref)^a * (m / m_ref)^b

  ``T = 0`` at ``n = 0``, so learning from scratch is the same form.
* ``"additive"``: separate real and simulation terms; the simulation term is finite at
  ``n = 0`` (it equals the *scratch gap* ``G`` there) and decays as a power law::

      E = C + A (m / m_ref)^(-beta) + G (1 + n / n0)^(-alpha)

  For ``n >> n0`` this is ``C + A m^-beta + D n^-alpha`` with ``D = G n0^alpha``.

Every function takes an ``ops`` namespace (:data:`NUMPY_OPS`, :func:`torch_ops`,
:func:`pytensor_ops`) so the same formula is used for sampling, prediction and gradients.

Examples
--------
>>> import numpy as np
>>> y = edt_log_error(NUMPY_OPS, lm=np.array(0.0), u=np.array(0.0), log_c=np.log(0.2),
...                   log_a=np.log(0.8), beta=0.5, log_t0=0.0, a_t=0.5, b_t=0.0)
>>> round(float(np.exp(y)), 6)   # n = 0: scratch error at m_ref is C + A
1.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

SURFACE_FORMS = ("edt", "additive")


@dataclass(frozen=True)
class Ops:
    """Elementwise functions of one array library."""

    exp: Any
    log: Any
    log1p: Any
    logaddexp: Any
    where: Any
    expm1: Any
    softplus: Any


def _np_softplus(x: Any) -> Any:
    return np.logaddexp(0.0, x)


NUMPY_OPS = Ops(exp=np.exp, log=np.log, log1p=np.log1p, logaddexp=np.logaddexp,
                where=np.where, expm1=np.expm1, softplus=_np_softplus)


def torch_ops() -> Ops:
    """Ops of torch (imported lazily)."""
    import torch

    return Ops(exp=torch.exp, log=torch.log, log1p=torch.log1p, logaddexp=torch.logaddexp,
               where=torch.where, expm1=torch.expm1, softplus=torch.nn.functional.softplus)


def pytensor_ops() -> Ops:
    """Ops of PyTensor (imported lazily; used to build the PyMC model)."""
    import pytensor.tensor as pt

    return Ops(exp=pt.exp, log=pt.log, log1p=pt.log1p, logaddexp=pt.logaddexp,
               where=pt.switch, expm1=pt.expm1, softplus=pt.softplus)


def edt_log_effective(ops: Ops, lm: Any, u: Any, log_t0: Any, a_t: Any, b_t: Any) -> Any:
    """``log(m_eff / m_ref)`` with ``m_eff = m + T(n, m)`` (``= lm`` where ``u = 0``).

    Examples
    --------
    >>> float(edt_log_effective(NUMPY_OPS, np.array(0.0), np.array(1.0), 0.0, 0.5, 0.0))
    0.6931471805599453
    """
    transfer = u > 0
    safe_u = ops.where(transfer, u, 1.0 + 0.0 * u)
    log_t = log_t0 + a_t * ops.log(safe_u) + b_t * lm
    return ops.where(transfer, ops.logaddexp(lm, log_t), lm)


def edt_log_error(ops: Ops, lm: Any, u: Any, log_c: Any, log_a: Any, beta: Any,
                  log_t0: Any, a_t: Any, b_t: Any) -> Any:
    """``log(E / scale)`` of the effective-data-transferred surface."""
    return ops.logaddexp(log_c, log_a - beta * edt_log_effective(ops, lm, u, log_t0, a_t, b_t))


def additive_log_error(ops: Ops, lm: Any, u: Any, log_c: Any, log_a: Any, beta: Any,
                       log_g: Any, alpha: Any, log_n0: Any) -> Any:
    """``log(E / scale)`` of the additive surface (``log_n0 = log(n0 / n_ref)``).

    Examples
    --------
    >>> y = additive_log_error(NUMPY_OPS, np.array(0.0), np.array(0.0), np.log(0.2),
    ...                        np.log(0.5), 0.5, np.log(0.3), 0.4, 0.0)
    >>> round(float(np.exp(y)), 6)   # scratch at m_ref: C + A + G
    1.0
    """
    sim_term = log_g - alpha * ops.log1p(u * ops.exp(-log_n0))
    return ops.logaddexp(ops.logaddexp(log_c, log_a - beta * lm), sim_term)


def surface_log_error(form: str, ops: Ops, lm: Any, u: Any, params: dict[str, Any]) -> Any:
    """Dispatch on ``form``; ``params`` holds the form's (broadcastable) parameters."""
    common = (params["log_c"], params["log_a"], params["beta"])
    if form == "edt":
        return edt_log_error(ops, lm, u, *common, params["log_t0"], params["a_t"],
                             params["b_t"])
    return additive_log_error(ops, lm, u, *common, params["log_g"], params["alpha"],
                              params["log_n0"])


def scratch_floor_log(form: str, params: dict[str, Any]) -> Any:
    """``log(floor / scale)`` of learning from scratch (``C``; ``C + G`` if additive)."""
    if form == "edt":
        return params["log_c"]
    return np.logaddexp(params["log_c"], params["log_g"])


def invert_scratch(form: str, log_error: np.ndarray, params: dict[str, np.ndarray]) -> np.ndarray:
    """``log(m / m_ref)`` at which learning from scratch reaches ``log_error`` (NumPy).

    ``inf`` where the scratch floor is at or above the error. For ``"edt"`` this returns
    ``log(m_eff / m_ref)`` exactly (the closed form of the equivalent real size).

    Examples
    --------
    >>> p = {"log_c": np.log(0.2), "log_a": np.log(0.8), "beta": 0.5}
    >>> y = edt_log_error(NUMPY_OPS, np.array(np.log(4.0)), np.array(0.0), p["log_c"],
    ...                   p["log_a"], p["beta"], 0.0, 0.5, 0.0)
    >>> round(float(np.exp(invert_scratch("edt", y, p))), 9)
    4.0
    """
    floor = scratch_floor_log(form, params)
    log_error = np.asarray(log_error, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        excess = np.log(np.exp(log_error) - np.exp(floor))
        out = (np.asarray(params["log_a"]) - excess) / np.asarray(params["beta"])
    return np.where(log_error > floor, out, np.inf)


def simulate_surface_table(form: str, params: dict[str, Any], *, task: str = "task",
                           sources: dict[str, dict[str, float]] | None = None,
                           n_sim: tuple[float, ...] = (100, 1000, 10000),
                           n_real: tuple[float, ...] = (25, 50, 100, 200, 400),
                           seeds: int = 3, sigma: float = 0.05, rng_seed: int = 0) -> Any:
    """Simulate a full n_sim x n_real grid (plus scratch rows) from a known surface.

    ``params`` holds the task's ``C, A, beta`` (and ``G`` for ``"additive"``) in error
    units; ``A`` is the amplitude at the reference real size ``m_ref`` (geometric mean of
    ``n_real``). ``sources`` maps each database to its
    transfer parameters in raw sizes: EDT ``k, a, b`` (``T = k n^a m^b``); additive
    ``alpha, n0``. Log errors get Normal noise ``sigma``. Returns a contract table.

    Examples
    --------
    >>> t = simulate_surface_table("edt", {"C": 0.1, "A": 0.5, "beta": 0.5},
    ...                            sources={"db": {"k": 0.5, "a": 0.6, "b": 0.0}}, seeds=1)
    >>> len(t), sorted(t["sim_source"].unique())
    (20, ['db', 'none'])
    """
    import pandas as pd

    rng = np.random.default_rng(rng_seed)
    m_ref = float(np.exp(np.mean(np.log(n_real))))
    rows = []
    for src, theta in {"none": {}, **(sources or {})}.items():
        for n in ((0.0,) if src == "none" else n_sim):
            for m in n_real:
                mean = _true_error(form, params, theta, float(n), float(m), m_ref)
                for s in range(seeds):
                    err = mean * np.exp(sigma * rng.standard_normal())
                    rows.append((task, src, int(n), int(m), s, err, "MAE"))
    return pd.DataFrame(rows, columns=["task", "sim_source", "n_sim", "n_real", "seed",
                                       "error", "metric"])


def _true_error(form: str, p: dict[str, Any], theta: dict[str, float], n: float, m: float,
                m_ref: float) -> float:
    if form == "edt":
        t = theta["k"] * n ** theta["a"] * m ** theta["b"] if n > 0 else 0.0
        return float(p["C"] + p["A"] * ((m + t) / m_ref) ** -p["beta"])
    sim = p["G"] * (1 + n / theta["n0"]) ** -theta["alpha"] if theta else p["G"]
    return float(p["C"] + p["A"] * (m / m_ref) ** -p["beta"] + sim)
