"""The one hierarchical PyMC builder, for every family.

For a family with parameters ``params`` (see :class:`models.families.base.Param`)::

    unpooled  theta[j]  ~ prior_theta                        one per level entry
    pooled    theta[j]  = theta_mu + theta_sigma * theta_z[j],   theta_z ~ Normal(0, 1)
              (``pooling="route"``: theta_mu[r_j], theta_sigma[r_j] of curve j's route;
              ``trend="size"``: plus theta_trend[r_j] v_j, v_j the centred log fixed
              size of curve j, :mod:`models.families.trend`)
    exp_as    exp(theta) stored under its own name (alpha = exp(log_alpha))
    derived   the family's deterministic parameters (log_c, log_a, ...)
    noise     sigma[g] ~ prior_sigma                          one per noise group, at
              its reference size; ``noise="size"`` scales it by exp(slope[g] v_i), the
              slopes partially pooled (:mod:`models.families.noise`)
    splits    u[s] = split_sigma split_z[s]                   one offset per (task, seed)
              shared by the runs of that seed's split (``replicates="split"``:
              :mod:`models.families.replicates`)
    discrepancy  disc[j, k] = disc_sigma (L_j disc_z[j])[k]   GP deviation at curve j's
                 measured sizes (:mod:`models.families.discrepancy`; curve layouts)
    log(error_i / scale) ~ Normal(family.log_error(x_i, theta) + disc[j_i, k_i] + u[s_i],
                                  sigma[g_i])
                                                              (or Student-t),
                                                              sigma[g_i] -> sigma_i

With the Normal likelihood, replicates of one cell (same noise group and sizes) enter
through their sufficient statistics (observed ``y_bar`` plus the ``replicate_spread``
potential), which is exact and several times cheaper; Student-t has one term per row.

Examples
--------
>>> import pandas as pd
>>> from sim2real.models.data.contract import load_curves
>>> df = pd.DataFrame({"task": "t", "sim_source": "none", "n_sim": 0,
...                    "n_real": [10, 100, 1000], "seed": 0, "error": [2.0, 1.0, 0.5],
...                    "metric": "MAE"})
>>> spec = ModelSpec()
>>> model = build_model(make_design(load_curves(df), "curve"), spec)
>>> {"alpha", "log_c", "sigma"} <= set(model.named_vars)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sim2real.models.data.design import Design, make_design, replicate_cells
from sim2real.models.families import noise as noise_mod
from sim2real.models.families import replicates as rep
from sim2real.models.families import trend as trend_mod
from sim2real.models.families.discrepancy import Knots
from sim2real.models.families.ops import pytensor_ops
from sim2real.models.inference.spec import ModelSpec

__all__ = ["build_model", "discrepancy_knots", "make_design", "population_trend"]


def build_model(design: Design, spec: ModelSpec) -> Any:
    """Build the PyMC model of ``spec`` on ``design`` (priors validated here).

    Returns
    -------
    pymc.Model
    """
    import pymc as pm

    spec.validate()
    family, priors = spec.model_family, spec.resolved_priors()
    ops = pytensor_ops()
    knots = discrepancy_knots(design, spec)
    coords = dict(design.coords)
    if knots is not None:
        coords["knot"] = [str(k) for k in range(knots.n_knots)]
    pools = design.pools if spec.resolved_pooling == "route" else {}
    for labels, _ in pools.values():
        coords["pool"] = labels
    trend = population_trend(design, spec)
    with pm.Model(coords=coords) as model:
        p: dict[str, Any] = {}
        for par in family.params:
            if par.pooled:
                p[par.name] = _non_centered(par.name, priors, par.level,
                                            pools.get(par.level),
                                            trend if par.level == "curve" else None)
            else:
                p[par.name] = priors[par.name].create(par.name, dims=par.level)
            if par.exp_as:
                p[par.exp_as] = pm.Deterministic(par.exp_as, ops.exp(p[par.name]),
                                                 dims=par.level)
        for name, value in family.derive(ops, p).items():
            p[name] = pm.Deterministic(name, value, dims=family.derived_levels[name])
        sigma = priors["sigma"].create("sigma", dims=design.noise_level)
        slope = None
        if spec.resolved_noise == "size":
            slope = _non_centered(noise_mod.SLOPE, priors, design.noise_level)
        shift = None
        if knots is not None:
            tau = priors["disc_sigma"].create("disc_sigma")
            z = pm.Normal("disc_z", 0.0, 1.0, dims=("curve", "knot"))
            delta = pm.Deterministic("disc", knots.values(z, tau), dims=("curve", "knot"))
            shift = delta.reshape((-1,))[knots.row_knot]
        if spec.resolved_replicates == "split":
            tau_s = priors["split_sigma"].create("split_sigma")
            z_s = pm.Normal("split_z", 0.0, 1.0, dims="split")
            u = pm.Deterministic(rep.EFFECT, tau_s * z_s, dims="split")[design.index["split"]]
            shift = u if shift is None else shift + u
        _likelihood(design, spec, priors, p, (sigma, slope), shift)
    return model


def _non_centered(name: str, priors: Mapping[str, Any], level: str,
                  pool: tuple[list[str], np.ndarray] | None = None,
                  trend: np.ndarray | None = None) -> Any:
    """``name = name_mu + name_sigma * name_z`` per entry of ``level`` (one ``name_mu`` and
    ``name_sigma``, or one per population of ``pool``: labels and each entry's index),
    plus ``name_trend * trend`` where a covariate ``trend`` (one per entry) is given."""
    import pymc as pm

    dims = "pool" if pool is not None else None
    mu = priors[f"{name}_mu"].create(f"{name}_mu", dims=dims)
    sd = priors[f"{name}_sigma"].create(f"{name}_sigma", dims=dims)
    slope = None
    if trend is not None:
        slope = priors[f"{name}{trend_mod.SUFFIX}"].create(f"{name}{trend_mod.SUFFIX}",
                                                           dims=dims)
    if pool is not None:
        mu, sd = mu[pool[1]], sd[pool[1]]
        slope = None if slope is None else slope[pool[1]]
    if slope is not None:
        mu = mu + slope * trend
    z = pm.Normal(f"{name}_z", 0.0, 1.0, dims=level)
    return pm.Deterministic(name, mu + sd * z, dims=level)


def population_trend(design: Design, spec: ModelSpec) -> np.ndarray | None:
    """The trend covariate of the curves (``None``: no trend term in the model: the spec
    has none, or no population's curves differ in their fixed size)."""
    if spec.resolved_trend != "size" or design.layout != "curve":
        return None
    n = len(design.coords["curve"])
    pool = design.pools["curve"][1] if spec.resolved_pooling == "route" \
        else np.zeros(n, dtype=np.int64)
    v = trend_mod.covariate(design.refs["curve"]["log_fixed"], pool)
    return v if len(trend_mod.varying_pools(v, pool)) else None


def discrepancy_knots(design: Design, spec: ModelSpec) -> Knots | None:
    """The discrepancy's knots on ``design`` (``None``: the spec has no discrepancy)."""
    if spec.resolved_discrepancy != "gp":
        return None
    return Knots.build(design.index["curve"], design.inputs["lx"],
                       len(design.coords["curve"]), spec.discrepancy_length)


def row_parameters(levels: Mapping[str, str], p: Mapping[str, Any],
                   index: Mapping[str, np.ndarray], rows: np.ndarray,
                   uses: tuple[str, ...]) -> dict[str, Any]:
    """The formula's parameters gathered at ``rows`` (each from its own level)."""
    return {k: p[k][..., index[levels[k]][rows]] for k in uses}


def _likelihood(design: Design, spec: ModelSpec, priors: Mapping[str, Any],
                p: dict[str, Any], noise: tuple[Any, Any], shift: Any = None) -> None:
    import pymc as pm
    import pytensor.tensor as pt

    family, ops = spec.model_family, pytensor_ops()
    levels = family.levels_of()
    size_in = design.inputs[noise_mod.INPUT[design.layout]]

    def sigma_at(rows: np.ndarray) -> Any:
        return noise_mod.row_sigma(ops, *noise, design.index["noise"][rows], size_in[rows])

    if spec.likelihood == "student_t":
        rows = np.arange(len(design.y))
        mu = family.log_error(ops, design.inputs,
                              row_parameters(levels, p, design.index, rows, family.uses))
        if shift is not None:
            mu = mu + shift
        pm.StudentT("y", nu=priors["nu"].create("nu"), mu=mu,
                    sigma=sigma_at(rows), observed=design.y)
        return
    by = ("noise", "split") if spec.resolved_replicates == "split" else ("noise",)
    cells = replicate_cells(design, by)
    rows = cells.row
    mu = family.log_error(ops, {k: v[rows] for k, v in design.inputs.items()},
                          row_parameters(levels, p, design.index, rows, family.uses))
    if shift is not None:
        mu = mu + shift[rows]
    s = sigma_at(rows)
    pm.Normal("y_bar", mu=mu, sigma=s / np.sqrt(cells.n), observed=cells.y_bar)
    many = cells.n > 1            # single-row cells add nothing (and slow graph rewrites)
    if many.any():
        s_many = s[np.flatnonzero(many)]
        pm.Potential("replicate_spread", pt.sum(-(cells.n[many] - 1) * pt.log(s_many)
                                                - cells.ss[many] / (2.0 * s_many**2)))
