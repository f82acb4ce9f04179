"""Replicate noise that changes with size: ``log sigma`` linear in log size, pooled.

Replicate scatter of a learning curve is not constant: small training sets give noisy
models (band-gap scratch curves: sd of log error 0.15 at n = 50, 0.02 at n = 100), large
ones agree. With ``ModelSpec(noise="size")`` (the default ``"auto"``) the noise of a row of
noise group ``g`` at scale-free log size ``v`` is::

    sigma_i = sigma[g] * exp(slope[g] * v_i)
    slope[g] = sigma_slope_mu + sigma_slope_sigma * sigma_slope_z[g]     (non-centered)

so ``sigma[g]`` is the noise at the group's reference size (``v = 0``) and the slopes are
partially pooled across groups. ``v`` is the curve's ``lx`` (curve families) or ``lm``, log
``n_real / m_ref`` (surfaces: a fine-tuning run's scatter is driven by its real set).
``noise="constant"`` is the single noise per group of release 0.2 (files written before
this option read so).

The default priors are weakly informative and centred on constant noise: on the project's
curve library (``case_studies/library``) the per-curve slope of log replicate sd against
log size has median -0.15 (quartiles -0.25 and -0.05 across sets); ``Normal(0, 0.5)``
covers that with room for noise that grows.

Examples
--------
>>> import numpy as np
>>> from sim2real.models.families.ops import NUMPY_OPS
>>> sig = row_sigma(NUMPY_OPS, np.array([0.1]), np.array([-0.5]), np.array([0, 0]),
...                 np.array([0.0, np.log(4.0)]))
>>> np.round(sig, 3).tolist()
[0.1, 0.05]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim2real.models.families.ops import Ops
from sim2real.models.families.priors import Prior

#: Noise kinds of :class:`~models.inference.spec.ModelSpec` (``auto`` = ``size``).
KINDS = ("auto", "size", "constant")
#: The scale-free input the noise varies with, per layout.
INPUT = {"curve": "lx", "surface": "lm"}
#: Default priors of the pooled slope (log sigma per unit of natural-log size).
PRIORS: dict[str, Prior] = {"sigma_slope_mu": Prior("Normal", mu=0.0, sigma=0.5),
                            "sigma_slope_sigma": Prior("HalfNormal", sigma=0.2)}
#: Stored variable names of the size-dependent noise.
SLOPE = "sigma_slope"


def resolve(kind: str) -> str:
    """``"size"`` or ``"constant"`` for a spec's ``noise`` field."""
    return "size" if kind == "auto" else kind


def row_sigma(ops: Ops, sigma: Any, slope: Any, group: Any, v: Any) -> Any:
    """Noise of rows in ``group`` at scale-free log sizes ``v``.

    ``sigma`` and ``slope`` are indexed by noise group on their last axis (``slope`` may be
    ``None``: constant noise); ``group`` maps each row to its group.
    """
    out = sigma[..., group]
    if slope is None:
        return out
    return out * ops.exp(slope[..., group] * v)


def standard_noise(rng: np.random.Generator, nu: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Standard draws ``eps`` of a replicate's log-error noise, shape ``shape``.

    Normal, or Student-t with the posterior's degrees of freedom ``nu`` (one per draw,
    aligned with the first axis of ``shape``). A run's log error is ``log E + sigma eps``.

    Examples
    --------
    >>> standard_noise(np.random.default_rng(0), None, (4, 2)).shape
    (4, 2)
    >>> standard_noise(np.random.default_rng(0), np.full(3, 5.0), (3,)).shape
    (3,)
    """
    if nu is None:
        return rng.standard_normal(shape)
    nu = np.asarray(nu, dtype=float).reshape((-1,) + (1,) * (len(shape) - 1))
    return rng.standard_t(nu, size=shape)
