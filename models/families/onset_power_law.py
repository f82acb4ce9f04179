"""Power law with an onset scale and a floor: ``E = C + D (1 + x / x0)^-alpha``.

Flat below the onset ``x0``, a power law above it, then the floor: the shape of real
learning curves that start flat and steepen, which ``C + D x^-alpha`` cannot represent.
Written at the reference size (``lx = log(x / x_ref)``, ``l0 = log(x0 / x_ref)``)::

    log E = logaddexp(log C, log A - alpha [softplus(lx - l0) - softplus(-l0)])

so ``E(x_ref) = C + A``.

Examples
--------
>>> import numpy as np
>>> from sim2real.models.families.ops import NUMPY_OPS
>>> p = {"log_c": np.log(0.2), "log_a": np.log(0.8), "alpha": 0.5, "log_x0": 0.0}
>>> round(float(np.exp(FAMILY.log_error(NUMPY_OPS, {"lx": 0.0}, p))), 6)
1.0
>>> lx = FAMILY.log_size_to_reach(np.log(0.6), p)
>>> round(float(np.exp(FAMILY.log_error(NUMPY_OPS, {"lx": lx}, p))), 6)
0.6
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sim2real.models.families._shared import LOG_E, LOGIT_F, exponent_priors, floor_split
from sim2real.models.families.base import NOISE_PRIORS, Family, Param
from sim2real.models.families.ops import Ops
from sim2real.models.families.priors import Prior


def log_error(ops: Ops, x: Mapping[str, Any], p: Mapping[str, Any]) -> Any:
    """``log(E / scale)`` of the onset power law."""
    l0 = p["log_x0"]
    decay = ops.softplus(x["lx"] - l0) - ops.softplus(-l0)
    return ops.logaddexp(p["log_c"], p["log_a"] - p["alpha"] * decay)


def log_size_to_reach(log_error: np.ndarray, p: Mapping[str, np.ndarray]) -> np.ndarray:
    """``lx`` at which the error reaches ``exp(log_error)``: ``inf`` at or below the floor,
    ``-inf`` where the curve is already below it at any size."""
    log_error = np.asarray(log_error, dtype=float)
    l0 = np.asarray(p["log_x0"], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        excess = np.log(np.exp(log_error) - np.exp(p["log_c"]))
        t = (np.asarray(p["log_a"]) - excess) / np.asarray(p["alpha"]) + np.logaddexp(0, -l0)
        lx = l0 + np.log(np.expm1(t))
    lx = np.where(t > 0, lx, -np.inf)
    return np.where(log_error > p["log_c"], lx, np.inf)


FAMILY = Family(
    name="onset_power_law", layout="curve",
    description="E = C + D (1 + x/x0)^-alpha (flat start, power law, floor)",
    params=(Param("log_e", "curve", pooled=False), Param("logit_f", "curve"),
            Param("log_alpha", "curve", exp_as="alpha"), Param("log_x0", "curve")),
    derive=floor_split, derived_levels={"log_c": "curve", "log_a": "curve"},
    uses=("log_c", "log_a", "alpha", "log_x0"), log_error=log_error,
    priors={"log_e": LOG_E, **LOGIT_F, **exponent_priors("log_alpha"),
            "log_x0_mu": Prior("Normal", mu=-1.0, sigma=1.5),
            "log_x0_sigma": Prior("HalfNormal", sigma=1.0), **NOISE_PRIORS},
    display={"alpha": ("curve", lambda d, r: d["alpha"]),
             "x0": ("curve", lambda d, r: r["x_ref"] * np.exp(d["log_x0"])),
             "C": ("curve", lambda d, r: r["scale"] * np.exp(d["log_c"])),
             "A": ("curve", lambda d, r: r["scale"] * np.exp(d["log_a"]))},
    log_floor=lambda p: p["log_c"],
    log_size_to_reach=log_size_to_reach,
)
