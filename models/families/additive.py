"""Additive surface: separate real-data and simulation terms, E(n_sim, n_real).

::

    E = C + A (m / m_ref)^(-beta) + G (1 + n / n0)^(-alpha)

The simulation term equals the *scratch gap* ``G`` at ``n = 0`` and decays as a power law
(``D n^-alpha`` with ``D = G n0^alpha`` for ``n >> n0``). Per task: ``C, A, beta`` and the
share ``h = C / (C + G)`` of the scratch floor; per (task, database): ``alpha, n0``.

Examples
--------
>>> import numpy as np
>>> from sim2real.models.families.ops import NUMPY_OPS
>>> p = {"log_c": np.log(0.2), "log_a": np.log(0.5), "beta": 0.5, "log_g": np.log(0.3),
...      "alpha": 0.4, "log_n0": 0.0}
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


def derive(ops: Ops, p: Mapping[str, Any]) -> dict[str, Any]:
    """``log_a``; the scratch floor split into ``log_c`` and the gap ``log_g`` by ``h``."""
    split = floor_split(ops, p)
    log_floor = split["log_c"]
    return {"log_a": split["log_a"], "log_c": log_floor - ops.softplus(-p["logit_h"]),
            "log_g": log_floor - ops.softplus(p["logit_h"])}


def log_error(ops: Ops, x: Mapping[str, Any], p: Mapping[str, Any]) -> Any:
    """``log(E / scale)`` of the additive surface (``log_n0 = log(n0 / n_ref)``)."""
    sim_term = p["log_g"] - p["alpha"] * ops.log1p(x["u"] * ops.exp(-p["log_n0"]))
    return ops.logaddexp(ops.logaddexp(p["log_c"], p["log_a"] - p["beta"] * x["lm"]), sim_term)


def scratch_floor(p: Mapping[str, np.ndarray]) -> np.ndarray:
    """``log((C + G) / scale)``: the floor of learning from scratch."""
    return np.logaddexp(p["log_c"], p["log_g"])


FAMILY = Family(
    name="additive", layout="surface",
    description="E = C + A m^-beta + G (1 + n/n0)^-alpha (additive terms)",
    params=(Param("log_e", "task", pooled=False), Param("logit_f", "task"),
            Param("log_beta", "task", exp_as="beta"), Param("logit_h", "task", pooled=False),
            Param("log_alpha", "pair", exp_as="alpha"), Param("log_n0", "pair")),
    derive=derive, derived_levels={"log_a": "task", "log_c": "task", "log_g": "task"},
    uses=("log_c", "log_a", "beta", "log_g", "alpha", "log_n0"), log_error=log_error,
    priors={"log_e": LOG_E, **LOGIT_F, **exponent_priors("log_beta"),
            "logit_h": Prior("Normal", mu=0.0, sigma=1.5), **exponent_priors("log_alpha"),
            "log_n0_mu": Prior("Normal", mu=0.0, sigma=1.5),
            "log_n0_sigma": Prior("HalfNormal", sigma=1.0), **NOISE_PRIORS},
    display={"C": ("task", lambda d, r: r["scale"] * np.exp(d["log_c"])),
             "A": ("task", lambda d, r: r["scale"] * np.exp(d["log_a"])),
             "beta": ("task", lambda d, r: d["beta"]),
             "G": ("task", lambda d, r: r["scale"] * np.exp(d["log_g"])),
             "alpha": ("pair", lambda d, r: d["alpha"]),
             "n0": ("pair", lambda d, r: r["n_ref"] * np.exp(d["log_n0"]))},
    log_floor=scratch_floor,
    # the simulation term vanishes: C + A (m / m_ref)^-beta at the point's n_real
    log_sim_floor=lambda x, p: np.logaddexp(p["log_c"], p["log_a"] - p["beta"] * x["lm"]),
    log_size_to_reach=lambda le, p: invert_floor_power(le, scratch_floor(p), p["log_a"],
                                                       p["beta"]),
)
