"""Pieces several families share, each written once.

Examples
--------
>>> import numpy as np
>>> from sim2real.models.families.ops import NUMPY_OPS
>>> p = floor_split(NUMPY_OPS, {"log_e": np.log(1.0), "logit_f": 0.0})
>>> [round(float(np.exp(v)), 3) for v in (p["log_c"], p["log_a"])]
[0.5, 0.5]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sim2real.models.families.ops import Ops
from sim2real.models.families.priors import Prior

#: Error at the reference size (log, scale-free): well identified by data, not pooled.
LOG_E = Prior("Normal", mu=0.0, sigma=1.0)
#: Floor fraction f = C / E_ref on the logit scale, pooled.
LOGIT_F = {"logit_f_mu": Prior("Normal", mu=-1.0, sigma=1.5),
           "logit_f_sigma": Prior("HalfNormal", sigma=1.0)}
#: Exponent on the log scale, pooled: one curve's exponent has median 0.15 and 95% of its
#: prior predictive mass in ~0.014-1.6 (real curves: 0.03-0.26 on the tuning library, see
#: ``benchmarks/exponent_prior.py``; release 0.2 used N(-0.9, 0.75), median 0.41, which put
#: 1% below 0.05).
LOG_EXPONENT = {"mu": Prior("Normal", mu=-1.9, sigma=1.1),
                "sigma": Prior("HalfNormal", sigma=0.5)}


def exponent_priors(name: str) -> dict[str, Prior]:
    """The pooled exponent priors under the names ``name_mu`` / ``name_sigma``."""
    return {f"{name}_{k}": v for k, v in LOG_EXPONENT.items()}


def floor_split(ops: Ops, p: Mapping[str, Any]) -> dict[str, Any]:
    """``log C`` and ``log A`` from ``log E_ref`` and the floor fraction's logit.

    ``C = f E_ref`` and ``A = (1 - f) E_ref``, so ``C + A = E_ref`` at the reference size.
    """
    return {"log_c": p["log_e"] - ops.softplus(-p["logit_f"]),
            "log_a": p["log_e"] - ops.softplus(p["logit_f"])}


def invert_floor_power(log_error: np.ndarray, log_floor: Any, log_a: Any,
                       rate: Any) -> np.ndarray:
    """``log x`` where ``floor + A x^-rate`` reaches ``exp(log_error)`` (``inf``: never).

    Examples
    --------
    >>> round(float(np.exp(invert_floor_power(np.log(0.6), np.log(0.1), np.log(0.5), 0.5))), 9)
    1.0
    """
    log_error = np.asarray(log_error, dtype=float)
    log_floor = np.asarray(log_floor, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        excess = np.log(np.exp(log_error) - np.exp(log_floor))
        out = (np.asarray(log_a) - excess) / np.asarray(rate)
    return np.where(log_error > log_floor, out, np.inf)
