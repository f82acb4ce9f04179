"""The posterior of a fitted curve model: predictions, summaries, persistence.

A :class:`CurvePosterior` satisfies :class:`planner.protocols.ErrorModel`. Saved files are
self-describing netCDF (ArviZ InferenceData): the input table, the model spec and the
sampler settings are stored inside, so a posterior reloads without its CSV.

Examples
--------
>>> post = CurvePosterior.from_netcdf("posterior.nc")  # doctest: +SKIP
>>> post.error_draws("bandgap_synth", "none", 0, [100, 1000]).shape  # doctest: +SKIP
(4000, 2)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.contract import NO_SOURCE, CurveData
from models.design import Design, make_design
from models.diagnostics import Diagnostics, compute_diagnostics
from models.errors import InputDataError, UnknownCurveError
from models.forms import invert_power_law_floor, namespace, power_law_floor
from models.spec import ModelSpec, SamplerConfig

DEFAULT_QUANTILES = (0.05, 0.5, 0.95)


#: ``sim2real_kind`` of the files this posterior writes (older files without it are curves).
KIND = "curve"


@dataclass(frozen=True)
class CurveParameters:
    """Posterior draws of one curve, in the task's error units and raw sizes.

    ``error(x) = c + d * x ** (-alpha)``; ``log_c``, ``log_a`` are on the scale-free units
    used by the model, with ``x_ref`` and ``scale`` to convert.
    """

    curve_id: str
    c: np.ndarray
    d: np.ndarray
    alpha: np.ndarray
    log_c: np.ndarray
    log_a: np.ndarray
    x_ref: float
    scale: float

    def error(self, size: Any) -> Any:
        """Error draws at ``size``: shape ``(S, len(size))``."""
        size = np.atleast_1d(np.asarray(size, dtype=float))
        return power_law_floor(size[None, :], self.log_c[:, None], self.log_a[:, None],
                               self.alpha[:, None], self.x_ref, self.scale)

    def size_to_reach(self, target: float) -> np.ndarray:
        """Draws of the size at which the error reaches ``target`` (``inf`` if never)."""
        return invert_power_law_floor(np.asarray(target), self.log_c, self.log_a, self.alpha,
                                      self.x_ref, self.scale)


@dataclass
class CurvePosterior:
    """Posterior of the hierarchical power-law model.

    Attributes
    ----------
    idata : arviz.InferenceData
    data : CurveData
        The validated input table and its curves.
    spec : ModelSpec
    sampler : SamplerConfig
    diagnostics : Diagnostics
    """

    idata: Any
    data: CurveData
    spec: ModelSpec
    sampler: SamplerConfig
    diagnostics: Diagnostics

    def __post_init__(self) -> None:
        self.design: Design = make_design(self.data)
        coords = [str(c) for c in self.idata.posterior["curve"].values]
        if coords != self.design.curve_ids:
            raise InputDataError("the posterior's curves do not match its input table "
                                 f"({coords} vs {self.design.curve_ids}).")
        self._draws = {name: self._stack(name) for name in
                       ("log_c", "log_a", "alpha", "sigma")}

    def _stack(self, name: str) -> np.ndarray:
        values = self.idata.posterior[name].values  # (chain, draw, curve)
        return values.reshape(-1, values.shape[-1]).astype(float)

    # ----------------------------------------------------------------- curve lookup
    @property
    def curves(self) -> pd.DataFrame:
        """Curve metadata with reference size ``x_ref`` and error ``scale``."""
        out = self.data.curves.copy()
        out["x_ref"] = self.design.x_ref
        out["scale"] = self.design.scale
        return out

    @property
    def n_draws(self) -> int:
        """Number of posterior draws S (chains x draws)."""
        return int(self._draws["alpha"].shape[0])

    def find_curve(self, task: str, sim_source: str, n_sim: float, n_real: float) -> int:
        """Index of the curve that describes an operating point (see the contract rules).

        Raises
        ------
        UnknownCurveError
            With the operating points the posterior does cover.
        """
        curves = self.data.curves
        block = curves[(curves["task"] == task) & (curves["sim_source"] == sim_source)]
        if block.empty:
            known = sorted({f"{t}/{s}" for t, s in zip(curves["task"], curves["sim_source"],
                                                        strict=True)})
            raise UnknownCurveError(f"no curve for task '{task}' with sim_source "
                                    f"'{sim_source}'. Known task/source pairs: {known}.")
        for k, row in block.iterrows():
            if row["axis"] == "n_real" and (sim_source == NO_SOURCE or
                                            row["fixed_n_sim"] == n_sim):
                return int(k)
            if row["axis"] == "n_sim" and row["fixed_n_real"] == n_real:
                return int(k)
        fixed = [(r["axis"], r["fixed_n_real"] if r["axis"] == "n_sim" else r["fixed_n_sim"])
                 for _, r in block.iterrows()]
        options = ", ".join(f"{'n_real' if a == 'n_sim' else 'n_sim'}={v} (varying {a})"
                            for a, v in fixed)
        raise UnknownCurveError(
            f"task '{task}', sim_source '{sim_source}': no curve at n_sim={n_sim}, "
            f"n_real={n_real}. The single-axis model only predicts along measured curves: "
            f"{options}. Fit a two-axis surface to move along both axes.")

    def curve_parameters(self, curve: int | str) -> CurveParameters:
        """Draws of one curve's parameters (by index or ``curve_id``)."""
        k = self.design.curve_ids.index(curve) if isinstance(curve, str) else int(curve)
        x_ref, scale = float(self.design.x_ref[k]), float(self.design.scale[k])
        log_c, log_a = self._draws["log_c"][:, k], self._draws["log_a"][:, k]
        alpha = self._draws["alpha"][:, k]
        c = scale * np.exp(log_c)
        d = scale * np.exp(log_a + alpha * np.log(x_ref))
        return CurveParameters(self.design.curve_ids[k], c, d, alpha, log_c, log_a, x_ref,
                               scale)

    # ----------------------------------------------------------------- prediction
    def error_draws(self, task: str, sim_source: str, n_sim: Any, n_real: Any) -> Any:
        """Posterior draws of the expected error, shape ``(S, Q)`` (ErrorModel protocol).

        NumPy inputs give NumPy output; torch tensors give a differentiable torch tensor.
        """
        xp = namespace(n_sim) if namespace(n_sim) is not np else namespace(n_real)
        if xp is np:
            ns, nr = np.broadcast_arrays(np.atleast_1d(np.asarray(n_sim, dtype=float)),
                                         np.atleast_1d(np.asarray(n_real, dtype=float)))
        else:
            ns, nr = xp.broadcast_tensors(xp.atleast_1d(xp.as_tensor(n_sim, dtype=xp.float64)),
                                          xp.atleast_1d(xp.as_tensor(n_real, dtype=xp.float64)))
        fixed_ns = np.asarray(_to_numpy(ns)).ravel()
        fixed_nr = np.asarray(_to_numpy(nr)).ravel()
        ks = np.array([self.find_curve(task, sim_source, a, b)
                       for a, b in zip(fixed_ns, fixed_nr, strict=True)], dtype=np.int64)
        axes = self.data.curves["axis"].to_numpy()[ks]
        on_sim = axes == "n_sim"
        size = xp.where(on_sim if xp is np else xp.as_tensor(on_sim), ns, nr)
        sizes = np.where(on_sim, fixed_ns, fixed_nr)
        if (sizes <= 0).any():
            raise InputDataError(f"task '{task}', sim_source '{sim_source}': sizes on the "
                                 "varying axis must be > 0 (the power law diverges at 0).")
        return power_law_floor(size[None, :], self._draws["log_c"][:, ks],
                               self._draws["log_a"][:, ks], self._draws["alpha"][:, ks],
                               self.design.x_ref[ks], self.design.scale[ks])

    def predict(self, queries: pd.DataFrame,
                quantiles: Sequence[float] = DEFAULT_QUANTILES) -> pd.DataFrame:
        """Predict the expected error at each query row.

        Parameters
        ----------
        queries : DataFrame
            Columns ``task, sim_source, n_sim, n_real`` (one row per query).
        quantiles : sequence of float
            Posterior quantiles to report, each in (0, 1).

        Returns
        -------
        DataFrame
            The queries plus ``mean`` and one column per quantile (``q05``, ``q50``...).
        """
        names = quantile_names(quantiles)
        check_queries(queries)
        out = queries[["task", "sim_source", "n_sim", "n_real"]].reset_index(drop=True).copy()
        stats = np.empty((len(out), 1 + len(names)))
        for i, row in enumerate(out.itertuples(index=False)):
            draws = self.error_draws(str(row.task), str(row.sim_source), float(row.n_sim),
                                     float(row.n_real))[:, 0]
            stats[i] = [draws.mean(), *np.quantile(draws, list(quantiles))]
        out["mean"] = stats[:, 0]
        for j, name in enumerate(names):
            out[name] = stats[:, j + 1]
        return out

    def summary(self, interval: float = 0.94) -> pd.DataFrame:
        """Per-curve parameter table: alpha, floor C, coefficient D, noise sigma.

        Equal-tailed ``interval`` credible intervals, plus R-hat and bulk ESS of alpha.
        """
        import arviz as az

        lo, hi = (1 - interval) / 2, 1 - (1 - interval) / 2
        rhat = az.rhat(self.idata.posterior[["alpha"]])["alpha"].values \
            if self.sampler.chains > 1 else np.full(self.design.n_curves, np.nan)
        ess = az.ess(self.idata.posterior[["alpha"]])["alpha"].values
        rows = []
        for k, cid in enumerate(self.design.curve_ids):
            p = self.curve_parameters(k)
            sigma = self._draws["sigma"][:, k]
            for name, draws in (("alpha", p.alpha), ("C", p.c), ("D", p.d),
                                ("sigma", sigma)):
                rows.append({"curve_id": cid, "parameter": name, "mean": draws.mean(),
                             "sd": draws.std(), "lower": np.quantile(draws, lo),
                             "upper": np.quantile(draws, hi),
                             "r_hat": rhat[k], "ess_bulk": ess[k]})
        return pd.DataFrame(rows)

    # ----------------------------------------------------------------- persistence
    def to_netcdf(self, path: str | Path) -> Path:
        """Save atomically (temp file + rename) as a self-describing netCDF file."""
        from models.storage import save_posterior

        return save_posterior(self.idata, self.data, {
            "sim2real_kind": KIND, "sim2real_spec": json.dumps(self.spec.to_dict()),
            "sim2real_sampler": json.dumps(self.sampler.to_dict())}, path)

    @classmethod
    def from_netcdf(cls, path: str | Path) -> CurvePosterior:
        """Load a posterior saved by :meth:`to_netcdf` (no CSV needed)."""
        from models.powerlaw import diagnostic_vars
        from models.storage import load_posterior

        idata, data, attrs = load_posterior(path, KIND)
        try:
            spec = ModelSpec.from_dict(json.loads(attrs["sim2real_spec"]))
            sampler = SamplerConfig(**json.loads(attrs["sim2real_sampler"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputDataError(f"{path}: not a sim2real posterior file ({exc}).") from exc
        diagnostics = compute_diagnostics(idata, var_names=diagnostic_vars(idata.posterior))
        return cls(idata=idata, data=data, spec=spec, sampler=sampler,
                   diagnostics=diagnostics)

    # ----------------------------------------------------------------- model checking
    def pointwise_log_likelihood(self) -> np.ndarray:
        """Log-likelihood of every observation per draw, shape ``(chain, draw, N)``.

        Computed in NumPy from the parameter draws (the sampler's own log-likelihood is not
        stored), for PSIS-LOO.
        """
        from scipy import stats

        d = self.design
        mu = np.logaddexp(self._draws["log_c"][:, d.curve],
                          self._draws["log_a"][:, d.curve]
                          - self._draws["alpha"][:, d.curve] * d.log_x)
        sigma = self._draws["sigma"][:, d.curve]
        if self.spec.likelihood == "student_t":
            nu = self.idata.posterior["nu"].values.reshape(-1, 1)
            ll = stats.t.logpdf(d.y, df=nu, loc=mu, scale=sigma)
        else:
            ll = stats.norm.logpdf(d.y, loc=mu, scale=sigma)
        ll -= np.log(d.scale[d.curve] * np.exp(d.y))  # Jacobian: density of the raw error
        chains = int(self.idata.posterior.sizes["chain"])
        return ll.reshape(chains, -1, len(d.y))

    def posterior_predictive(self, seed: int = 0) -> np.ndarray:
        """Replicated errors for every observation, shape ``(S, N)`` (for PPC)."""
        d = self.design
        rng = np.random.default_rng(seed)
        mu = np.logaddexp(self._draws["log_c"][:, d.curve],
                          self._draws["log_a"][:, d.curve]
                          - self._draws["alpha"][:, d.curve] * d.log_x)
        noise = rng.standard_normal(mu.shape)
        if self.spec.likelihood == "student_t":
            nu = self.idata.posterior["nu"].values.reshape(-1, 1)
            noise = rng.standard_t(nu, size=mu.shape)
        return np.exp(mu + self._draws["sigma"][:, d.curve] * noise) * d.scale[d.curve]


def _to_numpy(x: Any) -> Any:
    return x.detach().cpu().numpy() if hasattr(x, "detach") else x


def quantile_names(quantiles: Sequence[float]) -> list[str]:
    """Column names ``qNN`` (two-digit percent) for quantiles in (0, 1).

    Examples
    --------
    >>> quantile_names([0.05, 0.5, 0.95])
    ['q05', 'q50', 'q95']
    """
    names = []
    for q in quantiles:
        if not 0 < q < 1:
            raise InputDataError(f"quantile {q} must be in (0, 1), e.g. 0.05,0.5,0.95.")
        pct = q * 100
        if abs(pct - round(pct)) > 1e-9:
            raise InputDataError(f"quantile {q} is not a whole percent; use e.g. 0.05 or 0.5.")
        names.append(f"q{round(pct):02d}")
    return names


def check_queries(queries: pd.DataFrame, origin: str = "queries") -> None:
    """Validate a size-query table (columns task, sim_source, n_sim, n_real)."""
    need = ["task", "sim_source", "n_sim", "n_real"]
    missing = [c for c in need if c not in queries.columns]
    if missing:
        raise InputDataError(f"{origin}: missing column(s) {missing}. Fix: a query table has "
                             f"columns {need}, one row per query.")
    for col in ("n_sim", "n_real"):
        values = pd.to_numeric(queries[col], errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            rows = [int(i) + 1 for i in queries.index[bad][:5]]
            raise InputDataError(f"{origin}, rows {rows}, column '{col}': must be a number "
                                 ">= 0. Fix: correct the size.")
