"""Shared test set-up: project-local compile caches and hand-built posteriors."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Before PyMC / pytensor are imported anywhere: compile into a project cache (CI-safe).
os.environ.setdefault("PYTENSOR_FLAGS", f"base_compiledir={ROOT / '.cache' / 'pytensor'}")
os.environ.setdefault("MPLBACKEND", "Agg")

from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402


def make_idata(curve_ids: list[str], params: dict[str, np.ndarray], chains: int = 2,
               draws: int = 50, jitter: float = 0.0, seed: int = 0) -> Any:
    """InferenceData with given per-curve (log_c, log_a, alpha, sigma) true values.

    ``params`` maps names to arrays of shape (K,); every draw equals them plus optional
    Gaussian ``jitter`` so that quantities can be checked against closed forms.
    """
    import arviz as az

    rng = np.random.default_rng(seed)
    k = len(curve_ids)
    post: dict[str, np.ndarray] = {}
    for name in ("log_c", "log_a", "alpha", "sigma"):
        base = np.broadcast_to(np.asarray(params[name], dtype=float), (k,))
        noise = jitter * rng.standard_normal((chains, draws, k))
        post[name] = np.broadcast_to(base, (chains, draws, k)) + noise
    post["alpha"] = np.abs(post["alpha"])
    post["sigma"] = np.abs(post["sigma"])
    log_e = np.logaddexp(post["log_c"], post["log_a"])
    post["log_e"] = log_e
    post["logit_f"] = post["log_c"] - post["log_a"]
    post["log_alpha"] = np.log(post["alpha"])
    for name in ("logit_f_mu", "log_alpha_mu"):
        post[name] = rng.standard_normal((chains, draws))
    for name in ("logit_f_sigma", "log_alpha_sigma"):
        post[name] = np.abs(rng.standard_normal((chains, draws)))
    stats = {"diverging": np.zeros((chains, draws), dtype=bool),
             "energy": rng.standard_normal((chains, draws))}
    return az.from_dict(posterior=post, sample_stats=stats, coords={"curve": curve_ids},
                        dims={n: ["curve"] for n in ("log_c", "log_a", "alpha", "sigma",
                                                     "log_e", "logit_f", "log_alpha")})


def make_simple_table() -> pd.DataFrame:
    """A scratch curve and a transfer curve of one task (exact power laws, 2 seeds).

    The replicates are exact: add noise before fitting it with MCMC (it crawls otherwise).
    """
    rows = []
    for m in (10, 20, 40, 80):
        for s in (0, 1):
            rows.append(("t", "none", 0, m, s, 0.2 + 2.0 * m ** -0.5, "MAE"))
    for n in (100, 1000, 10000):
        for s in (0, 1):
            rows.append(("t", "dft", n, 20, s, 0.1 + 1.0 * n ** -0.3, "MAE"))
    return pd.DataFrame(rows, columns=["task", "sim_source", "n_sim", "n_real", "seed",
                                       "error", "metric"])


@pytest.fixture
def simple_table() -> pd.DataFrame:
    """Fixture form of :func:`make_simple_table`."""
    return make_simple_table()


@pytest.fixture
def hand_built_posterior(simple_table: pd.DataFrame) -> Callable[..., Any]:
    """Factory: a power-law Posterior of ``simple_table`` whose draws are given laws.

    Call with ``laws={curve_id: (C, D, alpha)}`` in error units; returns the posterior.
    """
    from sim2real.models.data.contract import load_curves
    from sim2real.models.data.design import make_design
    from sim2real.models.inference.diagnostics import compute_diagnostics
    from sim2real.models.inference.spec import ModelSpec, SamplerConfig
    from sim2real.models.posterior.base import Posterior

    def build(laws: dict[str, tuple[float, float, float]] | None = None,
              jitter: float = 0.0, table: pd.DataFrame | None = None) -> Any:
        data = load_curves(simple_table if table is None else table)
        design = make_design(data, "curve")
        ids, refs = design.coords["curve"], design.refs["curve"]
        laws = laws or {"t|none|n_sim=0": (0.2, 2.0, 0.5), "t|dft|n_real=20": (0.1, 1.0, 0.3)}
        log_c, log_a, alpha = [], [], []
        for k, cid in enumerate(ids):
            c, d, a = laws[cid]
            log_c.append(np.log(c / refs["scale"][k]))
            log_a.append(np.log(d / refs["scale"][k]) - a * np.log(refs["x_ref"][k]))
            alpha.append(a)
        idata = make_idata(ids, {"log_c": np.array(log_c),
                                              "log_a": np.array(log_a),
                                              "alpha": np.array(alpha),
                                              "sigma": np.full(len(alpha), 0.05)},
                           jitter=jitter)
        return Posterior(idata=idata, data=data, spec=ModelSpec(),
                              sampler=SamplerConfig(draws=50, chains=2),
                              diagnostics=compute_diagnostics(idata))

    return build
