"""Effective data transferred surface (Hernandez et al. 2021): E(n_sim, n_real).

Pre-training on ``n`` simulations acts like ``T(n, m)`` extra real samples::

    E = C + A ((m + T) / m_ref)^(-beta),   T = m_ref t0 (n / n_ref)^a (m / m_ref)^b

with ``lm = log(m / m_ref)`` and ``u = n / n_ref``; ``T = 0`` at ``n = 0``, so learning from
scratch is the same surface. ``C, A, beta`` are per task; ``t0, a, b`` per (task, database),
pooled across databases.

Examples
--------
>>> import numpy as np
>>> from sim2real.models.families.ops import NUMPY_OPS
>>> p = {"log_c": np.log(0.2), "log_a": np.log(0.8), "beta": 0.5, "log_t0": 0.0,
...      "a_t": 0.5, "b_t": 0.0}
>>> round(float(np.exp(FAMILY.log_error(NUMPY_OPS, {"lm": 0.0, "u": 0.0}, p))), 6)
1.0
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sim2real.models.families._shared import (
    LOG_E,
    LOGIT_F,
    exponent_priors,
    floor_split,
    invert_floor_power,
)
from sim2real.models.families.base import NOISE_PRIORS, Family, Param
from sim2real.models.families.ops import Ops
from sim2real.models.families.priors import Prior


def log_effective(ops: Ops, x: Mapping[str, Any], p: Mapping[str, Any]) -> Any:
    """``log(m_eff / m_ref)`` with ``m_eff = m + T(n, m)`` (``= lm`` where ``u = 0``)."""
    lm, u = x["lm"], x["u"]
    transfer = u > 0
    safe_u = ops.where(transfer, u, 1.0 + 0.0 * u)
    log_t = p["log_t0"] + p["a_t"] * ops.log(safe_u) + p["b_t"] * lm
    return ops.where(transfer, ops.logaddexp(lm, log_t), lm)


def log_error(ops: Ops, x: Mapping[str, Any], p: Mapping[str, Any]) -> Any:
    """``log(E / scale)`` of the EDT surface."""
    return ops.logaddexp(p["log_c"], p["log_a"] - p["beta"] * log_effective(ops, x, p))


FAMILY = Family(
    name="edt", layout="surface",
    description="E = C + A (m + T(n, m))^-beta, T = k n^a m^b (effective data transferred)",
    params=(Param("log_e", "task", pooled=False), Param("logit_f", "task"),
            Param("log_beta", "task", exp_as="beta"), Param("log_t0", "pair"),
            Param("log_a_t", "pair", exp_as="a_t"), Param("b_t", "pair")),
    derive=floor_split, derived_levels={"log_c": "task", "log_a": "task"},
    uses=("log_c", "log_a", "beta", "log_t0", "a_t", "b_t"), log_error=log_error,
    priors={"log_e": LOG_E, **LOGIT_F, **exponent_priors("log_beta"),
            "log_t0_mu": Prior("Normal", mu=0.0, sigma=1.5),
            "log_t0_sigma": Prior("HalfNormal", sigma=1.0), **exponent_priors("log_a_t"),
            "b_t_mu": Prior("Normal", mu=0.0, sigma=0.5),
            "b_t_sigma": Prior("HalfNormal", sigma=0.3), **NOISE_PRIORS},
    display={"C": ("task", lambda d, r: r["scale"] * np.exp(d["log_c"])),
             "A": ("task", lambda d, r: r["scale"] * np.exp(d["log_a"])),
             "beta": ("task", lambda d, r: d["beta"]),
             "T_ref": ("pair", lambda d, r: r["m_ref"] * np.exp(d["log_t0"])),
             "alpha_T": ("pair", lambda d, r: d["a_t"]),
             "beta_T": ("pair", lambda d, r: d["b_t"])},
    log_floor=lambda p: p["log_c"],
    # T grows without bound in n (a_t > 0): every database route tends to the task floor C
    log_sim_floor=lambda x, p: p["log_c"],
    log_size_to_reach=lambda le, p: invert_floor_power(le, p["log_c"], p["log_a"], p["beta"]),
)
