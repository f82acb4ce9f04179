"""Power law with a floor, the default: ``E = C + A (x / x_ref)^-alpha = C + D x^-alpha``.

Examples
--------
>>> import numpy as np
>>> from sim2real.models.families.ops import NUMPY_OPS
>>> p = {"log_c": np.log(0.1), "log_a": np.log(0.5), "alpha": 0.5}
>>> round(float(np.exp(FAMILY.log_error(NUMPY_OPS, {"lx": np.log(4.0)}, p))), 6)
0.35
"""

from __future__ import annotations

import numpy as np

from sim2real.models.families._shared import (
    LOG_E,
    LOGIT_F,
    exponent_priors,
    floor_split,
    invert_floor_power,
)
from sim2real.models.families.base import NOISE_PRIORS, Family, Param

FAMILY = Family(
    name="power_law_floor", layout="curve",
    description="E = C + D x^-alpha (power law down to a floor)",
    params=(Param("log_e", "curve", pooled=False), Param("logit_f", "curve"),
            Param("log_alpha", "curve", exp_as="alpha")),
    derive=floor_split, derived_levels={"log_c": "curve", "log_a": "curve"},
    uses=("log_c", "log_a", "alpha"),
    log_error=lambda ops, x, p: ops.logaddexp(p["log_c"], p["log_a"] - p["alpha"] * x["lx"]),
    priors={"log_e": LOG_E, **LOGIT_F, **exponent_priors("log_alpha"), **NOISE_PRIORS},
    display={"alpha": ("curve", lambda d, r: d["alpha"]),
             "C": ("curve", lambda d, r: r["scale"] * np.exp(d["log_c"])),
             "D": ("curve", lambda d, r: r["scale"] * np.exp(d["log_a"] + d["alpha"]
                                                            * np.log(r["x_ref"])))},
    log_floor=lambda p: p["log_c"],
    log_size_to_reach=lambda le, p: invert_floor_power(le, p["log_c"], p["log_a"], p["alpha"]),
)
