"""Power law without a floor: ``E = E_ref (x / x_ref)^-alpha``.

Examples
--------
>>> import numpy as np
>>> from sim2real.models.families.ops import NUMPY_OPS
>>> p = {"log_e": 0.0, "alpha": 1.0}
>>> float(np.exp(FAMILY.log_error(NUMPY_OPS, {"lx": np.log(2.0)}, p)))
0.5
"""

from __future__ import annotations

import numpy as np

from sim2real.models.families._shared import LOG_E, exponent_priors
from sim2real.models.families.base import NOISE_PRIORS, Family, Param

FAMILY = Family(
    name="power_law", layout="curve", description="E = D x^-alpha (no floor)",
    params=(Param("log_e", "curve", pooled=False), Param("log_alpha", "curve", exp_as="alpha")),
    uses=("log_e", "alpha"),
    log_error=lambda ops, x, p: p["log_e"] - p["alpha"] * x["lx"],
    priors={"log_e": LOG_E, **exponent_priors("log_alpha"), **NOISE_PRIORS},
    display={"alpha": ("curve", lambda d, r: d["alpha"]),
             "D": ("curve", lambda d, r: r["scale"] * np.exp(d["log_e"] + d["alpha"]
                                                            * np.log(r["x_ref"])))},
    log_floor=lambda p: np.full(np.shape(p["log_e"]), -np.inf),
    log_size_to_reach=lambda le, p: (np.asarray(p["log_e"]) - le) / np.asarray(p["alpha"]),
)
