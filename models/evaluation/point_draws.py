"""A power-law error model from explicit parameter draws (single-axis semantics).

Used by the least-squares plug-in baseline (one draw, :mod:`.least_squares`), by the regret
benchmark (bootstrap draws) and by tests (hand-built posteriors with known answers). Curves
with a database are functions of ``n_sim`` at the ``n_real`` they were measured at; the
scratch curve (``"none"``) is a function of ``n_real``.

Examples
--------
>>> import numpy as np
>>> m = PowerLawDraws({("a", "none"): CurveDraws(np.array([0.1]), np.array([1.0]),
...                                              np.array([0.5]))})
>>> m.error_draws("a", "none", 0, [100.0]).round(3).tolist()
[[0.2]]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim2real.models.data.contract import NO_SOURCE
from sim2real.models.errors import UnknownCurveError
from sim2real.models.families.ops import as_numpy, broadcast_sizes, is_torch


@dataclass(frozen=True)
class CurveDraws:
    """Draws of ``E(x) = c + d * x ** (-alpha)``; ``n_real`` fixed for database curves."""

    c: np.ndarray
    d: np.ndarray
    alpha: np.ndarray
    n_real: float | None = None

    def error(self, size: Any) -> Any:
        """Error draws ``(S, Q)`` at sizes ``(Q,)`` (NumPy or torch)."""
        if is_torch(size):
            import torch

            c, d, a = (torch.as_tensor(v, dtype=torch.float64)[:, None]
                       for v in (self.c, self.d, self.alpha))
            return c + d * size.clamp(min=1e-9)[None, :] ** (-a)
        size = np.maximum(np.atleast_1d(np.asarray(size, dtype=float)), 1e-9)
        return self.c[:, None] + self.d[:, None] * size[None, :] ** (-self.alpha[:, None])


class PowerLawDraws:
    """ErrorModel over a dict ``(task, sim_source) -> CurveDraws`` (same S everywhere)."""

    def __init__(self, curves: Mapping[tuple[str, str], CurveDraws]) -> None:
        self.curves = dict(curves)
        sizes = {len(v.c) for v in self.curves.values()}
        if len(sizes) != 1:
            raise ValueError(f"every curve needs the same number of draws, got {sizes}.")
        self.n_draws = sizes.pop()

    def error_draws(self, task: str, sim_source: str, n_sim: Any, n_real: Any) -> Any:
        """Posterior draws ``(S, Q)`` (ErrorModel protocol)."""
        curve = self.curves.get((task, sim_source))
        if curve is None:
            raise UnknownCurveError(f"no curve for task '{task}' with source '{sim_source}'.")
        ns, nr, _ = broadcast_sizes(n_sim, n_real)
        if sim_source == NO_SOURCE:
            return curve.error(nr)
        if curve.n_real is not None and not np.allclose(as_numpy(nr), curve.n_real):
            raise UnknownCurveError(f"task '{task}', source '{sim_source}': curve measured "
                                    f"at n_real={curve.n_real} only.")
        return curve.error(ns)
