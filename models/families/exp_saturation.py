"""Stretched-exponential saturation: ``E = C + D exp(-(x / x_s)^gamma)``.

Written at the reference size as ``E = C + A exp(-x_s^-gamma (x^gamma - 1))`` with sizes
in units of ``x_ref``, so ``E(x_ref) = C + A``.

Examples
--------
>>> import numpy as np
>>> from sim2real.models.families.ops import NUMPY_OPS
>>> p = {"log_c": np.log(0.2), "log_a": np.log(0.8), "gamma": 1.0, "log_xs": 0.0}
>>> round(float(np.exp(FAMILY.log_error(NUMPY_OPS, {"lx": 0.0}, p))), 6)
1.0
"""

from __future__ import annotations

import numpy as np

from sim2real.models.families._shared import LOG_E, LOGIT_F, floor_split
from sim2real.models.families.base import NOISE_PRIORS, Family, Param
from sim2real.models.families.priors import Prior

FAMILY = Family(
    name="exp_saturation", layout="curve",
    description="E = C + D exp(-(x / x_s)^gamma) (stretched exponential)",
    params=(Param("log_e", "curve", pooled=False), Param("logit_f", "curve"),
            Param("log_gamma", "curve", exp_as="gamma"), Param("log_xs", "curve")),
    derive=floor_split, derived_levels={"log_c": "curve", "log_a": "curve"},
    uses=("log_c", "log_a", "gamma", "log_xs"),
    log_error=lambda ops, x, p: ops.logaddexp(
        p["log_c"], p["log_a"] - ops.exp(-p["gamma"] * p["log_xs"])
        * ops.expm1(p["gamma"] * x["lx"])),
    priors={"log_e": LOG_E, **LOGIT_F,
            "log_gamma_mu": Prior("Normal", mu=-0.5, sigma=0.75),
            "log_gamma_sigma": Prior("HalfNormal", sigma=0.5),
            "log_xs_mu": Prior("Normal", mu=0.0, sigma=1.5),
            "log_xs_sigma": Prior("HalfNormal", sigma=1.0), **NOISE_PRIORS},
    display={"gamma": ("curve", lambda d, r: d["gamma"]),
             "xs": ("curve", lambda d, r: r["x_ref"] * np.exp(d["log_xs"])),
             "C": ("curve", lambda d, r: r["scale"] * np.exp(d["log_c"])),
             "A": ("curve", lambda d, r: r["scale"] * np.exp(d["log_a"]))},
    log_floor=lambda p: p["log_c"],
)
