"""Model discrepancy: a pooled-scale Gaussian-process deviation along log size.

Real learning curves wander around any parametric form (flat-then-steep starts, bumps,
slope changes). With ``ModelSpec(discrepancy="gp")`` (the default ``"auto"`` on curve
families) the mean log error of curve ``j`` is the family's form plus a deviation
``delta_j(lx)``, ``lx = log(x / x_ref)``::

    delta_j ~ GP(0, tau^2 k(|lx - lx'|)),  k(r) = (1 + sqrt(3) r / ell) exp(-sqrt(3) r / ell)
    tau ~ LogNormal(log 0.3, 0.25)          (``disc_sigma``: one scale for all curves)

(a Matern-3/2 kernel: paths once differentiable, so the predictive mean is smooth in the
size and the planner's gradients are exact).

``delta_j`` is sampled at the curve's measured sizes (its *knots*, non-centered:
``delta = tau L z`` with ``L`` the Cholesky factor of the unit correlation of the
knots, a constant since ``ell`` is fixed). At a query size the conditional GP gives::

    delta(lx) = k(lx)' K^-1 delta_knots + tau sqrt(1 - k(lx)' K^-1 k(lx)) eps_j

with one standard-normal ``eps_j`` per (draw, curve), fixed per posterior, so repeated
queries agree and the planner's gradients exist. At a measured size the deviation is the
fitted one (the predictive does not widen where data exist); past the last size the
spread grows with the distance (first like ``tau sqrt(3/2) d / ell``, then more slowly) and
far away it saturates at ``tau``, so the floor keeps a meaning (``floor x exp(tau eps)``).
Jointly, queries on one curve share ``eps_j`` (exact marginals, a one-factor path).

Examples
--------
>>> import numpy as np
>>> knots = Knots.build(np.array([0, 0, 0]), np.array([-1.0, 0.0, 1.0]), 1, ell=2.0)
>>> knots.lx[0].tolist(), knots.mask[0].tolist()
([-1.0, 0.0, 1.0], [1.0, 1.0, 1.0])
>>> delta = np.array([[[0.1, 0.0, -0.1]]])            # 1 draw, 1 curve, 3 knots
>>> tau, eps = np.array([0.2]), np.array([[1.0]])
>>> out = knots.query(np.array([0, 0]), np.array([1.0, 5.0]), delta, tau, eps)
>>> np.round(out, 3).tolist()           # at the last knot (its draw), then 4 units past
[[-0.098, 0.177]]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim2real.models.families.priors import Prior

#: Discrepancy kinds of :class:`~models.inference.spec.ModelSpec` (``auto``, the default:
#: ``gp`` on curve families, ``none`` on surfaces, which do not have it yet).
KINDS = ("auto", "gp", "none")
#: Correlation length of the kernel in natural-log size units (a factor e^2 ~ 7.4).
DEFAULT_LENGTH = 2.0
#: Prior of the pooled discrepancy scale (log error units). The scale is not identified by
#: a curve's own residuals (inside the measured range real curves deviate little from the
#: form), so it is calibrated on held-out extrapolation of *other* real curves:
#: ``benchmarks/discrepancy_calibration.py`` chose 0.3 on its tuning set (RadonPy MD and
#: MP sim-to-sim transfer curves, 1/8 backtest, pooled 90% coverage closest to 0.90).
PRIORS: dict[str, Prior] = {"disc_sigma": Prior("LogNormal", mu=-1.2039728043259361,
                                                sigma=0.25)}
#: Keeps the conditional sd differentiable at a knot (adds 1% of tau in quadrature).
_JITTER = 1e-4


@dataclass(frozen=True)
class Knots:
    """Measured sizes of every curve, padded to a rectangle, and their GP algebra.

    Attributes
    ----------
    lx : ndarray (C, K)
        Knot positions per curve (padding repeats the last knot, masked out).
    mask : ndarray (C, K)
        1 for a real knot, 0 for padding.
    chol : ndarray (C, K, K)
        Cholesky factors of the unit correlation (identity on padding).
    inv : ndarray (C, K, K)
        Inverses of the unit correlation (zero on padding).
    row_knot : ndarray (N,)
        Flat knot index ``curve * K + k`` of every table row.
    ell : float
        Correlation length.
    """

    lx: np.ndarray
    mask: np.ndarray
    chol: np.ndarray
    inv: np.ndarray
    row_knot: np.ndarray
    ell: float

    @classmethod
    def build(cls, curve: np.ndarray, lx: np.ndarray, n_curves: int,
              ell: float = DEFAULT_LENGTH) -> Knots:
        """Knots of the rows ``(curve[i], lx[i])`` (replicates share a knot)."""
        rounded = np.round(np.asarray(lx, dtype=float), 12)
        per = [np.unique(rounded[curve == c]) for c in range(n_curves)]
        k_max = max((len(p) for p in per), default=1)
        pos = np.zeros((n_curves, k_max))
        mask = np.zeros((n_curves, k_max))
        chol = np.tile(np.eye(k_max), (n_curves, 1, 1))
        inv = np.zeros((n_curves, k_max, k_max))
        for c, p in enumerate(per):
            k = len(p)
            pos[c, :k], pos[c, k:] = p, p[-1] if k else 0.0
            mask[c, :k] = 1.0
            corr = kernel(np, np.abs(p[:, None] - p[None, :]), ell) + 1e-8 * np.eye(k)
            chol[c, :k, :k] = np.linalg.cholesky(corr)
            inv[c, :k, :k] = np.linalg.inv(corr)
        row_knot = np.array([c * k_max + int(np.searchsorted(per[c], v))
                             for c, v in zip(curve, rounded, strict=True)], dtype=np.int64)
        return cls(pos, mask, chol, inv, row_knot, float(ell))

    @property
    def n_knots(self) -> int:
        """Knots per curve after padding (K)."""
        return int(self.lx.shape[1])

    def values(self, z: Any, tau: Any) -> Any:
        """Knot deviations ``tau L z``, shape ``(C, K)`` (PyTensor or NumPy ``z``)."""
        return tau * (self.chol * z[:, None, :]).sum(-1) * self.mask

    def query(self, curve: np.ndarray, lx: Any, delta: Any, tau: Any, eps: Any) -> Any:
        """Deviation draws ``(S, Q)`` at query sizes ``lx`` ``(Q,)`` on curves ``curve``.

        ``delta`` ``(S, C, K)`` knot draws, ``tau`` ``(S,)``, ``eps`` ``(S, C)``; NumPy or
        torch (``lx`` may be a differentiable tensor).
        """
        lib = _lib(lx)
        const = (lambda a: lib.as_tensor(a, dtype=lib.float64)) if lib is not np else \
            np.asarray
        pos, mask = const(self.lx[curve]), const(self.mask[curve])          # (Q, K)
        k = kernel(lib, lib.abs(lx[:, None] - pos), self.ell) * mask          # (Q, K)
        w = lib.einsum("qk,qkl->ql", k, const(self.inv[curve]))              # (Q, K)
        mean = lib.einsum("sqk,qk->sq", delta[:, curve, :], w)               # (S, Q)
        var = 1.0 - (w * k).sum(-1)
        var = var * (var > 0)
        sd = lib.sqrt(var + _JITTER)
        return mean + tau[:, None] * sd[None, :] * eps[:, curve]

    def at_rows(self, delta: np.ndarray) -> np.ndarray:
        """Deviation draws ``(S, N)`` at the table rows (their own knots)."""
        return delta.reshape(delta.shape[0], -1)[:, self.row_knot]


def kernel(lib: Any, r: Any, ell: float) -> Any:
    """Unit Matern-3/2 correlation at distance ``r`` (NumPy, torch or PyTensor)."""
    a = np.sqrt(3.0) * r / ell
    return (1.0 + a) * lib.exp(-a)


def _lib(x: Any) -> Any:
    module = type(x).__module__.split(".")[0]
    if module == "torch":
        import torch

        return torch
    if module in ("pytensor", "pymc"):
        import pytensor.tensor as pt

        return pt
    return np


def eps_draws(n_draws: int, n_curves: int, seed: int = 20251203) -> np.ndarray:
    """The fixed standard-normal factors ``(S, C)`` of a posterior's extrapolations."""
    return np.random.default_rng(seed).standard_normal((n_draws, n_curves))
