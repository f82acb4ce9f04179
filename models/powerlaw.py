"""Hierarchical Bayesian power law with a floor, as a PyMC model.

For curve k with varying size x (sizes scaled by the curve's reference size x_ref_k, the
geometric mean of its sizes; errors by the task's median error s)::

    E_k(x) = C_k + A_k (x / x_ref_k)^(-alpha_k)            E = C + D x^(-alpha)
    E_ref_k = C_k + A_k,  f_k = C_k / E_ref_k               (floor fraction at x_ref)
    log E_ref_k ~ Normal(.)                                  (per curve, well identified)
    logit f_k     = logit_f_mu   + logit_f_sigma   * z_f[k]      (partially pooled,
    log alpha_k   = log_alpha_mu + log_alpha_sigma * z_alpha[k]   non-centered)
    log(error_i / s) ~ Normal(log E_k(x_i), sigma_k)         (or Student-t with nu)

``(log E_ref, logit f, log alpha)`` is a reparametrization of ``(log D, log C, alpha)``
at the reference size: the pooled quantities are the curve *shapes* (how close to its floor
a curve is at mid-range, and how fast it falls), so a curve measured at 3 sizes borrows its
shape from the others. ``log C = log E_ref + log f``, ``log A = log E_ref + log(1 - f)``,
``log D = log A + alpha log x_ref`` are deterministic.

Examples
--------
>>> import pandas as pd
>>> from models.contract import load_curves
>>> from models.design import make_design
>>> from models.spec import ModelSpec
>>> df = pd.DataFrame({"task": "t", "sim_source": "none", "n_sim": 0,
...                    "n_real": [10, 100, 1000], "seed": 0, "error": [2.0, 1.0, 0.5],
...                    "metric": "MAE"})
>>> model = build_model(make_design(load_curves(df)), ModelSpec())
>>> sorted(CURVE_PARAMETERS) == sorted(v for v in CURVE_PARAMETERS if v in model.named_vars)
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from models.design import Design, replicate_groups
from models.spec import ModelSpec

#: Per-curve parameters stored in the posterior (scale-free units).
CURVE_PARAMETERS = ("log_e", "logit_f", "alpha", "log_c", "log_a", "sigma")
#: Population-level parameters.
HYPER_PARAMETERS = ("logit_f_mu", "logit_f_sigma", "log_alpha_mu", "log_alpha_sigma")


def diagnostic_vars(posterior: Any) -> list[str]:
    """Names of the parameters whose convergence is checked (curve + population + ``nu``).

    The same list is used at fit time and when a posterior is reloaded from netCDF, so a
    reloaded posterior reports the same R-hat / ESS as the fit did.

    Examples
    --------
    >>> diagnostic_vars({"alpha": 1, "logit_f_sigma": 2, "mu": 3})
    ['alpha', 'logit_f_sigma']
    """
    names = [*CURVE_PARAMETERS, *HYPER_PARAMETERS, "nu"]
    return [n for n in names if n in posterior]


def build_model(design: Design, spec: ModelSpec) -> Any:
    """Build the PyMC model for ``design`` (priors validated here).

    With the Normal likelihood, replicates at one size enter through their sufficient
    statistics (observed ``y_bar`` plus a within-group potential); with Student-t every
    observation is a term of observed ``y``.

    Returns
    -------
    pymc.Model
    """
    import pymc as pm
    import pytensor.tensor as pt

    spec.validate()
    priors = spec.resolved_priors()
    with pm.Model(coords={"curve": design.curve_ids}) as model:
        log_e = priors["log_e"].create("log_e", dims="curve")
        shape = {}
        for name in ("logit_f", "log_alpha"):
            mu = priors[f"{name}_mu"].create(f"{name}_mu")
            sd = priors[f"{name}_sigma"].create(f"{name}_sigma")
            z = pm.Normal(f"{name}_z", 0.0, 1.0, dims="curve")
            shape[name] = pm.Deterministic(name, mu + sd * z, dims="curve")
        alpha = pm.Deterministic("alpha", pt.exp(shape["log_alpha"]), dims="curve")
        log_c = pm.Deterministic("log_c", log_e - pt.softplus(-shape["logit_f"]), dims="curve")
        log_a = pm.Deterministic("log_a", log_e - pt.softplus(shape["logit_f"]), dims="curve")
        sigma = priors["sigma"].create("sigma", dims="curve")

        def mean_log_error(curve: np.ndarray, log_x: np.ndarray) -> Any:
            return pt.logaddexp(log_c[curve], log_a[curve] - alpha[curve] * log_x)

        if spec.likelihood == "student_t":
            nu = priors["nu"].create("nu")
            model.add_coord("obs", range(len(design.y)))
            pm.StudentT("y", nu=nu, mu=mean_log_error(design.curve, design.log_x),
                        sigma=sigma[design.curve], observed=design.y, dims="obs")
        else:
            g = replicate_groups(design)
            model.add_coord("group", range(len(g.n)))
            s = sigma[g.curve]
            pm.Normal("y_bar", mu=mean_log_error(g.curve, g.log_x), sigma=s / np.sqrt(g.n),
                      observed=g.y_bar, dims="group")
            pm.Potential("replicate_spread",
                         pt.sum(-(g.n - 1) * pt.log(s) - g.ss / (2.0 * s**2)))
    return model
