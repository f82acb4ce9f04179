"""EDT surface with a negative-transfer bump: a route may be worse than scratch at small n.

The effective-data-transferred surface (:mod:`models.families.edt`) can only help
(``T >= 0``); real pre-training on a few hundred simulations can hurt (band gap: OQMD at
``n_sim = 300`` gives 0.697 vs 0.653 from scratch). This family multiplies it by a bump
that is 1 from scratch, peaks at ``n_h`` and vanishes for large ``n``::

    E = E_edt(n, m) (1 + h w(u)),   w(u) = (u / u_h) exp(1 - u / u_h),   u = n / n_ref

with ``h >= 0`` per (task, database) (``h = 0``: plain EDT) and ``log u_h`` pooled.

Examples
--------
>>> import numpy as np
>>> from sim2real.models.families.ops import NUMPY_OPS
>>> p = {"log_c": np.log(0.2), "log_a": np.log(0.8), "beta": 0.5, "log_t0": -9.0,
...      "a_t": 0.5, "b_t": 0.0, "nt_h": 0.5, "log_uh": 0.0}
>>> e = lambda u: float(np.exp(FAMILY.log_error(NUMPY_OPS, {"lm": 0.0, "u": u}, p)))
>>> round(e(0.0), 6), round(e(1.0), 3)       # scratch unchanged; 50% worse at the peak
(1.0, 1.5)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sim2real.models.families import edt
from sim2real.models.families.base import Family, Param
from sim2real.models.families.ops import Ops
from sim2real.models.families.priors import Prior


def log_error(ops: Ops, x: Mapping[str, Any], p: Mapping[str, Any]) -> Any:
    """``log(E / scale)``: the EDT surface times the negative-transfer bump."""
    v = x["u"] * ops.exp(-p["log_uh"])
    return edt.log_error(ops, x, p) + ops.log1p(p["nt_h"] * v * ops.exp(1.0 - v))


FAMILY = Family(
    name="edt_negative", layout="surface",
    description="EDT surface times a negative-transfer bump (1 + h w(n / n_h))",
    params=(*edt.FAMILY.params, Param("nt_h", "pair", pooled=False), Param("log_uh", "pair")),
    derive=edt.FAMILY.derive, derived_levels=edt.FAMILY.derived_levels,
    uses=(*edt.FAMILY.uses, "nt_h", "log_uh"), log_error=log_error,
    priors={**edt.FAMILY.priors, "nt_h": Prior("HalfNormal", sigma=0.3),
            "log_uh_mu": Prior("Normal", mu=-1.0, sigma=1.5),
            "log_uh_sigma": Prior("HalfNormal", sigma=1.0)},
    display={**edt.FAMILY.display,
             "h": ("pair", lambda d, r: d["nt_h"]),
             "n_h": ("pair", lambda d, r: r["n_ref"] * np.exp(d["log_uh"]))},
    log_floor=edt.FAMILY.log_floor, log_size_to_reach=edt.FAMILY.log_size_to_reach,
    log_sim_floor=edt.FAMILY.log_sim_floor,  # the bump vanishes as n grows
)
