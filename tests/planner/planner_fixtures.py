"""Hand-built posteriors with known answers for the planner tests (not a test module)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from sim2real.models.evaluation.point_draws import CurveDraws, PowerLawDraws
from sim2real.planner.optim.problem import OperatingPoint


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


def family_posterior(table: Any, family: str, params: dict[str, Any], chains: int = 2,
                     draws: int = 50, jitter: float = 0.0, seed: int = 0) -> Any:
    """A :class:`~models.posterior.base.Posterior` of ``family`` with given draws.

    ``params`` maps each formula parameter (``family.uses``) to its scale-free values, one
    per entry of its level (curves; tasks or (task, database) pairs), optionally with
    Gaussian ``jitter``; the noise ``sigma`` is 0.05 in every noise group (log-normal
    jitter).
    """
    import arviz as az

    from sim2real.models.data.contract import load_curves
    from sim2real.models.data.design import make_design
    from sim2real.models.inference.diagnostics import compute_diagnostics
    from sim2real.models.inference.spec import ModelSpec, SamplerConfig
    from sim2real.models.posterior.base import Posterior

    spec = ModelSpec(family=family)
    fam = spec.model_family
    data = load_curves(table)
    design = make_design(data, fam.layout)
    levels = {**fam.levels_of(), "sigma": design.noise_level}
    rng = np.random.default_rng(seed)
    post = {}
    for name in (*fam.uses, "sigma"):
        k = len(design.coords[levels[name]])
        base = np.broadcast_to(np.asarray(params.get(name, 0.05), dtype=float), (k,))
        noise = jitter * rng.standard_normal((chains, draws, k))
        post[name] = base * np.exp(noise) if name == "sigma" else base + noise
    idata = az.from_dict(posterior=post, coords=design.coords,
                         sample_stats={"diverging": np.zeros((chains, draws), dtype=bool)},
                         dims={n: [levels[n]] for n in post})
    with warnings.catch_warnings():   # R-hat of constant draws is 0 / 0
        warnings.simplefilter("ignore", RuntimeWarning)
        diagnostics = compute_diagnostics(idata, var_names=list(post))
    return Posterior(idata=idata, data=data, spec=spec,
                     sampler=SamplerConfig(draws=draws, chains=chains),
                     diagnostics=diagnostics)
