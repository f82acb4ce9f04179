"""Backtest: fit on the small sizes of every curve, predict the large ones, score.

For each curve, the sizes on its varying axis up to a cutoff (``train_max``, or
``train_fraction`` x the curve's largest size) are the training set; the larger sizes are
held out. Three methods are fitted to the same training rows and scored on the same
held-out rows:

* ``hierarchical`` -- the project's model (:func:`models.inference.fit.fit` with the spec's
  family, any of :data:`models.families.FAMILIES`) on all curves at once, partially pooled.
  A two-axis surface family (:data:`models.families.SURFACE_FAMILIES`) is fitted to the
  training rows of every curve together and predicts each curve's held-out sizes along
  that curve;
* ``per_curve`` -- the same family, priors and sampler settings fitted to each curve alone
  (K = 1: nothing is pooled); single-axis curve families only (one curve spans one axis,
  which a surface cannot be fitted to);
* ``least_squares`` -- :func:`models.evaluation.least_squares.fit_power_law`, the
  least-squares point fit of a power law with a floor to the seed-mean errors (the
  Sim2Real scaling-law paper's method), whatever the family.

Scores (see ``docs/backtest.md``), per held-out size, all on the natural log of the error:

* ``abs_log_error``: ``|log(predicted) - log(mean of the held-out replicates)|``; the
  prediction is the posterior median of the *expected* error E(x) (the LS curve for least
  squares). Its median over held-out sizes is the MALE.
* ``cov50``, ``cov90``: fraction of held-out *replicate* errors inside the central 50% /
  90% interval of the posterior *predictive* (expected error plus replicate noise sigma);
  undefined (NaN) for least squares, which has no interval.
* ``crps``: mean CRPS of the replicate log errors under the posterior predictive; for least
  squares (a point forecast) the mean absolute log error of the replicates.

Curves with fewer than 3 training sizes cannot be fitted: they are skipped with a
:class:`models.errors.DataWarning` and listed with their reason in ``result.curves``.

Examples
--------
>>> from sim2real.models.examples import example_path
>>> from sim2real.models.inference.spec import SamplerConfig
>>> result = run_backtest(example_path("synthetic"), train_fraction=0.125,
...                       sampler=SamplerConfig(draws=200, tune=200, chains=2))
... # doctest: +SKIP
>>> result.overall()[["method", "male", "cov90"]]  # doctest: +SKIP
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim2real.models.data.contract import MIN_SIZES, REQUIRED_COLUMNS, CurveData, load_curves
from sim2real.models.errors import (
    ConvergenceWarning,
    DataWarning,
    InputDataError,
    SpecError,
    warn_at_caller,
)
from sim2real.models.evaluation.least_squares import fit_power_law
from sim2real.models.evaluation.scoring import (
    BacktestResult,
    abs_log_error,
    crps_from_draws,
    interval_hits,
)
from sim2real.models.families import noise as noise_mod
from sim2real.models.inference.fit import fit
from sim2real.models.inference.spec import ModelSpec, SamplerConfig
from sim2real.models.posterior.base import Posterior

METHODS: tuple[str, ...] = ("hierarchical", "per_curve", "least_squares")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class BacktestSplit:
    """Training rows and held-out rows of a backtest.

    Attributes
    ----------
    train : CurveData
        Validated training table: the rows at or below the cutoff of every curve that keeps
        at least 3 training sizes.
    held_out : pandas.DataFrame
        Rows above the cutoff of those curves: ``curve_id``, ``size`` (on the curve's
        varying axis), ``error``.
    curves : pandas.DataFrame
        One row per input curve: ``curve_id``, ``axis``, ``cutoff``, ``n_train_sizes``,
        ``train_max`` (largest training size), ``size_max``, ``n_held_out_sizes``,
        ``status`` (``scored``, ``train_only`` or ``skipped``) and ``reason``.
    rule : str
        The cutoff in words, e.g. ``"sizes <= 1/8 of each curve's largest size"``.
    """

    train: CurveData
    held_out: pd.DataFrame
    curves: pd.DataFrame
    rule: str

    @property
    def scored_ids(self) -> list[str]:
        """Curves that have both a fit and held-out sizes."""
        return self.curves.loc[self.curves["status"] == "scored", "curve_id"].tolist()


@dataclass(frozen=True)
class Forecast:
    """One method's forecast of one curve's held-out sizes.

    ``point`` is the point prediction of the expected error per size: the posterior
    *median* of the expected error (the q50 the decision tables show; the posterior mean
    is pulled up by the right tail of the extrapolation and scores worse on a log scale),
    or a point fit's value. ``log_draws`` holds draws of the posterior predictive *log*
    error of one replicate, shape ``(S, Q)``, or ``None`` for a point forecast.
    """

    curve_id: str
    sizes: np.ndarray
    point: np.ndarray
    log_draws: np.ndarray | None


def describe_rule(train_max: float | None, train_fraction: float | None) -> str:
    """The cutoff in words, validating that exactly one of the two is given.

    Examples
    --------
    >>> describe_rule(None, 0.125)
    "sizes <= 1/8 of each curve's largest size"
    >>> describe_rule(1000, None)
    'sizes <= 1000'
    """
    if (train_max is None) == (train_fraction is None):
        raise SpecError("give exactly one of train_max (a size) and train_fraction (of each "
                        "curve's largest size).")
    if train_max is not None:
        if not np.isfinite(train_max) or train_max <= 0:
            raise SpecError(f"train_max={train_max} must be a size > 0.")
        return f"sizes <= {train_max:g}"
    assert train_fraction is not None
    if not 0 < train_fraction < 1:
        raise SpecError(f"train_fraction={train_fraction} must be in (0, 1), e.g. 0.125.")
    inverse = 1 / train_fraction
    frac = f"1/{inverse:g}" if abs(inverse - round(inverse)) < 1e-9 else f"{train_fraction:g}"
    return f"sizes <= {frac} of each curve's largest size"


def split_curves(data: CurveData | pd.DataFrame | str | Path, *,
                 train_max: float | None = None,
                 train_fraction: float | None = None) -> BacktestSplit:
    """Split every curve at its cutoff into training and held-out rows.

    Parameters
    ----------
    data : CurveData, DataFrame or path
        The learning curves.
    train_max : float, optional
        Train on sizes <= ``train_max`` on each curve's varying axis.
    train_fraction : float, optional
        Train on sizes <= ``train_fraction`` x the curve's largest size (exactly one of the
        two options must be given).

    Returns
    -------
    BacktestSplit

    Raises
    ------
    InputDataError
        When no curve keeps 3 training sizes.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"task": "t", "sim_source": "none", "n_sim": 0,
    ...                    "n_real": [10, 20, 40, 80], "seed": 0,
    ...                    "error": [1.0, 0.8, 0.7, 0.65], "metric": "MAE"})
    >>> s = split_curves(df, train_max=40)
    >>> s.held_out["size"].tolist(), s.scored_ids
    ([80.0], ['t|none|n_sim=0'])
    """
    rule = describe_rule(train_max, train_fraction)
    curves = data if isinstance(data, CurveData) else load_curves(data)
    table = curves.table
    records, keep, held = [], np.zeros(len(table), dtype=bool), []
    for k, row in curves.curves.iterrows():
        rows = table[table["curve"] == k]
        sizes = rows[row["axis"]].to_numpy(dtype=float)
        cutoff = float(train_max) if train_max is not None else \
            float(train_fraction) * float(sizes.max())  # type: ignore[arg-type]
        record = _curve_record(str(row["curve_id"]), str(row["axis"]), sizes, cutoff)
        if record["status"] == "skipped":
            warn_at_caller(f"{curves.origin}: curve {row['curve_id']} skipped: "
                           f"{record['reason']}.", DataWarning)
        else:
            keep[rows.index.to_numpy()[sizes <= cutoff]] = True
            held.append(pd.DataFrame({"curve_id": row["curve_id"], "size": sizes[sizes > cutoff],
                                      "error": rows["error"].to_numpy(float)[sizes > cutoff]}))
        records.append(record)
    status = pd.DataFrame.from_records(records)
    if not keep.any():
        raise InputDataError(f"{curves.origin}: with {rule}, no curve keeps {MIN_SIZES} "
                             "training sizes. Fix: raise --train-max / --train-fraction.")
    return BacktestSplit(train=_training_data(curves, keep, status),
                         held_out=pd.concat(held, ignore_index=True), curves=status, rule=rule)


def _curve_record(curve_id: str, axis: str, sizes: np.ndarray, cutoff: float
                  ) -> dict[str, Any]:
    """Split summary of one curve (a row of :attr:`BacktestSplit.curves`)."""
    train_sizes = np.unique(sizes[sizes <= cutoff])
    test_sizes = np.unique(sizes[sizes > cutoff])
    status, reason = _status(train_sizes, test_sizes, cutoff)
    return {"curve_id": curve_id, "axis": axis, "cutoff": cutoff,
            "n_train_sizes": len(train_sizes),
            "train_max": float(train_sizes.max()) if len(train_sizes) else np.nan,
            "size_max": float(sizes.max()), "n_held_out_sizes": len(test_sizes),
            "status": status, "reason": reason}


def _status(train_sizes: np.ndarray, test_sizes: np.ndarray, cutoff: float) -> tuple[str, str]:
    if len(train_sizes) < MIN_SIZES:
        listed = ", ".join(f"{s:g}" for s in train_sizes) or "none"
        return "skipped", (f"only {len(train_sizes)} training size(s) <= {cutoff:g} "
                           f"({listed}); at least {MIN_SIZES} are needed to fit")
    if len(test_sizes) == 0:
        return "train_only", f"no size above {cutoff:g} to hold out (used for training only)"
    return "scored", ""


def _training_data(curves: CurveData, keep: np.ndarray, status: pd.DataFrame) -> CurveData:
    columns = [c for c in (*REQUIRED_COLUMNS, "n_test") if c in curves.table]
    train = curves.table.loc[keep, columns].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # already reported on the full table
        data = load_curves(train, origin=f"{curves.origin} (training rows)")
    expected = status.loc[status["status"] != "skipped", "curve_id"].tolist()
    if sorted(data.curves["curve_id"]) != sorted(expected):
        raise InputDataError(f"{curves.origin}: the training rows form curves "
                             f"{data.curves['curve_id'].tolist()} instead of {expected}.")
    return data


# ----------------------------------------------------------------------------- methods
def curve_route(curves: pd.DataFrame, curve_id: str, sizes: np.ndarray
                ) -> tuple[str, str, np.ndarray | float, np.ndarray | float]:
    """``(task, sim_source, n_sim, n_real)`` of the points at ``sizes`` along a curve.

    ``curves`` is a :attr:`CurveData.curves` table; the curve's fixed size is held and
    ``sizes`` run along its varying axis.

    Examples
    --------
    >>> c = pd.DataFrame({"curve_id": ["t|db|n_real=20"], "task": ["t"], "sim_source": ["db"],
    ...                   "axis": ["n_sim"], "fixed_n_sim": [-1], "fixed_n_real": [20]})
    >>> curve_route(c, "t|db|n_real=20", np.array([100.0]))
    ('t', 'db', array([100.]), 20.0)
    """
    match = curves.index[curves["curve_id"] == curve_id]
    if len(match) == 0:
        raise InputDataError(f"no curve '{curve_id}'; curves: {curves['curve_id'].tolist()}.")
    row = curves.loc[match[0]]
    task, src = str(row["task"]), str(row["sim_source"])
    if row["axis"] == "n_sim":
        return task, src, sizes, float(row["fixed_n_real"])
    return task, src, float(row["fixed_n_sim"]), sizes


def posterior_forecast(post: Posterior, curve_id: str, sizes: np.ndarray,
                       rng: np.random.Generator) -> Forecast:
    """Forecast from a posterior of any family: median of E(x) and predictive log-error draws.

    E(x) is :meth:`Posterior.error_draws` along the curve (``sizes`` on its varying axis).
    One predictive draw per posterior draw: ``log E_s(x) + sigma_s(x) * eps`` with
    ``sigma`` the replicate noise of the curve at that size (:meth:`Posterior.noise_draws`)
    and ``eps`` standard Normal (Student-t with the posterior's ``nu`` for that likelihood).

    Examples
    --------
    >>> f = posterior_forecast(post, "gap|none|n_sim=0", np.array([800.0, 1600.0]),
    ...                        np.random.default_rng(0))  # doctest: +SKIP
    >>> f.point.shape, f.log_draws.shape  # doctest: +SKIP
    ((2,), (4000, 2))
    """
    sizes = np.asarray(sizes, dtype=float)
    task, src, n_sim, n_real = curve_route(post.data.curves, curve_id, sizes)
    expected = np.asarray(post.error_draws(task, src, n_sim, n_real))        # (S, Q)
    sigma = np.asarray(post.noise_draws(task, src, np.atleast_1d(n_sim),
                                        np.atleast_1d(n_real)))              # (S, Q)
    noise = noise_mod.standard_noise(rng, post.nu_draws, expected.shape)
    return Forecast(curve_id, sizes, np.median(expected, axis=0),
                    np.log(expected) + sigma * noise)


def _fit(data: CurveData | pd.DataFrame, spec: ModelSpec, sampler: SamplerConfig,
         fits: list[dict[str, Any]], method: str, label: str) -> Posterior:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # recorded in ``fits`` instead
        post = fit(data, spec, sampler)
    fits.append({"method": method, "curves": label, "seconds": time.perf_counter() - start,
                 "ok": post.diagnostics.ok, "problems": "; ".join(post.diagnostics.problems())})
    return post


def _hierarchical(split: BacktestSplit, spec: ModelSpec, sampler: SamplerConfig,
                  fits: list[dict[str, Any]], progress: Progress) -> list[Forecast]:
    progress(f"hierarchical fit ({spec.family}) of {len(split.train.curves)} curves")
    post = _fit(split.train, spec, sampler, fits, "hierarchical", "all")
    rng = np.random.default_rng([sampler.seed, 0])
    return [posterior_forecast(post, cid, _held_sizes(split, cid), rng)
            for cid in split.scored_ids]


def _per_curve(split: BacktestSplit, spec: ModelSpec, sampler: SamplerConfig,
               fits: list[dict[str, Any]], progress: Progress) -> list[Forecast]:
    table, out = split.train.table, []
    ids = split.train.curves["curve_id"].tolist()
    rng = np.random.default_rng([sampler.seed, 1])
    for i, cid in enumerate(split.scored_ids, start=1):
        progress(f"per-curve fit {i}/{len(split.scored_ids)}: {cid}")
        rows = table.loc[table["curve"] == ids.index(cid), list(REQUIRED_COLUMNS)]
        post = _fit(rows.reset_index(drop=True), spec, sampler, fits, "per_curve", cid)
        out.append(posterior_forecast(post, cid, _held_sizes(split, cid), rng))
    return out


def _least_squares(split: BacktestSplit, progress: Progress) -> list[Forecast]:
    progress("least-squares fits")
    table, meta, out = split.train.table, split.train.curves, []
    for cid in split.scored_ids:
        k = meta["curve_id"].tolist().index(cid)
        rows = table[table["curve"] == k]
        means = rows.groupby(meta.loc[k, "axis"])["error"].mean()
        c, d, alpha = fit_power_law(means.index.to_numpy(float), means.to_numpy(float))
        sizes = _held_sizes(split, cid)
        out.append(Forecast(cid, sizes, c + d * sizes ** (-alpha), None))
    return out


def _held_sizes(split: BacktestSplit, curve_id: str) -> np.ndarray:
    rows = split.held_out[split.held_out["curve_id"] == curve_id]
    return np.unique(rows["size"].to_numpy(dtype=float))


# ----------------------------------------------------------------------------- scoring
def score_forecast(forecast: Forecast, sizes: np.ndarray, errors: np.ndarray,
                   train_max: float) -> pd.DataFrame:
    """Score one forecast against held-out replicate errors, one row per held-out size.

    Parameters
    ----------
    forecast : Forecast
    sizes, errors : ndarray, shape (n,)
        Size and observed error of every held-out replicate of the curve.
    train_max : float
        Largest training size of the curve (for the extrapolation factor).

    Returns
    -------
    DataFrame
        ``size, extrapolation, n_obs, observed_mean, predicted, abs_log_error, cov50,
        cov90, crps`` (coverages NaN for a point forecast).

    Examples
    --------
    >>> f = Forecast("c", np.array([100.0]), np.array([0.5]), None)
    >>> s = score_forecast(f, np.array([100.0, 100.0]), np.array([0.5, 2.0]), 50.0)
    >>> round(float(s["abs_log_error"].iloc[0]), 4), round(float(s["crps"].iloc[0]), 4)
    (0.9163, 0.6931)
    """
    rows = []
    for q, size in enumerate(forecast.sizes):
        obs = errors[sizes == size]
        log_obs = np.log(obs)
        if forecast.log_draws is None:
            crps, cov50, cov90 = float(np.mean(np.abs(np.log(forecast.point[q]) - log_obs))), \
                np.nan, np.nan
        else:
            draws = forecast.log_draws[:, q]
            crps = float(crps_from_draws(draws, log_obs).mean())
            cov50 = float(interval_hits(draws, log_obs, 0.5).mean())
            cov90 = float(interval_hits(draws, log_obs, 0.9).mean())
        rows.append({"size": float(size), "extrapolation": float(size) / train_max,
                     "n_obs": len(obs), "observed_mean": float(obs.mean()),
                     "predicted": float(forecast.point[q]),
                     "abs_log_error": float(abs_log_error(forecast.point[q], obs.mean())),
                     "cov50": cov50, "cov90": cov90, "crps": crps})
    return pd.DataFrame(rows)


def _score_all(method: str, forecasts: list[Forecast], split: BacktestSplit) -> pd.DataFrame:
    frames = []
    meta = split.curves.set_index("curve_id")
    for f in forecasts:
        held = split.held_out[split.held_out["curve_id"] == f.curve_id]
        scored = score_forecast(f, held["size"].to_numpy(), held["error"].to_numpy(),
                                float(meta.loc[f.curve_id, "train_max"]))
        scored.insert(0, "curve_id", f.curve_id)
        scored.insert(0, "method", method)
        frames.append(scored)
    return pd.concat(frames, ignore_index=True)


def default_methods(spec: ModelSpec) -> tuple[str, ...]:
    """The methods that apply to ``spec``'s family (``per_curve`` needs a curve family).

    Examples
    --------
    >>> default_methods(ModelSpec(family="edt"))
    ('hierarchical', 'least_squares')
    """
    if spec.model_family.layout == "curve":
        return METHODS
    return tuple(m for m in METHODS if m != "per_curve")


def check_methods(methods: Sequence[str], spec: ModelSpec) -> list[str]:
    """``methods`` in run order; :class:`SpecError` for unknown or inapplicable ones."""
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise SpecError(f"unknown method(s) {unknown or list(methods)}. Fix: use any of "
                        f"{list(METHODS)}.")
    allowed = default_methods(spec)
    if "per_curve" in methods and "per_curve" not in allowed:
        raise SpecError(f"method 'per_curve' fits each curve alone, but family "
                        f"'{spec.family}' is a two-axis surface, which one curve (one "
                        f"varying axis) cannot identify. Fix: use methods {list(allowed)} "
                        "with this family, or a single-axis curve family for per_curve.")
    return [m for m in METHODS if m in methods]


def run_backtest(data: CurveData | pd.DataFrame | str | Path, *,
                 train_max: float | None = None, train_fraction: float | None = None,
                 methods: Sequence[str] | None = None, spec: ModelSpec | None = None,
                 sampler: SamplerConfig | None = None,
                 progress: Progress | None = None) -> BacktestResult:
    """Fit each method on the training sizes and score it on the held-out sizes.

    Parameters
    ----------
    data : CurveData, DataFrame or path
        The learning curves.
    train_max, train_fraction : float, optional
        The cutoff (exactly one), see :func:`split_curves`.
    methods : sequence of str, optional
        Any of ``hierarchical``, ``per_curve``, ``least_squares`` (default: every method
        that applies to the family, :func:`default_methods`).
    spec, sampler : ModelSpec, SamplerConfig, optional
        Model (any family) and NUTS settings, shared by the hierarchical and per-curve fits.
    progress : callable, optional
        Called with a short description before each fit.

    Returns
    -------
    BacktestResult

    Raises
    ------
    SpecError
        Unknown methods, or ``per_curve`` with a surface family.

    Examples
    --------
    >>> r = run_backtest("curves.csv", train_max=3000,
    ...                  methods=["hierarchical", "least_squares"])  # doctest: +SKIP
    >>> print(r.sentence())  # doctest: +SKIP
    """
    spec, sampler = spec or ModelSpec(), sampler or SamplerConfig()
    spec.validate()
    sampler.validate()
    run = check_methods(default_methods(spec) if methods is None else methods, spec)
    split = split_curves(data, train_max=train_max, train_fraction=train_fraction)
    report = progress or (lambda _msg: None)
    fits: list[dict[str, Any]] = []
    frames = []
    for method in run:
        if not split.scored_ids:
            break
        if method == "hierarchical":
            forecasts = _hierarchical(split, spec, sampler, fits, report)
        elif method == "per_curve":
            forecasts = _per_curve(split, spec, sampler, fits, report)
        else:
            forecasts = _least_squares(split, report)
        frames.append(_score_all(method, forecasts, split))
    points = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    settings = {"rule": split.rule, "train_max": train_max, "train_fraction": train_fraction,
                "methods": run, "spec": spec.to_dict(), "sampler": sampler.to_dict()}
    return BacktestResult(points=points, curves=split.curves, fits=pd.DataFrame(fits),
                          settings=settings)
