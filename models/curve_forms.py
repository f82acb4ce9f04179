"""Alternative single-axis curve forms, fitted with the same hierarchy and likelihood.

Sizes are scale-free, ``lx = log(x / x_ref)`` with ``x_ref`` the curve's reference
(geometric-mean) size; errors are ``log(E / scale)`` with ``scale`` the task's median
error. ``E_ref = E(x_ref)`` and the floor fraction ``f = C / E_ref`` are parametrized as in
:mod:`models.powerlaw` (``log C = log E_ref - softplus(-logit f)``,
``log A = log E_ref - softplus(logit f)``). Forms (see docs/models.md):

=====================  =====================================================================
``power_law_floor``    ``E = C + A x^-alpha`` (the default model, :mod:`models.powerlaw`)
``power_law``          ``E = E_ref x^-alpha`` (no floor)
``broken_power_law``   ``E = C + A x^-alpha * B(x)``, a smooth break (Caballero et al. 2023)
                       at ``x_b`` from exponent ``alpha`` to ``alpha2``:
                       ``log B = -(alpha2 - alpha) s [softplus((lx - log x_b) / s)
                       - softplus(-log x_b / s)]`` with fixed sharpness ``s = 0.5``
``exp_saturation``     ``E = C + A exp(-(x_s)^-gamma (x^gamma - 1))`` i.e.
                       ``C + D exp(-(x / x_s)^gamma)`` (stretched exponential)
=====================  =====================================================================

Every shape parameter is partially pooled across curves (non-centered), ``log E_ref`` and
the noise ``sigma`` are per curve. Use :func:`fit_form`; ``power_law_floor`` delegates to
:func:`models.fit.fit_curves`.

Examples
--------
>>> FormSpec(form="power_law").validate()
>>> sorted(FormSpec(form="broken_power_law").resolved_priors())[:2]
['log_alpha2_mu', 'log_alpha2_sigma']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.contract import CurveData
from models.design import Design, make_design, replicate_groups
from models.errors import SpecError
from models.priors import DEFAULT_PRIORS, Prior, resolve_priors
from models.spec import LIKELIHOODS, ModelSpec, SamplerConfig
from models.surface_forms import Ops

CURVE_FORMS = ("power_law_floor", "power_law", "broken_power_law", "exp_saturation")
DEFAULT_FORM = "power_law_floor"
BREAK_SHARPNESS = 0.5

_BASE = {k: DEFAULT_PRIORS[k] for k in ("log_e", "sigma", "nu")}
_FLOOR = {k: DEFAULT_PRIORS[k] for k in ("logit_f_mu", "logit_f_sigma")}
_ALPHA = {k: DEFAULT_PRIORS[k] for k in ("log_alpha_mu", "log_alpha_sigma")}
#: Default priors per form (scale-free units).
FORM_PRIORS: dict[str, dict[str, Prior]] = {
    "power_law_floor": dict(DEFAULT_PRIORS),
    "power_law": {**_BASE, **_ALPHA},
    "broken_power_law": {**_BASE, **_FLOOR, **_ALPHA,
                         "log_alpha2_mu": Prior("Normal", mu=-0.9, sigma=0.75),
                         "log_alpha2_sigma": Prior("HalfNormal", sigma=0.5),
                         "log_xb_mu": Prior("Normal", mu=0.0, sigma=1.0),
                         "log_xb_sigma": Prior("HalfNormal", sigma=0.5)},
    "exp_saturation": {**_BASE, **_FLOOR,
                       "log_gamma_mu": Prior("Normal", mu=-0.5, sigma=0.75),
                       "log_gamma_sigma": Prior("HalfNormal", sigma=0.5),
                       "log_xs_mu": Prior("Normal", mu=0.0, sigma=1.5),
                       "log_xs_sigma": Prior("HalfNormal", sigma=1.0)},
}
#: Pooled shape parameters per form (non-centered; ``log_*`` ones are exponentiated).
POOLED = {"power_law": ("log_alpha",),
          "broken_power_law": ("logit_f", "log_alpha", "log_alpha2", "log_xb"),
          "exp_saturation": ("logit_f", "log_gamma", "log_xs")}
#: Per-curve parameters used for prediction (posterior variables, dims ``curve``).
CURVE_VARS = {"power_law_floor": ("log_c", "log_a", "alpha"),
              "power_law": ("log_e", "alpha"),
              "broken_power_law": ("log_c", "log_a", "alpha", "alpha2", "log_xb"),
              "exp_saturation": ("log_c", "log_a", "gamma", "log_xs")}


@dataclass(frozen=True)
class FormSpec:
    """Which single-axis form to fit.

    Attributes
    ----------
    form : str
        One of :data:`CURVE_FORMS` (default ``"power_law_floor"``).
    likelihood : str
        ``"normal"`` or ``"student_t"`` on log error.
    priors : Mapping[str, Prior]
        Overrides of :data:`FORM_PRIORS` ``[form]``.
    """

    form: str = DEFAULT_FORM
    likelihood: str = "normal"
    priors: Mapping[str, Prior] = field(default_factory=dict)

    def validate(self) -> None:
        """Raise :class:`SpecError` if invalid."""
        if self.form not in CURVE_FORMS:
            raise SpecError(f"unknown curve form '{self.form}'. Fix: use one of "
                            f"{list(CURVE_FORMS)}.")
        if self.likelihood not in LIKELIHOODS:
            raise SpecError(f"unknown likelihood '{self.likelihood}'. Fix: use one of "
                            f"{list(LIKELIHOODS)}.")
        self.resolved_priors()

    def resolved_priors(self) -> dict[str, Prior]:
        """The form's defaults merged with the overrides, validated."""
        return resolve_priors(self.priors, FORM_PRIORS.get(self.form, {}),
                              f"form '{self.form}'")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"form": self.form, "likelihood": self.likelihood,
                "priors": {k: v.to_dict() for k, v in self.priors.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FormSpec:
        """Inverse of :meth:`to_dict`."""
        priors = {k: Prior.from_dict(v) for k, v in dict(data.get("priors", {})).items()}
        return cls(form=str(data.get("form", DEFAULT_FORM)),
                   likelihood=str(data.get("likelihood", "normal")), priors=priors)


def form_log_error(form: str, ops: Ops, lx: Any, p: Mapping[str, Any]) -> Any:
    """``log(E / scale)`` of ``form`` at ``lx = log(x / x_ref)`` (NumPy, torch or PyTensor).

    Examples
    --------
    >>> from models.surface_forms import NUMPY_OPS
    >>> p = {"log_c": np.log(0.2), "log_a": np.log(0.8), "gamma": 1.0, "log_xs": 0.0}
    >>> round(float(np.exp(form_log_error("exp_saturation", NUMPY_OPS, 0.0, p))), 6)
    1.0
    """
    if form == "power_law":
        return p["log_e"] - p["alpha"] * lx
    if form == "power_law_floor":
        return ops.logaddexp(p["log_c"], p["log_a"] - p["alpha"] * lx)
    if form == "broken_power_law":
        s, lb = BREAK_SHARPNESS, p["log_xb"]
        bend = s * (ops.softplus((lx - lb) / s) - ops.softplus(-lb / s))
        excess = p["log_a"] - p["alpha"] * lx - (p["alpha2"] - p["alpha"]) * bend
        return ops.logaddexp(p["log_c"], excess)
    if form == "exp_saturation":
        g = p["gamma"]
        return ops.logaddexp(p["log_c"], p["log_a"] - ops.exp(-g * p["log_xs"])
                             * ops.expm1(g * lx))
    raise SpecError(f"unknown curve form '{form}'.")


def build_form_model(design: Design, spec: FormSpec) -> Any:
    """PyMC model of an alternative form (same structure as :func:`build_model`).

    Returns
    -------
    pymc.Model
    """
    import pymc as pm
    import pytensor.tensor as pt

    from models.surface_forms import pytensor_ops

    spec.validate()
    if spec.form == DEFAULT_FORM:
        from models.powerlaw import build_model

        return build_model(design, ModelSpec(likelihood=spec.likelihood, priors=spec.priors))
    pr = spec.resolved_priors()
    with pm.Model(coords={"curve": design.curve_ids}) as model:
        log_e = pr["log_e"].create("log_e", dims="curve")
        p: dict[str, Any] = {"log_e": log_e}
        for name in POOLED[spec.form]:
            mu, sd = pr[f"{name}_mu"].create(f"{name}_mu"), pr[f"{name}_sigma"].create(
                f"{name}_sigma")
            value = pm.Deterministic(name, mu + sd * pm.Normal(f"{name}_z", 0.0, 1.0,
                                                                dims="curve"), dims="curve")
            if name in ("log_alpha", "log_alpha2", "log_gamma"):
                p[name[4:]] = pm.Deterministic(name[4:], pt.exp(value), dims="curve")
            p[name] = value
        if "logit_f" in p:
            p["log_c"] = pm.Deterministic("log_c", log_e - pt.softplus(-p["logit_f"]),
                                          dims="curve")
            p["log_a"] = pm.Deterministic("log_a", log_e - pt.softplus(p["logit_f"]),
                                          dims="curve")
        sigma = pr["sigma"].create("sigma", dims="curve")
        ops = pytensor_ops()

        def mean(curve: np.ndarray, lx: np.ndarray) -> Any:
            return form_log_error(spec.form, ops, lx, {k: p[k][curve]
                                                       for k in CURVE_VARS[spec.form]})

        if spec.likelihood == "student_t":
            pm.StudentT("y", nu=pr["nu"].create("nu"), mu=mean(design.curve, design.log_x),
                        sigma=sigma[design.curve], observed=design.y)
        else:
            g = replicate_groups(design)
            s = sigma[g.curve]
            pm.Normal("y_bar", mu=mean(g.curve, g.log_x), sigma=s / np.sqrt(g.n),
                      observed=g.y_bar)
            pm.Potential("replicate_spread",
                         pt.sum(-(g.n - 1) * pt.log(s) - g.ss / (2.0 * s**2)))
    return model


def fit_form(data: CurveData | pd.DataFrame | str | Path, spec: FormSpec | None = None,
             sampler: SamplerConfig | None = None) -> Any:
    """Fit one curve form; returns a ``CurvePosterior`` (default form) or ``FormPosterior``.

    Examples
    --------
    >>> from models.examples import example_path
    >>> post = fit_form(example_path("synthetic"), FormSpec("power_law"),
    ...                 SamplerConfig(draws=100, tune=100, chains=2))  # doctest: +SKIP
    >>> post.error_draws("bandgap_synth", "none", 0, [100.0]).shape  # doctest: +SKIP
    (200, 1)
    """
    from models.diagnostics import compute_diagnostics, warn_if_failed
    from models.fit import as_curve_data, fit_curves, sample_model
    from models.form_posterior import FormPosterior

    spec = spec or FormSpec()
    spec.validate()
    sampler = sampler or SamplerConfig()
    if spec.form == DEFAULT_FORM:
        return fit_curves(data, ModelSpec(likelihood=spec.likelihood, priors=spec.priors),
                          sampler)
    sampler.validate()
    curves = as_curve_data(data)
    model = build_form_model(make_design(curves), spec)
    idata = sample_model(model, sampler, n_curves=len(curves.curves))
    diagnostics = compute_diagnostics(idata, var_names=form_diagnostic_vars(spec.form, idata))
    warn_if_failed(diagnostics)
    return FormPosterior(idata=idata, data=curves, spec=spec, sampler=sampler,
                         diagnostics=diagnostics)


def form_diagnostic_vars(form: str, idata: Any) -> list[str]:
    """Variables checked by R-hat / ESS for ``form``."""
    names = [*CURVE_VARS[form], "sigma", "nu", *(f"{n}_mu" for n in POOLED.get(form, ()))]
    return [n for n in names if n in idata.posterior]


def simulate_curve_table(form: str, curves: list[dict[str, float]], *,
                         sizes: tuple[float, ...] = (25, 50, 100, 200, 400, 800, 1600),
                         seeds: int = 3, sigma: float = 0.03, rng_seed: int = 0) -> Any:
    """Simulate scratch curves (one task each) from ``form`` with known parameters.

    Each dict of ``curves`` holds the form's parameters in error units at the reference
    size (geometric mean of ``sizes``): ``E_ref`` (power_law) or ``C, A``, plus
    ``alpha`` (``alpha2, xb``) or ``gamma, xs`` with sizes in raw units.

    Examples
    --------
    >>> t = simulate_curve_table("power_law", [{"E_ref": 1.0, "alpha": 0.5}], seeds=1)
    >>> round(float(t["error"].iloc[0] / t["error"].iloc[1]), 1)
    1.4
    """
    from models.surface_forms import NUMPY_OPS

    rng = np.random.default_rng(rng_seed)
    x = np.asarray(sizes, dtype=float)
    x_ref = float(np.exp(np.mean(np.log(x))))
    rows = []
    for i, c in enumerate(curves):
        p = {"log_e": np.log(c.get("E_ref", 1.0)), "alpha": c.get("alpha", 0.0),
             "log_c": np.log(c.get("C", 1.0)), "log_a": np.log(c.get("A", 1.0)),
             "alpha2": c.get("alpha2", 0.0), "log_xb": np.log(c.get("xb", x_ref) / x_ref),
             "gamma": c.get("gamma", 1.0), "log_xs": np.log(c.get("xs", x_ref) / x_ref)}
        mean = np.exp(form_log_error(form, NUMPY_OPS, np.log(x / x_ref), p))
        for m, e in zip(sizes, mean, strict=True):
            for s in range(seeds):
                rows.append((f"task{i}", "none", 0, int(m), s,
                             float(e * np.exp(sigma * rng.standard_normal())), "MAE"))
    return pd.DataFrame(rows, columns=["task", "sim_source", "n_sim", "n_real", "seed",
                                       "error", "metric"])
