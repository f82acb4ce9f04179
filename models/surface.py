"""Hierarchical two-axis surfaces E(n_sim, n_real): spec, design, PyMC model and fit.

The formulas are in :mod:`models.surface_forms`; the posterior in
:mod:`models.surface_posterior`. Parametrization (scale-free, at reference sizes)::

    task t:   log E_ref_t ~ Normal            scratch error at m_ref_t (= C + A [+ G])
              logit f_t    = mu_f + sd_f z     scratch floor fraction at m_ref (pooled)
              log beta_t   = mu_b + sd_b z     real-data exponent (pooled)
              logit h_t    ~ Normal            additive only: share C / (C + G) of the floor
    pair p = (task, source), pooled across pairs, non-centered:
      edt:      log t0_p, log a_p, b_p         T = m_ref t0 (n/n_ref)^a (m/m_ref)^b
      additive: log alpha_p, log(n0_p/n_ref)   sim term G (1 + n/n0)^-alpha
    noise:    sigma_g per (task, source) incl. scratch;  log(error/scale) ~ Normal(mu, sigma)

Scratch rows (``sim_source == "none"``) share C, A, beta (and G) with the transfer rows of
the same task. Replicates enter through sufficient statistics (Normal likelihood).

Examples
--------
>>> spec = SurfaceSpec(form="additive")
>>> spec.validate()
>>> sorted(spec.resolved_priors())[:3]
['log_alpha_mu', 'log_alpha_sigma', 'log_beta_mu']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from models.contract import NO_SOURCE, CurveData
from models.errors import InputDataError, SpecError
from models.priors import DEFAULT_PRIORS, Prior, resolve_priors
from models.spec import LIKELIHOODS, SamplerConfig
from models.surface_forms import SURFACE_FORMS, pytensor_ops, surface_log_error

if TYPE_CHECKING:
    from models.surface_posterior import SurfacePosterior

#: The single-axis defaults, with the real-data exponent beta taking alpha's priors.
_COMMON_PRIORS: dict[str, Prior] = {
    **{k: DEFAULT_PRIORS[k] for k in ("log_e", "logit_f_mu", "logit_f_sigma", "sigma", "nu")},
    "log_beta_mu": DEFAULT_PRIORS["log_alpha_mu"],
    "log_beta_sigma": DEFAULT_PRIORS["log_alpha_sigma"],
}
#: Default priors per surface form (scale-free units; see docs/models.md).
SURFACE_PRIORS: dict[str, dict[str, Prior]] = {
    "edt": {**_COMMON_PRIORS,
            "log_t0_mu": Prior("Normal", mu=0.0, sigma=1.5),
            "log_t0_sigma": Prior("HalfNormal", sigma=1.0),
            "log_a_t_mu": Prior("Normal", mu=-0.9, sigma=0.75),
            "log_a_t_sigma": Prior("HalfNormal", sigma=0.5),
            "b_t_mu": Prior("Normal", mu=0.0, sigma=0.5),
            "b_t_sigma": Prior("HalfNormal", sigma=0.3)},
    "additive": {**_COMMON_PRIORS,
                 "logit_h": Prior("Normal", mu=0.0, sigma=1.5),
                 "log_alpha_mu": Prior("Normal", mu=-0.9, sigma=0.75),
                 "log_alpha_sigma": Prior("HalfNormal", sigma=0.5),
                 "log_n0_mu": Prior("Normal", mu=0.0, sigma=1.5),
                 "log_n0_sigma": Prior("HalfNormal", sigma=1.0)},
}
#: Pooled pair-level parameters per form (each has ``_mu`` and ``_sigma`` priors).
PAIR_POOLED = {"edt": ("log_t0", "log_a_t", "b_t"), "additive": ("log_alpha", "log_n0")}
#: Task-level and pair-level deterministic parameters stored in the posterior.
TASK_PARAMS = {"edt": ("log_c", "log_a", "beta"),
               "additive": ("log_c", "log_a", "beta", "log_g")}
PAIR_PARAMS = {"edt": ("log_t0", "a_t", "b_t"), "additive": ("alpha", "log_n0")}


@dataclass(frozen=True)
class SurfaceSpec:
    """What surface to fit.

    Attributes
    ----------
    form : str
        ``"edt"`` (effective data transferred) or ``"additive"``.
    likelihood : str
        ``"normal"`` or ``"student_t"`` on log error.
    priors : Mapping[str, Prior]
        Overrides of :data:`SURFACE_PRIORS` ``[form]``.
    """

    form: str = "edt"
    likelihood: str = "normal"
    priors: Mapping[str, Prior] = field(default_factory=dict)

    def validate(self) -> None:
        """Raise :class:`SpecError` if any field is invalid."""
        if self.form not in SURFACE_FORMS:
            raise SpecError(f"unknown surface form '{self.form}'. Fix: use one of "
                            f"{list(SURFACE_FORMS)}.")
        if self.likelihood not in LIKELIHOODS:
            raise SpecError(f"unknown likelihood '{self.likelihood}'. Fix: use one of "
                            f"{list(LIKELIHOODS)}.")
        self.resolved_priors()

    def resolved_priors(self) -> dict[str, Prior]:
        """The form's default priors merged with the overrides, validated."""
        return resolve_priors(self.priors, SURFACE_PRIORS.get(self.form, {}),
                              f"surface form '{self.form}'")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"form": self.form, "likelihood": self.likelihood,
                "priors": {k: v.to_dict() for k, v in self.priors.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SurfaceSpec:
        """Inverse of :meth:`to_dict`."""
        priors = {k: Prior.from_dict(v) for k, v in dict(data.get("priors", {})).items()}
        return cls(form=str(data.get("form", "edt")),
                   likelihood=str(data.get("likelihood", "normal")), priors=priors)


@dataclass(frozen=True)
class SurfaceDesign:
    """Scale-free arrays of a two-axis table (one entry per row unless noted).

    ``task``/``pair``/``group`` index rows into ``tasks``, ``pairs`` (``(task, source)``
    with a database; scratch rows point at their task's first pair, unused as ``u = 0``)
    and noise groups ``groups`` (every ``(task, source)`` incl. ``"none"``).
    """

    task: np.ndarray
    pair: np.ndarray
    group: np.ndarray
    lm: np.ndarray
    u: np.ndarray
    y: np.ndarray
    tasks: list[str]
    pairs: list[tuple[str, str]]
    groups: list[tuple[str, str]]
    m_ref: np.ndarray
    n_ref: np.ndarray
    scale: np.ndarray


def make_surface_design(data: CurveData) -> SurfaceDesign:
    """Check that ``data`` supports a surface and build its :class:`SurfaceDesign`."""
    t = data.table
    tasks = sorted(t["task"].unique().tolist())
    pairs = sorted({(str(a), str(b)) for a, b in zip(t["task"], t["sim_source"], strict=True)
                    if b != NO_SOURCE})
    groups = sorted({(str(a), str(b)) for a, b in zip(t["task"], t["sim_source"],
                                                       strict=True)})
    _check_support(data, tasks, pairs)
    m_ref = np.array([_geo_mean(t.loc[t["task"] == k, "n_real"]) for k in tasks])
    n_ref = np.array([_geo_mean(t.loc[(t["task"] == a) & (t["sim_source"] == b), "n_sim"])
                      for a, b in pairs])
    scale = t.groupby("task")["error"].median().reindex(tasks).to_numpy(float)
    ti = t["task"].map({k: i for i, k in enumerate(tasks)}).to_numpy(np.int64)
    first = {a: i for i, (a, _) in reversed(list(enumerate(pairs)))}
    pidx = {p: i for i, p in enumerate(pairs)}
    pi = np.array([pidx.get((a, b), first[a]) for a, b in zip(t["task"], t["sim_source"],
                                                               strict=True)], dtype=np.int64)
    gidx = {g: i for i, g in enumerate(groups)}
    gi = np.array([gidx[(a, b)] for a, b in zip(t["task"], t["sim_source"], strict=True)],
                  dtype=np.int64)
    lm = np.log(t["n_real"].to_numpy(float) / m_ref[ti])
    u = t["n_sim"].to_numpy(float) / n_ref[pi]
    y = np.log(t["error"].to_numpy(float) / scale[ti])
    return SurfaceDesign(task=ti, pair=pi, group=gi, lm=lm, u=u, y=y, tasks=tasks, pairs=pairs,
                         groups=groups, m_ref=m_ref, n_ref=n_ref, scale=scale)


def _geo_mean(values: pd.Series) -> float:
    sizes = np.unique(values.to_numpy(float))
    sizes = sizes[sizes > 0]
    return float(np.exp(np.mean(np.log(sizes))))


def _check_support(data: CurveData, tasks: list[str], pairs: list[tuple[str, str]]) -> None:
    t = data.table
    for task in tasks:
        rows = t[t["task"] == task]
        if (rows["n_real"] <= 0).any():
            raise InputDataError(f"{data.origin}, task '{task}', column 'n_real': a surface "
                                 "needs n_real > 0 on every row. Fix: drop zero-shot rows.")
        if rows["n_real"].nunique() < 3:
            raise InputDataError(f"{data.origin}, task '{task}', column 'n_real': a surface "
                                 "needs at least 3 distinct n_real values. Fix: measure more "
                                 "real sizes.")
        if not any(a == task for a, _ in pairs):
            raise InputDataError(f"{data.origin}, task '{task}', column 'sim_source': no "
                                 "pre-training rows, so there is no simulation axis. Fix: "
                                 "add transfer runs or fit single-axis curves instead.")
    for task, src in pairs:
        rows = t[(t["task"] == task) & (t["sim_source"] == src)]
        if rows["n_sim"].nunique() < 2:
            raise InputDataError(f"{data.origin}, task '{task}', sim_source '{src}', column "
                                 "'n_sim': a surface needs at least 2 distinct n_sim values "
                                 "per database. Fix: measure more simulation sizes.")


def replicate_cells(design: SurfaceDesign) -> pd.DataFrame:
    """Sufficient statistics per (row cell): first row index, count, mean and SS of y."""
    frame = pd.DataFrame({"group": design.group, "lm": np.round(design.lm, 12),
                          "u": np.round(design.u, 12), "y": design.y,
                          "row": np.arange(len(design.y))})
    g = frame.groupby(["group", "lm", "u"], sort=True)
    out = g.agg(row=("row", "first"), n=("y", "size"), y_bar=("y", "mean")).reset_index()
    out["ss"] = g["y"].apply(lambda v: float(((v - v.mean()) ** 2).sum())).to_numpy()
    return out


def build_surface_model(design: SurfaceDesign, spec: SurfaceSpec) -> Any:
    """Build the PyMC model of ``spec.form`` on ``design``.

    Returns
    -------
    pymc.Model
    """
    import pymc as pm
    import pytensor.tensor as pt

    spec.validate()
    pr = spec.resolved_priors()
    coords = {"task": design.tasks, "pair": [f"{a}|{b}" for a, b in design.pairs],
              "noise_group": [f"{a}|{b}" for a, b in design.groups]}
    with pm.Model(coords=coords) as model:
        def pooled(name: str, dim: str) -> Any:
            mu = pr[f"{name}_mu"].create(f"{name}_mu")
            sd = pr[f"{name}_sigma"].create(f"{name}_sigma")
            z = pm.Normal(f"{name}_z", 0.0, 1.0, dims=dim)
            return pm.Deterministic(name, mu + sd * z, dims=dim)

        log_e = pr["log_e"].create("log_e", dims="task")
        logit_f, log_beta = pooled("logit_f", "task"), pooled("log_beta", "task")
        p: dict[str, Any] = {"beta": pm.Deterministic("beta", pt.exp(log_beta), dims="task"),
                             "log_a": pm.Deterministic("log_a", log_e - pt.softplus(logit_f),
                                                       dims="task")}
        log_floor = log_e - pt.softplus(-logit_f)
        if spec.form == "edt":
            p["log_c"] = pm.Deterministic("log_c", log_floor, dims="task")
            p["log_t0"] = pooled("log_t0", "pair")
            p["a_t"] = pm.Deterministic("a_t", pt.exp(pooled("log_a_t", "pair")), dims="pair")
            p["b_t"] = pooled("b_t", "pair")
        else:
            logit_h = pr["logit_h"].create("logit_h", dims="task")
            p["log_c"] = pm.Deterministic("log_c", log_floor - pt.softplus(-logit_h),
                                          dims="task")
            p["log_g"] = pm.Deterministic("log_g", log_floor - pt.softplus(logit_h),
                                          dims="task")
            p["alpha"] = pm.Deterministic("alpha", pt.exp(pooled("log_alpha", "pair")),
                                          dims="pair")
            p["log_n0"] = pooled("log_n0", "pair")
        sigma = pr["sigma"].create("sigma", dims="noise_group")
        _likelihood(design, spec, pr, p, sigma)
    return model


def _row_params(p: dict[str, Any], design: SurfaceDesign, rows: np.ndarray,
                form: str) -> dict[str, Any]:
    ti, pi = design.task[rows], design.pair[rows]
    return {k: v[ti] if k in TASK_PARAMS[form] else v[pi] for k, v in p.items()}


def _likelihood(design: SurfaceDesign, spec: SurfaceSpec, pr: dict[str, Prior],
                p: dict[str, Any], sigma: Any) -> None:
    import pymc as pm
    import pytensor.tensor as pt

    ops = pytensor_ops()
    if spec.likelihood == "student_t":
        rows = np.arange(len(design.y))
        mu = surface_log_error(spec.form, ops, design.lm, design.u,
                               _row_params(p, design, rows, spec.form))
        nu = pr["nu"].create("nu")
        pm.StudentT("y", nu=nu, mu=mu, sigma=sigma[design.group], observed=design.y)
        return
    cells = replicate_cells(design)
    rows = cells["row"].to_numpy(np.int64)
    n = cells["n"].to_numpy(float)
    mu = surface_log_error(spec.form, ops, design.lm[rows], design.u[rows],
                           _row_params(p, design, rows, spec.form))
    s = sigma[design.group[rows]]
    pm.Normal("y_bar", mu=mu, sigma=s / np.sqrt(n), observed=cells["y_bar"].to_numpy(float))
    pm.Potential("replicate_spread", pt.sum(-(n - 1) * pt.log(s)
                                            - cells["ss"].to_numpy(float) / (2.0 * s**2)))


def fit_surface(data: CurveData | pd.DataFrame | str | Path, spec: SurfaceSpec | None = None,
                sampler: SamplerConfig | None = None) -> SurfacePosterior:
    """Fit a two-axis surface to a learning-curve table (full or partial n_sim x n_real grid).

    Parameters
    ----------
    data : CurveData, DataFrame or path
        Rows of every task: scratch rows (``sim_source = "none"``) and transfer rows.
    spec : SurfaceSpec, optional
        Form (default ``"edt"``), likelihood and prior overrides.
    sampler : SamplerConfig, optional
        Draws, tuning, chains, seed, backend.

    Returns
    -------
    SurfacePosterior
        Diagnostics computed; a ``ConvergenceWarning`` is emitted when they fail.

    Examples
    --------
    >>> from models.spec import SamplerConfig
    >>> post = fit_surface("case_studies/chi_parameter/curves.csv", SurfaceSpec("edt"),
    ...                    SamplerConfig(draws=200, tune=200, chains=2))  # doctest: +SKIP
    >>> post.summary()  # doctest: +SKIP
    """
    from models.diagnostics import compute_diagnostics, warn_if_failed
    from models.fit import as_curve_data, sample_model
    from models.surface_posterior import SurfacePosterior

    curves = as_curve_data(data)
    spec = spec or SurfaceSpec()
    sampler = sampler or SamplerConfig()
    sampler.validate()
    design = make_surface_design(curves)
    model = build_surface_model(design, spec)
    idata = sample_model(model, sampler, n_curves=len(design.groups))
    diagnostics = compute_diagnostics(idata, var_names=diagnostic_vars(spec, idata))
    warn_if_failed(diagnostics)
    return SurfacePosterior(idata=idata, data=curves, spec=spec, sampler=sampler,
                            diagnostics=diagnostics)


def diagnostic_vars(spec: SurfaceSpec, idata: Any) -> list[str]:
    """Variables whose R-hat / ESS are checked."""
    names = [*TASK_PARAMS[spec.form], *PAIR_PARAMS[spec.form], "sigma", "nu",
             "logit_f_mu", "log_beta_mu", *(f"{n}_mu" for n in PAIR_POOLED[spec.form])]
    return [n for n in names if n in idata.posterior]
