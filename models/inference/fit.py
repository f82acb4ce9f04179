"""Fit any model family with NUTS (nutpie by default, PyMC's sampler as fallback).

Examples
--------
>>> from sim2real.models.examples import example_path
>>> from sim2real.models.inference.spec import ModelSpec, SamplerConfig
>>> post = fit(example_path("synthetic"), ModelSpec(family="power_law_floor"),
...            SamplerConfig(draws=100, tune=100, chains=2))  # doctest: +SKIP
>>> post.summary().head()  # doctest: +SKIP
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim2real.models.data.contract import CurveData, load_curves
from sim2real.models.data.design import Design, make_design, pooled_populations
from sim2real.models.errors import ConvergenceWarning, warn_at_caller
from sim2real.models.inference.build import build_model
from sim2real.models.inference.diagnostics import compute_diagnostics, warn_if_failed
from sim2real.models.inference.spec import ModelSpec, SamplerConfig
from sim2real.models.posterior.base import Posterior
from sim2real.models.posterior.files import public_draws


def as_curve_data(data: CurveData | pd.DataFrame | str | Path) -> CurveData:
    """Accept a validated :class:`CurveData`, a DataFrame or a file path."""
    return data if isinstance(data, CurveData) else load_curves(data)


def fit(data: CurveData | pd.DataFrame | str | Path, spec: ModelSpec | None = None,
        sampler: SamplerConfig | None = None) -> Posterior:
    """Fit a model family to a learning-curve table and return its posterior.

    Parameters
    ----------
    data : CurveData, DataFrame or path
        The learning curves (validated here if not already).
    spec : ModelSpec, optional
        Family, likelihood and prior overrides (default: power law with a floor, Normal;
        ``ModelSpec(family="auto")`` picks the joint surface where the data supports it).
    sampler : SamplerConfig, optional
        Draws, tuning, chains, seed, backend.

    Returns
    -------
    Posterior
        Diagnostics are computed; a :class:`ConvergenceWarning` is emitted if any fail.

    Examples
    --------
    >>> from sim2real.models.examples import example_path
    >>> post = fit(example_path("synthetic"), ModelSpec(family="exp_saturation"),
    ...            SamplerConfig(draws=100, tune=100, chains=2))  # doctest: +SKIP
    >>> post.error_draws("bandgap_synth", "none", 0, [100.0]).shape  # doctest: +SKIP
    (200, 1)
    """
    curves = as_curve_data(data)
    spec = (spec or ModelSpec()).resolve(curves)
    spec.validate()
    sampler = sampler or SamplerConfig()
    sampler.validate()
    design = make_design(curves, spec.model_family.layout)
    idata = sample_model(build_model(design, spec), sampler,
                         n_curves=sampler_population_size(design, spec))
    idata.posterior = public_draws(idata.posterior)
    diagnostics = compute_diagnostics(
        idata, var_names=spec.model_family.diagnostic_vars(idata.posterior))
    warn_if_failed(diagnostics)
    return Posterior(idata=idata, data=curves, spec=spec, sampler=sampler,
                     diagnostics=diagnostics)


def sampler_population_size(design: Design, spec: ModelSpec) -> int:
    """The curve count the default ``target_accept`` is chosen for.

    Under route pooling each population is identified only by its own curves, so the
    smallest population sets the step size; otherwise every noise group counts.

    Examples
    --------
    >>> d = Design("curve", {"curve": ["a|none|n_sim=0", "b|none|n_sim=0", "a|db|n_real=9"]},
    ...            {}, {}, np.zeros(0), np.zeros(0), {},
    ...            pools={"curve": (["scratch", "transfer:db"], np.array([0, 0, 1]))})
    >>> sampler_population_size(d, ModelSpec(pooling="route"))
    1
    >>> sampler_population_size(d, ModelSpec(pooling="all"))
    3
    """
    if spec.resolved_pooling != "route":
        return design.n_groups
    return min(design.n_groups,
               *(len(m) for m in pooled_populations(design, "route").values()))


def sample_model(model: Any, config: SamplerConfig, n_curves: int) -> Any:
    """Run NUTS on ``model``; return an ``InferenceData`` with posterior and sample stats."""
    target_accept = config.resolved_target_accept(n_curves)
    if config.backend == "nutpie":
        try:
            return _sample_nutpie(model, config, target_accept)
        except ImportError as exc:
            warn_at_caller(f"nutpie unavailable ({exc}); falling back to PyMC's NUTS "
                           "sampler.", ConvergenceWarning)
    return _sample_pymc(model, config, target_accept)


def _sample_nutpie(model: Any, config: SamplerConfig, target_accept: float) -> Any:
    import nutpie

    start = time.perf_counter()
    compiled = nutpie.compile_pymc_model(model)
    compiled_at = time.perf_counter()
    idata = nutpie.sample(compiled, draws=config.draws, tune=config.tune,
                          chains=config.chains, seed=config.seed, target_accept=target_accept,
                          progress_bar=config.progress, save_warmup=False)
    return _stamp(idata, compiled_at - start, time.perf_counter() - compiled_at)


def _sample_pymc(model: Any, config: SamplerConfig, target_accept: float) -> Any:
    import pymc as pm

    cores = min(config.chains, os.cpu_count() or 1)
    start = time.perf_counter()
    with model:
        idata = pm.sample(draws=config.draws, tune=config.tune, chains=config.chains,
                          cores=cores, random_seed=config.seed, target_accept=target_accept,
                          progressbar=config.progress, compute_convergence_checks=False)
    return _stamp(idata, float("nan"), time.perf_counter() - start)


def _stamp(idata: Any, compile_seconds: float, sampling_seconds: float) -> Any:
    """Record wall times (compile, sampling incl. tuning) in the posterior's attributes."""
    idata.posterior.attrs["sim2real_compile_seconds"] = round(compile_seconds, 3)
    idata.posterior.attrs["sim2real_sampling_seconds"] = round(sampling_seconds, 3)
    return idata


def prior_predictive(data: CurveData | pd.DataFrame | str | Path, spec: ModelSpec | None = None,
                     draws: int = 500, seed: int = 0) -> pd.DataFrame:
    """Prior predictive check: quantiles of simulated errors per noise group vs the data.

    Returns
    -------
    DataFrame
        One row per curve (noise group): observed min / max error and the prior predictive
        5%, 50% and 95% quantiles of the error, in the task's own units.
    """
    import arviz as az

    from sim2real.models.inference.diagnostics import Diagnostics
    from sim2real.models.inference.prior import prior_dataset

    curves = as_curve_data(data)
    spec = (spec or ModelSpec()).resolve(curves)
    nan = float("nan")
    view = Posterior(idata=az.InferenceData(posterior=prior_dataset(curves, spec, draws, seed)),
                     data=curves, spec=spec, sampler=SamplerConfig(draws=draws, chains=1),
                     diagnostics=Diagnostics(nan, nan, nan, 0, nan, 1, draws))
    design = view.design
    err = view.posterior_predictive(seed=seed)
    out = []
    for g, label in enumerate(design.coords[design.noise_level]):
        sel = design.index["noise"] == g
        obs = np.exp(design.y[sel]) * design.row_scale[sel]
        q = np.quantile(err[:, sel], [0.05, 0.5, 0.95])
        out.append({"curve_id": label, "observed_min": obs.min(), "observed_max": obs.max(),
                    "prior_q05": q[0], "prior_q50": q[1], "prior_q95": q[2]})
    return pd.DataFrame(out)
