"""Model comparison by PSIS-LOO (ArviZ ``compare``) of curve forms and of surface forms.

The pointwise unit is the **replicate observation**: one term per row of the learning-curve
table (one seed at one size), the log density of its raw error. Every candidate sees the
same rows in the same order, so their ``elpd_loo`` are comparable. Leaving one replicate
out keeps the other seeds at that size, so LOO scores interpolation between replicates as
well as the curve shape; use it to rank forms, not as an extrapolation test.

Examples
--------
>>> res = compare_forms("curves.csv", forms=("power_law_floor", "power_law"))  # doctest: +SKIP
>>> res.table[["form", "elpd_loo", "weight"]]  # doctest: +SKIP
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.data.contract import CurveData
from models.curve_forms import CURVE_FORMS, FormSpec, fit_form
from models.errors import SpecError
from models.inference.spec import SamplerConfig
from models.surface_forms import SURFACE_FORMS

PARETO_K_WARN = 0.7


@dataclass(frozen=True)
class ComparisonResult:
    """Outcome of a LOO comparison.

    Attributes
    ----------
    table : DataFrame
        One row per form, best first: ``rank, form, elpd_loo, se, d_loo, dse, weight,
        p_loo, warning, max_pareto_k, n_high_k, fit_seconds``.
    advice : str or None
        What to do when some Pareto k exceed 0.7 (``None`` when all are fine).
    posteriors : dict
        The fitted posterior of each form.
    kind : str
        ``"curve"`` or ``"surface"``.
    """

    table: pd.DataFrame
    advice: str | None
    posteriors: dict[str, Any] = field(repr=False)
    kind: str = "curve"

    @property
    def best(self) -> str:
        """The form ranked first (highest elpd_loo)."""
        return str(self.table["form"].iloc[0])


def loo_inference_data(post: Any) -> Any:
    """``InferenceData`` with the posterior and the pointwise log-likelihood ``error``."""
    import arviz as az
    import xarray as xr

    ll = post.pointwise_log_likelihood()
    ds = xr.Dataset({"error": (("chain", "draw", "obs"), ll)},
                    coords={"chain": post.idata.posterior["chain"].values,
                            "draw": post.idata.posterior["draw"].values,
                            "obs": np.arange(ll.shape[-1])})
    return az.InferenceData(posterior=post.idata.posterior, log_likelihood=ds)


def compare_posteriors(posteriors: dict[str, Any], kind: str = "curve",
                       fit_seconds: dict[str, float] | None = None) -> ComparisonResult:
    """Rank fitted posteriors (any with ``pointwise_log_likelihood()``) by PSIS-LOO.

    Examples
    --------
    >>> res = compare_posteriors({"a": post_a, "b": post_b})  # doctest: +SKIP
    """
    import arviz as az

    if len(posteriors) < 2:
        raise SpecError("model comparison needs at least two candidates.")
    data = {name: loo_inference_data(p) for name, p in posteriors.items()}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Pareto.*")
        warnings.filterwarnings("ignore", message=".*shape parameter.*")
        table = az.compare(data, ic="loo", method="stacking")
        ks = {name: np.asarray(az.loo(d, pointwise=True).pareto_k) for name, d in data.items()}
    table = table.rename(columns={"elpd_diff": "d_loo"}).rename_axis("form").reset_index()
    table["max_pareto_k"] = table["form"].map({n: float(k.max()) for n, k in ks.items()})
    table["n_high_k"] = table["form"].map({n: int((k > PARETO_K_WARN).sum())
                                           for n, k in ks.items()})
    table["fit_seconds"] = table["form"].map(fit_seconds or {})
    cols = ["rank", "form", "elpd_loo", "se", "d_loo", "dse", "weight", "p_loo", "warning",
            "max_pareto_k", "n_high_k", "fit_seconds"]
    table = table[cols].sort_values("rank").reset_index(drop=True)
    return ComparisonResult(table=table, advice=pareto_advice(table),
                            posteriors=dict(posteriors), kind=kind)


def pareto_advice(table: pd.DataFrame) -> str | None:
    """Advice when any form has Pareto k > 0.7 (PSIS-LOO unreliable for those points)."""
    bad = table[table["n_high_k"] > 0]
    if bad.empty:
        return None
    which = ", ".join(f"{r.form} ({r.n_high_k} point(s), max k {r.max_pareto_k:.2f})"
                      for r in bad.itertuples())
    return (f"Pareto k > {PARETO_K_WARN} for {which}: PSIS-LOO is unreliable for these "
            "observations (they are highly influential: often the smallest sizes or outlying "
            "replicates). Treat close elpd differences as inconclusive; try the Student-t "
            "likelihood (--likelihood student_t), inspect those rows, or use K-fold "
            "cross-validation.")


def compare_forms(curves: CurveData | pd.DataFrame | str | Path,
                  forms: Sequence[str] = CURVE_FORMS, sampler: SamplerConfig | None = None,
                  likelihood: str = "normal") -> ComparisonResult:
    """Fit each single-axis curve form and compare them by PSIS-LOO.

    Parameters
    ----------
    curves : CurveData, DataFrame or path
    forms : sequence of str
        Candidates from :data:`models.curve_forms.CURVE_FORMS` (at least two).
    sampler : SamplerConfig, optional
    likelihood : str
        ``"normal"`` or ``"student_t"`` (same for every candidate).
    """
    from models.inference.fit import as_curve_data

    _check_forms(forms, CURVE_FORMS)
    data = as_curve_data(curves)
    return _fit_and_compare(
        forms, lambda form: fit_form(data, FormSpec(form=form, likelihood=likelihood),
                                     sampler), "curve")


def compare_surfaces(curves: CurveData | pd.DataFrame | str | Path,
                     forms: Sequence[str] = SURFACE_FORMS,
                     sampler: SamplerConfig | None = None,
                     likelihood: str = "normal") -> ComparisonResult:
    """Fit each two-axis surface form (``edt``, ``additive``) and compare them by PSIS-LOO."""
    from models.inference.fit import as_curve_data
    from models.surface import SurfaceSpec, fit_surface

    _check_forms(forms, SURFACE_FORMS)
    data = as_curve_data(curves)
    return _fit_and_compare(
        forms, lambda form: fit_surface(data, SurfaceSpec(form=form, likelihood=likelihood),
                                        sampler), "surface")


def _fit_and_compare(forms: Sequence[str], fit: Callable[[str], Any],
                     kind: str) -> ComparisonResult:
    """Fit every form with ``fit(form)`` (timed) and compare the posteriors by PSIS-LOO."""
    posts, seconds = {}, {}
    for form in forms:
        start = time.perf_counter()
        posts[form] = fit(form)
        seconds[form] = round(time.perf_counter() - start, 2)
    return compare_posteriors(posts, kind, seconds)


def _check_forms(forms: Sequence[str], allowed: Sequence[str]) -> None:
    unknown = [f for f in forms if f not in allowed]
    if unknown or len(set(forms)) < 2:
        raise SpecError(f"forms {list(forms)}: give at least two distinct forms from "
                        f"{list(allowed)}" + (f"; unknown {unknown}" if unknown else "") + ".")
