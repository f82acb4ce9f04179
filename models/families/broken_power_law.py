"""Smoothly broken power law with a floor (Caballero et al. 2023).

``E = C + A x^-alpha B(x)``: at ``x_b`` the exponent bends from ``alpha`` to ``alpha2``,
``log B = -(alpha2 - alpha) s [softplus((lx - log x_b) / s) - softplus(-log x_b / s)]`` with
fixed sharpness ``s = 0.5`` (``lx = log(x / x_ref)``, so ``B = 1`` at ``x_ref``).

Examples
--------
>>> import numpy as np
>>> from sim2real.models.families.ops import NUMPY_OPS
>>> p = {"log_c": np.log(0.2), "log_a": np.log(0.8), "alpha": 0.5, "alpha2": 0.5,
...      "log_xb": 0.0}
>>> round(float(np.exp(FAMILY.log_error(NUMPY_OPS, {"lx": 0.0}, p))), 6)
1.0
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sim2real.models.families._shared import LOG_E, LOGIT_F, exponent_priors, floor_split
from sim2real.models.families.base import NOISE_PRIORS, Family, Param
from sim2real.models.families.ops import Ops
from sim2real.models.families.priors import Prior

SHARPNESS = 0.5


def log_error(ops: Ops, x: Mapping[str, Any], p: Mapping[str, Any]) -> Any:
    """``log(E / scale)`` of the broken power law."""
    s, lb = SHARPNESS, p["log_xb"]
    bend = s * (ops.softplus((x["lx"] - lb) / s) - ops.softplus(-lb / s))
    return ops.logaddexp(p["log_c"], p["log_a"] - p["alpha"] * x["lx"]
                         - (p["alpha2"] - p["alpha"]) * bend)


FAMILY = Family(
    name="broken_power_law", layout="curve",
    description="E = C + D x^-alpha, bending to exponent alpha2 at x_b",
    params=(Param("log_e", "curve", pooled=False), Param("logit_f", "curve"),
            Param("log_alpha", "curve", exp_as="alpha"),
            Param("log_alpha2", "curve", exp_as="alpha2"), Param("log_xb", "curve")),
    derive=floor_split, derived_levels={"log_c": "curve", "log_a": "curve"},
    uses=("log_c", "log_a", "alpha", "alpha2", "log_xb"), log_error=log_error,
    priors={"log_e": LOG_E, **LOGIT_F, **exponent_priors("log_alpha"),
            **exponent_priors("log_alpha2"),
            "log_xb_mu": Prior("Normal", mu=0.0, sigma=1.0),
            "log_xb_sigma": Prior("HalfNormal", sigma=0.5), **NOISE_PRIORS},
    display={"alpha": ("curve", lambda d, r: d["alpha"]),
             "alpha2": ("curve", lambda d, r: d["alpha2"]),
             "xb": ("curve", lambda d, r: r["x_ref"] * np.exp(d["log_xb"])),
             "C": ("curve", lambda d, r: r["scale"] * np.exp(d["log_c"])),
             "A": ("curve", lambda d, r: r["scale"] * np.exp(d["log_a"]))},
    log_floor=lambda p: p["log_c"],
)
