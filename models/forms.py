"""Curve forms as pure functions, generic over NumPy arrays and torch tensors.

Only arithmetic operators and ``exp`` / ``log`` of the input's own library are used, so the
same code gives NumPy results for NumPy inputs and differentiable torch results for torch
inputs (the BoTorch optimizer needs gradients with respect to the sizes).

Examples
--------
>>> import numpy as np
>>> float(power_law_floor(np.array(100.0), log_c=np.log(0.1), log_a=np.log(0.5), alpha=0.5,
...                       x_ref=100.0, scale=1.0))
0.6
"""

from __future__ import annotations

from typing import Any

import numpy as np


def namespace(x: Any) -> Any:
    """Return ``torch`` for torch tensors, else ``numpy`` (torch is never imported here)."""
    if type(x).__module__.split(".")[0] == "torch":
        import torch

        return torch
    return np


def power_law_floor(size: Any, log_c: Any, log_a: Any, alpha: Any, x_ref: Any,
                    scale: Any) -> Any:
    """E = scale * (exp(log_c) + exp(log_a) * (size / x_ref) ** (-alpha)).

    Parameters broadcast against each other; ``size`` may be a torch tensor (then every
    other argument must be a tensor or a NumPy array / float convertible to one).
    """
    xp = namespace(size)
    if xp is not np:
        log_c, log_a, alpha, x_ref, scale = (
            xp.as_tensor(v, dtype=size.dtype) for v in (log_c, log_a, alpha, x_ref, scale))
    return scale * (xp.exp(log_c) + xp.exp(log_a - alpha * xp.log(size / x_ref)))


def invert_power_law_floor(error: np.ndarray | float, log_c: np.ndarray | float,
                           log_a: np.ndarray | float, alpha: np.ndarray | float,
                           x_ref: np.ndarray | float,
                           scale: np.ndarray | float) -> np.ndarray:
    """Size at which the curve reaches ``error``; ``inf`` where the floor is >= ``error``.

    Examples
    --------
    >>> round(float(invert_power_law_floor(np.array(0.6), np.log(0.1), np.log(0.5), 0.5,
    ...                                     100.0, 1.0)), 6)
    100.0
    """
    excess = np.asarray(error, dtype=float) / scale - np.exp(log_c)
    with np.errstate(divide="ignore", invalid="ignore"):
        size = x_ref * np.exp((log_a - np.log(excess)) / alpha)
    return np.where(excess > 0, size, np.inf)
