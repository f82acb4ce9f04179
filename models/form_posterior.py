"""Posterior of an alternative single-axis curve form (see :mod:`models.curve_forms`).

Satisfies :class:`planner.protocols.ErrorModel` along the measured curves, like
:class:`models.posterior.CurvePosterior`.

Examples
--------
>>> post = FormPosterior.from_netcdf("broken.nc")  # doctest: +SKIP
>>> post.error_draws("gap", "none", 0, [100.0, 400.0]).shape  # doctest: +SKIP
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
from models.curve_forms import CURVE_VARS, FormSpec, form_diagnostic_vars, form_log_error
from models.design import Design, make_design
from models.diagnostics import Diagnostics, compute_diagnostics
from models.errors import InputDataError, UnknownCurveError
from models.forms import namespace
from models.spec import SamplerConfig
from models.storage import load_posterior, save_posterior
from models.surface_forms import NUMPY_OPS, torch_ops
from models.surface_posterior import as_numpy

KIND = "sim2real_curve_form"


@dataclass
class FormPosterior:
    """Posterior of a non-default curve form (attributes as ``CurvePosterior``)."""

    idata: Any
    data: CurveData
    spec: FormSpec
    sampler: SamplerConfig
    diagnostics: Diagnostics

    def __post_init__(self) -> None:
        self.design: Design = make_design(self.data)
        post = self.idata.posterior
        self._draws = {n: post[n].values.reshape(-1, self.design.n_curves).astype(float)
                       for n in (*CURVE_VARS[self.spec.form], "sigma")}
        self._nu = post["nu"].values.reshape(-1) if "nu" in post else None

    @property
    def n_draws(self) -> int:
        """Number of posterior draws S."""
        return int(self._draws["sigma"].shape[0])

    def find_curve(self, task: str, sim_source: str, n_sim: float, n_real: float) -> int:
        """Index of the measured curve through an operating point (contract rules)."""
        c = self.data.curves
        for k, row in c[(c["task"] == task) & (c["sim_source"] == sim_source)].iterrows():
            if row["axis"] == "n_real" and (sim_source == NO_SOURCE
                                            or row["fixed_n_sim"] == n_sim):
                return int(k)
            if row["axis"] == "n_sim" and row["fixed_n_real"] == n_real:
                return int(k)
        raise UnknownCurveError(f"task '{task}', sim_source '{sim_source}': no measured curve "
                                f"through n_sim={n_sim}, n_real={n_real}. Known curves: "
                                f"{c['curve_id'].tolist()}.")

    def error_draws(self, task: str, sim_source: str, n_sim: Any, n_real: Any) -> Any:
        """Posterior draws of the expected error ``(S, Q)``; NumPy or differentiable torch."""
        xp = namespace(n_sim) if namespace(n_sim) is not np else namespace(n_real)
        if xp is np:
            ns, nr = np.broadcast_arrays(np.atleast_1d(np.asarray(n_sim, dtype=float)),
                                         np.atleast_1d(np.asarray(n_real, dtype=float)))
            ops = NUMPY_OPS
        else:
            ns, nr = xp.broadcast_tensors(xp.atleast_1d(xp.as_tensor(n_sim, dtype=xp.float64)),
                                          xp.atleast_1d(xp.as_tensor(n_real, dtype=xp.float64)))
            ops = torch_ops()
        raw_s = np.asarray(as_numpy(ns), dtype=float).ravel()
        raw_r = np.asarray(as_numpy(nr), dtype=float).ravel()
        ks = np.array([self.find_curve(task, sim_source, a, b)
                       for a, b in zip(raw_s, raw_r, strict=True)], dtype=np.int64)
        on_sim = self.data.curves["axis"].to_numpy()[ks] == "n_sim"
        if (np.where(on_sim, raw_s, raw_r) <= 0).any():
            raise InputDataError(f"task '{task}': sizes on the varying axis must be > 0.")
        size = xp.where(on_sim if xp is np else xp.as_tensor(on_sim), ns, nr)
        x_ref, scale = self.design.x_ref[ks], self.design.scale[ks]
        if xp is not np:
            x_ref, scale = xp.as_tensor(x_ref), xp.as_tensor(scale)
        lx = ops.log(size / x_ref)[None, :]
        p = {k: v[:, ks] if xp is np else xp.as_tensor(v[:, ks])
             for k, v in self._draws.items()}
        return scale * ops.exp(form_log_error(self.spec.form, ops, lx, p))

    def pointwise_log_likelihood(self) -> np.ndarray:
        """Log density of every replicate's raw error, shape ``(chain, draw, N)``."""
        from scipy import stats

        d = self.design
        p = {k: v[:, d.curve] for k, v in self._draws.items()}
        mu = form_log_error(self.spec.form, NUMPY_OPS, d.log_x[None, :], p)
        if self._nu is not None:
            ll = stats.t.logpdf(d.y, df=self._nu[:, None], loc=mu, scale=p["sigma"])
        else:
            ll = stats.norm.logpdf(d.y, loc=mu, scale=p["sigma"])
        ll -= np.log(d.scale[d.curve] * np.exp(d.y))
        return ll.reshape(int(self.idata.posterior.sizes["chain"]), -1, len(d.y))

    def summary(self, interval: float = 0.94) -> pd.DataFrame:
        """Per-curve table of the form's parameters (``log_*`` sizes shown as sizes)."""
        lo, hi = (1 - interval) / 2, 1 - (1 - interval) / 2
        rows = []
        for k, cid in enumerate(self.design.curve_ids):
            for name, draws in self._draws.items():
                v = draws[:, k]
                label = name
                if name in ("log_xb", "log_xs"):
                    v, label = self.design.x_ref[k] * np.exp(v), name[4:]
                elif name in ("log_c", "log_a", "log_e"):
                    v, label = self.design.scale[k] * np.exp(v), name[4:].upper()
                rows.append({"curve_id": cid, "parameter": label, "mean": float(v.mean()),
                             "sd": float(v.std()), "lower": float(np.quantile(v, lo)),
                             "upper": float(np.quantile(v, hi))})
        return pd.DataFrame(rows)

    def to_netcdf(self, path: str | Path) -> Path:
        """Save atomically as a self-describing netCDF file."""
        return save_posterior(self.idata, self.data, {
            "sim2real_kind": KIND, "sim2real_spec": self.spec.to_dict(),
            "sim2real_sampler": self.sampler.to_dict()}, path)

    @classmethod
    def from_netcdf(cls, path: str | Path) -> FormPosterior:
        """Load a posterior saved by :meth:`to_netcdf`."""
        idata, data, attrs = load_posterior(path, KIND)
        spec = FormSpec.from_dict(json.loads(attrs["sim2real_spec"]))
        sampler = SamplerConfig(**json.loads(attrs["sim2real_sampler"]))
        diagnostics = compute_diagnostics(idata, var_names=form_diagnostic_vars(spec.form,
                                                                                idata))
        return cls(idata=idata, data=data, spec=spec, sampler=sampler, diagnostics=diagnostics)
