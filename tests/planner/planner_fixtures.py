"""Hand-built posteriors with known answers for the planner tests (not a test module)."""

from __future__ import annotations

import numpy as np

from planner.optim.pointmodel import CurveDraws, PowerLawDraws
from planner.optim.problem import OperatingPoint


def const(c: float, d: float, a: float, n_real: float | None = None, s: int = 8) -> CurveDraws:
    """Curve whose every draw has the same parameters."""
    return CurveDraws(np.full(s, c), np.full(s, d), np.full(s, a), n_real)


def noisy(c: float, d: float, a: float, n_real: float | None = None, s: int = 200,
          sd: float = 0.05, seed: int = 0) -> CurveDraws:
    """Curve with log-normal jitter on c, d and normal jitter on alpha."""
    rng = np.random.default_rng(seed)
    return CurveDraws(c * np.exp(sd * rng.standard_normal(s)),
                      d * np.exp(sd * rng.standard_normal(s)),
                      a + sd * rng.standard_normal(s), n_real)


def one_task(scratch: CurveDraws, transfer: CurveDraws, n0: float = 1000.0,
             m0: float = 50.0) -> tuple[PowerLawDraws, OperatingPoint]:
    """Task 'a' with a scratch curve and database 'mp' measured at n_real = m0."""
    model = PowerLawDraws({("a", "none"): scratch, ("a", "mp"): transfer})
    m_curve = transfer.n_real if transfer.n_real is not None else m0
    op = OperatingPoint({("a", "mp"): n0}, {("a", "mp"): m_curve}, {"a": m0})
    return model, op
