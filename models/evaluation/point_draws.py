"""A power-law error model from explicit parameter draws (single-axis semantics).

Used by the least-squares plug-in baseline (one draw), by the regret benchmark (bootstrap
draws) and by tests (hand-built posteriors with known answers). Curves with a database are
functions of ``n_sim`` at the ``n_real`` they were measured at; the scratch curve
(``"none"``) is a function of ``n_real``.

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

from models.errors import UnknownCurveError
from planner.optim.problem import NO_SOURCE


@dataclass(frozen=True)
class CurveDraws:
    """Draws of ``E(x) = c + d * x ** (-alpha)``; ``n_real`` fixed for database curves."""

    c: np.ndarray
    d: np.ndarray
    alpha: np.ndarray
    n_real: float | None = None

    def error(self, size: Any) -> Any:
        """Error draws ``(S, Q)`` at sizes ``(Q,)`` (NumPy or torch)."""
        if type(size).__module__.split(".")[0] == "torch":
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
        torch_in = any(type(v).__module__.split(".")[0] == "torch" for v in (n_sim, n_real))
        if torch_in:
            import torch

            ns, nr = torch.broadcast_tensors(
                torch.atleast_1d(torch.as_tensor(n_sim, dtype=torch.float64)),
                torch.atleast_1d(torch.as_tensor(n_real, dtype=torch.float64)))
            nr_np = nr.detach().numpy()
        else:
            ns, nr = np.broadcast_arrays(np.atleast_1d(np.asarray(n_sim, dtype=float)),
                                         np.atleast_1d(np.asarray(n_real, dtype=float)))
            nr_np = nr
        if sim_source == NO_SOURCE:
            return curve.error(nr)
        if curve.n_real is not None and not np.allclose(nr_np, curve.n_real):
            raise UnknownCurveError(f"task '{task}', source '{sim_source}': curve measured "
                                    f"at n_real={curve.n_real} only.")
        return curve.error(ns)


def fast_view(model: Any) -> Any:
    """An equivalent :class:`PowerLawDraws` of a single-axis power-law posterior, else
    ``model`` itself.

    A fitted :class:`models.posterior.CurvePosterior` looks up its curve row by row for every
    query point; the optimizer evaluates thousands of points, so when every (task, source)
    has exactly one curve (scratch curves along ``n_real``, database curves along ``n_sim``)
    the same draws of ``c + d x^-alpha`` are served from arrays instead.
    """
    curves: Any = getattr(model, "curves", None)
    if not (hasattr(curves, "iterrows") and hasattr(model, "curve_parameters")):
        return model
    if curves.duplicated(["task", "sim_source"]).any():
        return model
    out = {}
    for k, row in curves.iterrows():
        scratch = row["sim_source"] == NO_SOURCE
        if (row["axis"] == "n_real") != scratch:
            return model
        p = model.curve_parameters(int(k))
        out[(str(row["task"]), str(row["sim_source"]))] = CurveDraws(
            np.asarray(p.c), np.asarray(p.d), np.asarray(p.alpha),
            None if scratch else float(row["fixed_n_real"]))
    return PowerLawDraws(out)
