"""Posterior of a two-axis surface: predictions (ErrorModel), summary, persistence, LOO.

Examples
--------
>>> post = SurfacePosterior.from_netcdf("surface.nc")  # doctest: +SKIP
>>> post.error_draws("band_gap", "mp", [1000, 10000], 100).shape  # doctest: +SKIP
(4000, 2)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.contract import NO_SOURCE, CurveData
from models.diagnostics import Diagnostics, compute_diagnostics
from models.errors import InputDataError, UnknownCurveError
from models.forms import namespace
from models.spec import SamplerConfig
from models.storage import load_posterior, save_posterior
from models.surface import (
    PAIR_PARAMS,
    TASK_PARAMS,
    SurfaceDesign,
    SurfaceSpec,
    diagnostic_vars,
    make_surface_design,
)
from models.surface_forms import NUMPY_OPS, surface_log_error, torch_ops

KIND = "sim2real_surface"


@dataclass
class SurfacePosterior:
    """Posterior of :func:`models.surface.fit_surface`; satisfies ``ErrorModel``.

    Attributes
    ----------
    idata : arviz.InferenceData
    data : CurveData
    spec : SurfaceSpec
    sampler : SamplerConfig
    diagnostics : Diagnostics
    """

    idata: Any
    data: CurveData
    spec: SurfaceSpec
    sampler: SamplerConfig
    diagnostics: Diagnostics

    def __post_init__(self) -> None:
        self.design: SurfaceDesign = make_surface_design(self.data)
        post = self.idata.posterior
        names = [*TASK_PARAMS[self.spec.form], *PAIR_PARAMS[self.spec.form], "sigma"]
        self._draws = {n: _stack(post[n].values) for n in names}
        self._nu = post["nu"].values.reshape(-1) if "nu" in post else None

    @property
    def form(self) -> str:
        """Surface form (``"edt"`` or ``"additive"``)."""
        return self.spec.form

    @property
    def n_draws(self) -> int:
        """Number of posterior draws S."""
        return int(self._draws["sigma"].shape[0])

    # ------------------------------------------------------------------ parameters
    def parameters(self, task: str, sim_source: str) -> dict[str, Any]:
        """Scale-free parameter draws ``(S,)`` of one (task, source) plus its references.

        Keys: the form's parameters, ``m_ref``, ``n_ref`` (``nan`` for ``"none"``) and
        ``scale``. For ``"none"`` the transfer parameters are those of the task's first
        database (they have no effect at ``n_sim = 0``).
        """
        d = self.design
        if task not in d.tasks:
            raise UnknownCurveError(f"no task '{task}' in the surface. Tasks: {d.tasks}.")
        t = d.tasks.index(task)
        if sim_source == NO_SOURCE:
            p = next(i for i, (a, _) in enumerate(d.pairs) if a == task)
            n_ref = float("nan")
        elif (task, sim_source) in d.pairs:
            p = d.pairs.index((task, sim_source))
            n_ref = float(d.n_ref[p])
        else:
            known = [s for a, s in d.pairs if a == task]
            raise UnknownCurveError(f"task '{task}': no database '{sim_source}' in the "
                                    f"surface. Known: {['none', *known]}.")
        out: dict[str, Any] = {k: self._draws[k][:, t] for k in TASK_PARAMS[self.form]}
        out.update({k: self._draws[k][:, p] for k in PAIR_PARAMS[self.form]})
        out.update(m_ref=float(d.m_ref[t]), n_ref=n_ref, scale=float(d.scale[t]))
        return out

    # ------------------------------------------------------------------ prediction
    def error_draws(self, task: str, sim_source: str, n_sim: Any, n_real: Any) -> Any:
        """Posterior draws of the expected error, shape ``(S, Q)`` (ErrorModel protocol).

        NumPy inputs give NumPy output; torch tensors give a differentiable float64 tensor.
        ``n_sim`` may be 0 for any database (= learning from scratch); ``n_real`` > 0.
        """
        xp = namespace(n_sim) if namespace(n_sim) is not np else namespace(n_real)
        p = self.parameters(task, sim_source)
        if xp is np:
            ns, nr = np.broadcast_arrays(np.atleast_1d(np.asarray(n_sim, dtype=float)),
                                         np.atleast_1d(np.asarray(n_real, dtype=float)))
            ops = NUMPY_OPS
        else:
            ns, nr = xp.broadcast_tensors(xp.atleast_1d(xp.as_tensor(n_sim, dtype=xp.float64)),
                                          xp.atleast_1d(xp.as_tensor(n_real, dtype=xp.float64)))
            ops = torch_ops()
        raw_ns = np.asarray(as_numpy(ns), dtype=float)
        raw_nr = np.asarray(as_numpy(nr), dtype=float)
        if (raw_nr <= 0).any() or (raw_ns < 0).any():
            raise InputDataError(f"task '{task}': the surface needs n_real > 0 and n_sim >= 0.")
        if sim_source == NO_SOURCE and (raw_ns != 0).any():
            raise UnknownCurveError(f"task '{task}': sim_source 'none' means n_sim = 0.")
        n_ref = 1.0 if sim_source == NO_SOURCE else p["n_ref"]
        lm = ops.log(nr / p["m_ref"])[None, :]
        u = (ns / n_ref)[None, :]
        theta = {k: _as(xp, v)[:, None] for k, v in p.items()
                 if k not in ("m_ref", "n_ref", "scale")}
        return p["scale"] * ops.exp(surface_log_error(self.form, ops, lm, u, theta))

    def mean_log_error(self) -> np.ndarray:
        """Draws ``(S, N)`` of the model's mean log(error / scale) at every table row."""
        d = self.design
        theta = {k: v[:, d.task] if k in TASK_PARAMS[self.form] else v[:, d.pair]
                 for k, v in self._draws.items() if k != "sigma"}
        return np.asarray(surface_log_error(self.form, NUMPY_OPS, d.lm[None, :],
                                            d.u[None, :], theta))

    def pointwise_log_likelihood(self) -> np.ndarray:
        """Log density of every replicate's raw error, shape ``(chain, draw, N)`` (for LOO)."""
        from scipy import stats

        d = self.design
        mu, sigma = self.mean_log_error(), self._draws["sigma"][:, d.group]
        if self._nu is not None:
            ll = stats.t.logpdf(d.y, df=self._nu[:, None], loc=mu, scale=sigma)
        else:
            ll = stats.norm.logpdf(d.y, loc=mu, scale=sigma)
        ll -= np.log(d.scale[d.task] * np.exp(d.y))  # Jacobian: density of the raw error
        return ll.reshape(int(self.idata.posterior.sizes["chain"]), -1, len(d.y))

    # ------------------------------------------------------------------ summary
    def summary(self, interval: float = 0.94) -> pd.DataFrame:
        """Parameter table in the task's units and raw sizes, with intervals, R-hat, ESS.

        Task level: floor ``C``, scratch amplitude ``A`` at ``m_ref``, ``beta`` (and the
        scratch gap ``G``); database level: EDT ``T_ref`` (samples transferred at the
        reference sizes), ``alpha_T``, ``beta_T``; additive ``alpha``, ``n0``; noise
        ``sigma`` per (task, source).
        """
        d, rows = self.design, []
        chains = int(self.idata.posterior.sizes["chain"])
        for t, task in enumerate(d.tasks):
            p = self.parameters(task, NO_SOURCE)
            vals = {"C": p["scale"] * np.exp(p["log_c"]), "A": p["scale"] * np.exp(p["log_a"]),
                    "beta": p["beta"]}
            if self.form == "additive":
                vals["G"] = p["scale"] * np.exp(p["log_g"])
            rows += _rows("task", task, "", vals, interval, {"m_ref": d.m_ref[t]}, chains)
        for task, src in d.pairs:
            p = self.parameters(task, src)
            if self.form == "edt":
                vals = {"T_ref": p["m_ref"] * np.exp(p["log_t0"]), "alpha_T": p["a_t"],
                        "beta_T": p["b_t"]}
            else:
                vals = {"alpha": p["alpha"], "n0": p["n_ref"] * np.exp(p["log_n0"])}
            rows += _rows("database", task, src, vals, interval, {"n_ref": p["n_ref"]},
                          chains)
        for g, (task, src) in enumerate(d.groups):
            rows += _rows("noise", task, src, {"sigma": self._draws["sigma"][:, g]}, interval,
                          {}, chains)
        return pd.DataFrame(rows)

    # ------------------------------------------------------------------ persistence
    def to_netcdf(self, path: str | Path) -> Path:
        """Save atomically as a self-describing netCDF (table, spec, sampler inside)."""
        return save_posterior(self.idata, self.data, {"sim2real_kind": KIND,
                                                      "sim2real_spec": self.spec.to_dict(),
                                                      "sim2real_sampler":
                                                      self.sampler.to_dict()}, path)

    @classmethod
    def from_netcdf(cls, path: str | Path) -> SurfacePosterior:
        """Load a surface saved by :meth:`to_netcdf` (no CSV needed)."""
        idata, data, attrs = load_posterior(path, KIND)
        spec = SurfaceSpec.from_dict(json.loads(attrs["sim2real_spec"]))
        sampler = SamplerConfig(**json.loads(attrs["sim2real_sampler"]))
        diagnostics = compute_diagnostics(idata, var_names=diagnostic_vars(spec, idata))
        return cls(idata=idata, data=data, spec=spec, sampler=sampler, diagnostics=diagnostics)


def _rows(level: str, task: str, src: str, vals: dict[str, np.ndarray], interval: float,
          extra: dict[str, float], chains: int) -> list[dict[str, Any]]:
    import arviz as az

    lo, hi = (1 - interval) / 2, 1 - (1 - interval) / 2
    out = []
    for name, draws in vals.items():
        out.append({"level": level, "task": task, "sim_source": src, "parameter": name,
                    "mean": float(draws.mean()), "sd": float(draws.std()),
                    "lower": float(np.quantile(draws, lo)),
                    "upper": float(np.quantile(draws, hi)),
                    "ess_bulk": float(az.ess(draws.reshape(chains, -1))), **extra})
    return out


def _stack(values: np.ndarray) -> np.ndarray:
    return values.reshape(values.shape[0] * values.shape[1], -1).astype(float)


def _as(xp: Any, v: np.ndarray) -> Any:
    return v if xp is np else xp.as_tensor(np.asarray(v, dtype=float), dtype=xp.float64)


def as_numpy(x: Any) -> Any:
    """A NumPy view of a torch tensor (detached), anything else unchanged."""
    return x.detach().cpu().numpy() if hasattr(x, "detach") else x
