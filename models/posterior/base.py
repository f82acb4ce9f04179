"""The posterior of any model family: predictions, closed forms, checks, summary, files.

One :class:`Posterior` type serves every family (curve forms and surfaces alike); what
differs is read from the family (:mod:`models.families`) and the layout of its design
(:mod:`models.data.design`). It satisfies :class:`planner.protocols.ErrorModel`. Saved files
are self-describing netCDF (ArviZ InferenceData): the input table, the spec and the sampler
settings are inside, so a posterior reloads without its CSV (:mod:`models.posterior.storage`).

Examples
--------
>>> post = Posterior.from_netcdf("posterior.nc")  # doctest: +SKIP
>>> post.error_draws("bandgap_synth", "none", 0, [100, 1000]).shape  # doctest: +SKIP
(4000, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim2real.models.data.contract import NO_SOURCE, CurveData
from sim2real.models.data.design import Design, locate, make_design, query_inputs
from sim2real.models.errors import InputDataError
from sim2real.models.families import noise as noise_mod
from sim2real.models.families import replicates as rep
from sim2real.models.families.base import Family
from sim2real.models.families.discrepancy import eps_draws
from sim2real.models.families.ops import NUMPY_OPS, as_array, as_numpy, broadcast_sizes, torch_ops
from sim2real.models.inference.build import discrepancy_knots, row_parameters
from sim2real.models.inference.diagnostics import Diagnostics
from sim2real.models.inference.spec import ModelSpec, SamplerConfig
from sim2real.models.posterior.files import read_file, write_file

DEFAULT_QUANTILES = (0.05, 0.5, 0.95)


@dataclass
class Posterior:
    """Posterior draws of a fitted family, with its data, spec and diagnostics.

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
        self.design: Design = make_design(self.data, self.family.layout)
        post = self.idata.posterior
        for level, labels in self.design.coords.items():
            if level in post.coords and [str(c) for c in post[level].values] != labels:
                raise InputDataError(f"the posterior's {level} coordinates do not match its "
                                     f"input table ({list(post[level].values)} vs {labels}).")
        self._draws = {n: _stack(post[n].values) for n in (*self.family.uses, "sigma")}
        self._nu = post["nu"].values.reshape(-1) if "nu" in post else None
        slope = noise_mod.SLOPE
        self._slope = _stack(post[slope].values) if slope in post else None
        self._split = None
        if rep.EFFECT in post:     # (offsets (S, splits), scale (S,))
            self._split = (_stack(post[rep.EFFECT].values),
                           post["split_sigma"].values.reshape(-1).astype(float))
        self._levels = self.family.levels_of()
        self._disc = self._discrepancy(post)

    def _discrepancy(self, post: Any) -> tuple[Any, np.ndarray, np.ndarray,
                                               np.ndarray] | None:
        """``(knots, delta (S, C, K), tau (S,), eps (S, C))`` or ``None``."""
        knots = discrepancy_knots(self.design, self.spec)
        if knots is None or "disc" not in post:
            return None
        delta = post["disc"].values
        delta = delta.reshape(-1, *delta.shape[2:]).astype(float)
        tau = post["disc_sigma"].values.reshape(-1).astype(float)
        return knots, delta, tau, eps_draws(len(tau), delta.shape[1])

    # ------------------------------------------------------------------ basics
    @property
    def family(self) -> Family:
        """The model family (formula, parameters, closed forms)."""
        return self.spec.model_family

    @property
    def n_draws(self) -> int:
        """Number of posterior draws S (chains x draws)."""
        return int(self._draws["sigma"].shape[0])

    @property
    def n_chains(self) -> int:
        """Number of chains."""
        return int(self.idata.posterior.sizes["chain"])

    def draws(self, name: str) -> np.ndarray:
        """Draws ``(S, entries)`` of a stored parameter (scale-free units)."""
        return self._draws[name]

    # ------------------------------------------------------------------ queries
    def point_parameters(self, task: str, sim_source: str, n_sim: float = 0.0,
                         n_real: float = 1.0) -> dict[str, Any]:
        """Scale-free parameter draws ``(S,)`` of the entry through one operating point.

        Also returns ``scale`` and the references of the point (``x_ref`` for curves;
        ``m_ref`` and ``n_ref`` for surfaces, ``n_ref = 1`` from scratch).
        """
        idx, where = locate(self.design, self.data, task, sim_source,
                            (np.array([float(n_sim)]), np.array([float(n_real)])))
        out: dict[str, Any] = {k: self._draws[k][:, idx[self._levels[k]][0]]
                               for k in self.family.uses}
        out["scale"] = float(self._scale(idx)[0])
        out.update({k: float(np.atleast_1d(v)[0]) for k, v in where.items() if k != "on_sim"})
        return out

    def thin(self, step: int) -> Posterior:
        """The same posterior keeping every ``step``-th draw of each chain (fast what-if
        planning on fewer draws)."""
        if step <= 1:
            return self
        import arviz as az

        post = self.idata.posterior.isel(draw=slice(None, None, int(step)))
        return Posterior(idata=az.InferenceData(posterior=post), data=self.data,
                         spec=self.spec, sampler=self.sampler, diagnostics=self.diagnostics)

    def prior_view(self, draws: int = 500, seed: int = 0) -> Posterior:
        """The same model with its parameters drawn from the prior instead (no data):
        compare a quantity's spread with :meth:`route_floor` etc. to see whether the data
        identify it. Cached per ``(draws, seed)``."""
        import arviz as az

        from sim2real.models.inference.prior import prior_dataset

        cache = self.__dict__.setdefault("_prior_views", {})
        if (draws, seed) not in cache:
            ds = prior_dataset(self.data, self.spec, draws=draws, seed=seed)
            cache[(draws, seed)] = Posterior(
                idata=az.InferenceData(posterior=ds), data=self.data, spec=self.spec,
                sampler=self.sampler, diagnostics=self.diagnostics)
        return cache[(draws, seed)]

    def noise_draws(self, task: str, sim_source: str, n_sim: Any, n_real: Any) -> Any:
        """Draws of a new training run's scatter around the expected error (log scale).

        The replicate noise at the query's size (``noise="size"``,
        :mod:`models.families.noise`) and, with ``replicates="split"``, the spread of a new
        split's offset (:mod:`models.families.replicates`). Scalar sizes give shape
        ``(S,)``; 1-D sizes of length Q (broadcast like :meth:`error_draws`) give
        ``(S, Q)``; torch inputs give a differentiable float64 tensor.

        Examples
        --------
        >>> post.noise_draws("t", "none", 0, 40).shape            # doctest: +SKIP
        (400,)
        >>> post.noise_draws("t", "none", 0, [40, 400]).shape     # doctest: +SKIP
        (400, 2)
        """
        scalar = np.ndim(as_numpy(n_sim)) == 0 and np.ndim(as_numpy(n_real)) == 0
        ns, nr, torch_in = broadcast_sizes(n_sim, n_real)
        raw = (np.asarray(as_numpy(ns), dtype=float), np.asarray(as_numpy(nr), dtype=float))
        idx, where = locate(self.design, self.data, task, sim_source, raw)
        ops = torch_ops() if torch_in else NUMPY_OPS

        def convert(v: Any) -> Any:
            return as_array(v, torch_in)

        v = query_inputs(self.design, ops, where, ns, nr, convert)[
            noise_mod.INPUT[self.design.layout]]
        g = idx["noise"]
        slope = None if self._slope is None else convert(self._slope[:, g])
        sigma = noise_mod.row_sigma(ops, convert(self._draws["sigma"][:, g]), slope,
                                    np.arange(g.size), v[None, :])
        if self._split is not None:
            sigma = rep.run_sigma(sigma, convert(self._split[1])[:, None])
        return sigma[:, 0] if scalar else sigma

    def _row_sigma(self, group: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Noise draws ``(S, len(group))`` of rows in noise ``group`` at log sizes ``v``."""
        return np.asarray(noise_mod.row_sigma(NUMPY_OPS, self._draws["sigma"], self._slope,
                                              group, np.asarray(v, dtype=float)[None, :]))

    def _data_sigma(self) -> np.ndarray:
        """Noise draws ``(S, N)`` of every input row."""
        d = self.design
        return self._row_sigma(d.index["noise"], d.inputs[noise_mod.INPUT[d.layout]])

    @property
    def nu_draws(self) -> np.ndarray | None:
        """Draws ``(S,)`` of the Student-t degrees of freedom (``None``: Normal noise)."""
        return self._nu

    def _scale(self, idx: dict[str, np.ndarray]) -> np.ndarray:
        level = "curve" if "curve" in idx else "task"
        return self.design.refs[level]["scale"][idx[level]]

    def log_error_draws(self, task: str, sim_source: str, n_sim: Any, n_real: Any) -> Any:
        """Draws of ``log(E / scale)`` ``(S, Q)`` and the scale ``(Q,)`` of the queries."""
        ns, nr, torch_in = broadcast_sizes(n_sim, n_real)
        raw = (np.asarray(as_numpy(ns), dtype=float), np.asarray(as_numpy(nr), dtype=float))
        idx, where = locate(self.design, self.data, task, sim_source, raw)
        ops = torch_ops() if torch_in else NUMPY_OPS

        def convert(v: Any) -> Any:
            return as_array(v, torch_in)

        raw_x = query_inputs(self.design, ops, where, ns, nr, convert)
        x = {k: v[None, :] for k, v in raw_x.items()}
        p = {k: convert(self._draws[k][:, idx[self._levels[k]]]) for k in self.family.uses}
        log_e = self.family.log_error(ops, x, p)
        if self._disc is not None:
            knots, delta, tau, eps = self._disc
            log_e = log_e + knots.query(idx["curve"], raw_x["lx"], convert(delta),
                                        convert(tau), convert(eps))
        return log_e, convert(self._scale(idx))

    def error_draws(self, task: str, sim_source: str, n_sim: Any, n_real: Any) -> Any:
        """Posterior draws of the expected error, shape ``(S, Q)`` (ErrorModel protocol).

        NumPy inputs give NumPy output; torch tensors give a differentiable float64 tensor.
        """
        log_e, scale = self.log_error_draws(task, sim_source, n_sim, n_real)
        ops = NUMPY_OPS if isinstance(log_e, np.ndarray) else torch_ops()
        return scale * ops.exp(log_e)

    def route_floor(self, task: str, sim_source: str, n_sim: float,
                    n_real: float) -> np.ndarray | None:
        """Draws of the floor along the point's primary size, or ``None`` (no closed form).

        The primary size is the curve's varying axis, or ``n_real`` from scratch on a
        surface; ``None`` also where the route varies another axis.
        """
        if self.design.layout == "surface" and sim_source != NO_SOURCE:
            return self._sim_floor(task, sim_source, n_sim, n_real)
        p = self._primary(task, sim_source, n_sim, n_real)
        if p is None or self.family.log_floor is None:
            return None
        log_floor = self.family.log_floor(p)
        if self._disc is not None:      # far from the data the GP deviation is tau * eps
            curve = self._curve_of(task, sim_source, n_sim, n_real)
            log_floor = log_floor + self._disc[2] * self._disc[3][:, curve]
        return p["scale"] * np.exp(log_floor)

    def _curve_of(self, task: str, sim_source: str, n_sim: float, n_real: float) -> int:
        idx, _ = locate(self.design, self.data, task, sim_source,
                        (np.array([float(n_sim)]), np.array([float(n_real)])))
        return int(idx["curve"][0])

    def _sim_floor(self, task: str, sim_source: str, n_sim: float,
                   n_real: float) -> np.ndarray | None:
        """Floor of a surface's database route (``n_sim`` -> inf at this ``n_real``)."""
        if self.family.log_sim_floor is None:
            return None
        raw = (np.array([float(n_sim)]), np.array([float(n_real)]))
        _, where = locate(self.design, self.data, task, sim_source, raw)
        x = query_inputs(self.design, NUMPY_OPS, where, *raw, np.asarray)
        p = self.point_parameters(task, sim_source, n_sim, n_real)
        x0 = {k: np.asarray(v).reshape(-1)[0] for k, v in x.items()}
        return p["scale"] * np.exp(np.asarray(self.family.log_sim_floor(x0, p), dtype=float))

    def route_size_to_reach(self, task: str, sim_source: str, n_sim: float, n_real: float,
                            target: float) -> np.ndarray | None:
        """Draws of the primary size reaching ``target`` (``inf``: never; 0: at any size),
        or ``None`` when the family has no closed form along this route."""
        p = self._primary(task, sim_source, n_sim, n_real)
        if p is None or self.family.log_size_to_reach is None or self._disc is not None:
            return None          # with a discrepancy: inverted on a grid by the caller
        lx = self.family.log_size_to_reach(np.log(target / p["scale"]), p)
        ref = p.get("x_ref", p.get("m_ref"))
        with np.errstate(over="ignore"):
            size = ref * np.exp(np.minimum(lx, 700.0))
        # +inf: never reached; -inf: reached at any size (the whole curve is below target)
        return np.where(np.isposinf(lx), np.inf, np.where(np.isneginf(lx), 0.0, size))

    def _primary(self, task: str, sim_source: str, n_sim: float,
                 n_real: float) -> dict[str, Any] | None:
        if self.design.layout == "surface" and sim_source != NO_SOURCE:
            return None
        return self.point_parameters(task, sim_source, n_sim, n_real)

    def predict(self, queries: pd.DataFrame, quantiles: Sequence[float] = DEFAULT_QUANTILES,
                origin: str = "queries") -> pd.DataFrame:
        """Predict the expected error at each query row.

        Parameters
        ----------
        queries : DataFrame
            Columns ``task, sim_source, n_sim, n_real`` (one row per query).
        quantiles : sequence of float
            Posterior quantiles to report, each in (0, 1).
        origin : str
            Name of the query table in error messages (e.g. its file).

        Returns
        -------
        DataFrame
            The queries plus ``mean``, one column per quantile (``q05``, ``q50``...),
            ``extrapolation`` (factor beyond the measured range of the query's curve, 1
            inside it; :mod:`models.posterior.extrapolation`) and ``extrapolated``
            (factor > 10).
        """
        from sim2real.models.errors import Sim2RealError
        from sim2real.models.posterior.extrapolation import add_extrapolation

        names = quantile_names(quantiles)
        check_queries(queries, origin)
        out = queries[["task", "sim_source", "n_sim", "n_real"]].reset_index(drop=True).copy()
        stats = np.empty((len(out), 1 + len(names)))
        for i, row in enumerate(out.itertuples(index=False)):
            try:
                draws = self.error_draws(str(row.task), str(row.sim_source),
                                         float(row.n_sim), float(row.n_real))[:, 0]
            except Sim2RealError as exc:
                raise type(exc)(f"{origin}, row {i + 1}: {exc} Fix: query a task / "
                                "sim_source / size the posterior covers.") from exc
            stats[i] = [draws.mean(), *np.quantile(draws, list(quantiles))]
        out["mean"] = stats[:, 0]
        for j, name in enumerate(names):
            out[name] = stats[:, j + 1]
        return add_extrapolation(self, out)

    # ------------------------------------------------------------------ model checking
    def mean_log_error(self) -> np.ndarray:
        """Draws ``(S, N)`` of the model's mean ``log(error / scale)`` at every table row
        (with its split's offset, under ``replicates="split"``)."""
        d = self.design
        rows = np.arange(len(d.y))
        p = row_parameters(self._levels, self._draws, d.index, rows, self.family.uses)
        mu = np.asarray(self.family.log_error(NUMPY_OPS, {k: v[None, :] for k, v in
                                                          d.inputs.items()}, p))
        if self._disc is not None:
            mu = mu + self._disc[0].at_rows(self._disc[1])
        if self._split is not None:
            mu = mu + self._split[0][:, d.index["split"]]
        return mu

    def pointwise_log_likelihood(self) -> np.ndarray:
        """Log density of every replicate's raw error, shape ``(chain, draw, N)`` (LOO)."""
        from scipy import stats

        d = self.design
        mu, sigma = self.mean_log_error(), self._data_sigma()
        if self._nu is not None:
            ll = stats.t.logpdf(d.y, df=self._nu[:, None], loc=mu, scale=sigma)
        else:
            ll = stats.norm.logpdf(d.y, loc=mu, scale=sigma)
        ll -= np.log(d.row_scale * np.exp(d.y))  # Jacobian: density of the raw error
        return ll.reshape(self.n_chains, -1, len(d.y))

    def posterior_predictive(self, seed: int = 0) -> np.ndarray:
        """Replicated errors for every observation, shape ``(S, N)`` (for PPC)."""
        d = self.design
        rng = np.random.default_rng(seed)
        mu = self.mean_log_error()
        noise = noise_mod.standard_noise(rng, self._nu, mu.shape)
        return np.exp(mu + self._data_sigma() * noise) * d.row_scale

    def observations(self) -> pd.DataFrame:
        """The input rows with their noise-group label (``curve_id``) and observed error."""
        d = self.design
        table = self.data.table[["task", "sim_source", "n_sim", "n_real", "seed",
                                 "error"]].reset_index(drop=True).copy()
        table.insert(0, "curve_id", np.asarray(d.coords[d.noise_level])[d.index["noise"]])
        return table

    # ------------------------------------------------------------------ summary
    def summary(self, interval: float = 0.94) -> pd.DataFrame:
        """Parameter table in the task's units and raw sizes, with intervals, R-hat, ESS.

        One row per (level entry, parameter): the family's display quantities at their
        level, then the noise ``sigma`` (at the reference size) and its size slope
        ``sigma_slope`` (``noise="size"``) per noise group. Columns ``level, curve_id,
        parameter, mean, sd, lower, upper, r_hat, ess_bulk``.
        """
        post, d = self.idata.posterior, self.design
        rows: list[dict[str, Any]] = []
        for label, (level, fn) in self.family.display.items():
            names = [n for n, lv in self._levels.items() if lv == level and n in post]
            for i, entry in enumerate(d.coords[level]):
                vals = {n: post[n].values[..., i] for n in names}
                rows.append(_row(level, entry, label, fn(vals, d.level_refs(level, i)),
                                 interval))
        extra = [("sigma", post["sigma"].values)]
        if noise_mod.SLOPE in post:
            extra.append((noise_mod.SLOPE, post[noise_mod.SLOPE].values))
        if "split_sigma" in post:     # one scale: reported on every noise group's rows
            scale = post["split_sigma"].values[..., None]
            extra.append(("split_sigma", np.broadcast_to(scale, (*scale.shape[:2],
                                                                len(d.coords[d.noise_level])))))
        for g, entry in enumerate(d.coords[d.noise_level]):
            for name, values in extra:
                rows.append(_row(d.noise_level, entry, name, values[..., g], interval))
        order = {e: i for i, e in enumerate(dict.fromkeys(r["curve_id"] for r in rows))}
        return pd.DataFrame(rows).sort_values("curve_id", key=lambda s: s.map(order),
                                              kind="stable").reset_index(drop=True)

    # ------------------------------------------------------------------ persistence
    def to_netcdf(self, path: str | Path, predictive: bool = False) -> Path:
        """Save atomically (temp file + rename) as a self-describing netCDF file.

        The file is a complete ArviZ InferenceData (observed data, pointwise
        log-likelihood, and the posterior predictive when ``predictive``).
        """
        return write_file(self, path, predictive)

    @classmethod
    def from_netcdf(cls, path: str | Path) -> Posterior:
        """Load a posterior of any family (also files written by release 0.1)."""
        idata, data, spec, sampler, diagnostics = read_file(path)
        return cls(idata=idata, data=data, spec=spec, sampler=sampler,
                   diagnostics=diagnostics)


def _stack(values: np.ndarray) -> np.ndarray:
    return values.reshape(values.shape[0] * values.shape[1], -1).astype(float)


def _row(level: str, entry: str, label: str, draws: np.ndarray,
         interval: float) -> dict[str, Any]:
    import arviz as az

    lo, hi = (1 - interval) / 2, 1 - (1 - interval) / 2
    draws = np.asarray(draws, dtype=float)
    flat = draws.reshape(-1)
    ok = draws.shape[0] > 1 and np.isfinite(flat).all() and flat.std() > 0
    return {"level": level, "curve_id": entry, "parameter": label, "mean": float(flat.mean()),
            "sd": float(flat.std()), "lower": float(np.quantile(flat, lo)),
            "upper": float(np.quantile(flat, hi)),
            "r_hat": float(az.rhat(draws)) if ok else float("nan"),
            "ess_bulk": float(az.ess(draws)) if np.isfinite(flat).all() and flat.std() > 0
            else float("nan")}


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
            raise InputDataError(f"quantile {q} must be in (0, 1). Fix: e.g. --quantiles "
                                 "0.05,0.5,0.95.")
        pct = q * 100
        if abs(pct - round(pct)) > 1e-9:
            raise InputDataError(f"quantile {q} is not a whole percent. Fix: use e.g. 0.05 "
                                 "or 0.5.")
        names.append(f"q{round(pct):02d}")
    return names


def check_queries(queries: pd.DataFrame, origin: str = "queries") -> None:
    """Validate a size-query table (columns task, sim_source, n_sim, n_real).

    Examples
    --------
    >>> q = pd.DataFrame({"task": ["a"], "sim_source": ["none"], "n_sim": [0],
    ...                   "n_real": [float("inf")]})
    >>> try:
    ...     check_queries(q, "at.csv")
    ... except InputDataError as exc:
    ...     print(str(exc)[:36])
    at.csv, rows [1], column 'n_real': m
    """
    need = ["task", "sim_source", "n_sim", "n_real"]
    missing = [c for c in need if c not in queries.columns]
    if missing:
        raise InputDataError(f"{origin}: missing column(s) {missing}; found "
                             f"{list(queries.columns)}. Fix: a query table has columns "
                             f"{need}, one row per query.")
    if len(queries) == 0:
        raise InputDataError(f"{origin}: no query rows. Fix: add one row per query.")
    for col in ("task", "sim_source"):
        text = queries[col].astype("string").str.strip()
        bad = text.isna() | (text == "")
        if bad.any():
            rows = [int(i) + 1 for i in queries.index[bad][:5]]
            raise InputDataError(f"{origin}, rows {rows}, column '{col}': empty value. "
                                 "Fix: fill in a name.")
    for col in ("n_sim", "n_real"):
        values = pd.to_numeric(queries[col], errors="coerce")
        bad = values.isna() | (values < 0) | ~np.isfinite(values.fillna(0.0))
        if bad.any():
            rows = [int(i) + 1 for i in queries.index[bad][:5]]
            raise InputDataError(f"{origin}, rows {rows}, column '{col}': must be a finite "
                                 "number >= 0. Fix: correct the size.")
