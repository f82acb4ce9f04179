"""Model comparison by PSIS-LOO (ArviZ ``compare``) of any registered model families.

The pointwise unit is the **replicate observation**: one term per row of the learning-curve
table (one seed at one size), the log density of its raw error. Every candidate sees the
same rows in the same order, so their ``elpd_loo`` are comparable, whatever the family's
layout (single-axis curves or two-axis surfaces). Leaving one replicate out keeps the other
seeds at that size, so LOO scores interpolation between replicates as well as the curve
shape; use it to rank families, not as an extrapolation test.

:func:`compare_families` fits each candidate with :func:`models.inference.fit.fit`;
:func:`compare_forms` (the curve families) and :func:`compare_surfaces` (the surface
families) only restrict the candidates. The table keeps the column name ``form`` (one row
per family).

Examples
--------
>>> res = compare_families("curves.csv", ("power_law_floor", "power_law"))  # doctest: +SKIP
>>> res.table[["form", "elpd_loo", "weight"]]  # doctest: +SKIP
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim2real.models.data.contract import CurveData
from sim2real.models.errors import SpecError
from sim2real.models.families import CURVE_FAMILIES, FAMILIES, SURFACE_FAMILIES
from sim2real.models.inference.fit import as_curve_data, fit
from sim2real.models.inference.spec import ModelSpec, SamplerConfig
from sim2real.models.posterior.files import arviz_groups

PARETO_K_WARN = 0.7


@dataclass(frozen=True)
class ComparisonResult:
    """Outcome of a LOO comparison.

    Attributes
    ----------
    table : DataFrame
        One row per family, best first: ``rank, form, elpd_loo, se, d_loo, dse, weight,
        p_loo, warning, max_pareto_k, n_high_k, fit_seconds`` (``form`` is the family name).
    advice : str or None
        What to do when some Pareto k exceed 0.7 (``None`` when all are fine).
    posteriors : dict
        The fitted posterior of each family.
    kind : str
        Layout of the candidates: ``"curve"``, ``"surface"`` or ``"mixed"``.
    """

    table: pd.DataFrame
    advice: str | None
    posteriors: dict[str, Any] = field(repr=False)
    kind: str = "curve"

    @property
    def best(self) -> str:
        """The family ranked first (highest elpd_loo)."""
        return str(self.table["form"].iloc[0])


def loo_inference_data(post: Any) -> Any:
    """``InferenceData`` with the posterior and the pointwise log-likelihood ``error`` (one
    term per table row, :func:`models.posterior.files.arviz_groups`)."""
    import arviz as az

    posterior = post.idata.posterior
    ll = arviz_groups(post)["log_likelihood"].assign_coords(
        chain=posterior["chain"].values, draw=posterior["draw"].values)
    return az.InferenceData(posterior=posterior, log_likelihood=ll)


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
    """Advice when any family has Pareto k > 0.7 (PSIS-LOO unreliable for those points)."""
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


def compare_families(curves: CurveData | pd.DataFrame | str | Path,
                     families: Sequence[str] = CURVE_FAMILIES,
                     sampler: SamplerConfig | None = None,
                     likelihood: str = "normal",
                     discrepancy: str = "auto") -> ComparisonResult:
    """Fit each family (same data, likelihood and sampler) and compare them by PSIS-LOO.

    Parameters
    ----------
    curves : CurveData, DataFrame or path
    families : sequence of str
        At least two distinct names from :data:`models.families.FAMILIES` (default: the
        single-axis curve families). Curve and surface families may be mixed: the
        pointwise terms are the same table rows.
    sampler : SamplerConfig, optional
    likelihood : str
        ``"normal"`` or ``"student_t"`` (same for every candidate).
    discrepancy : str
        Model discrepancy of every candidate (``"auto"``, as ``fit`` does: the GP on curve
        families). The smooth deviation absorbs part of the differences between forms, so
        ``"none"`` compares the bare forms with more power (docs/models.md, section 2a).

    Returns
    -------
    ComparisonResult
        ``kind`` is the candidates' common layout (``"mixed"`` if they differ).
    """
    check_candidates(families, tuple(FAMILIES))
    data = as_curve_data(curves)
    posts, seconds = {}, {}
    for name in families:
        start = time.perf_counter()
        posts[name] = fit(data, ModelSpec(family=name, likelihood=likelihood,
                                          discrepancy=discrepancy), sampler)
        seconds[name] = round(time.perf_counter() - start, 2)
    layouts = {FAMILIES[name].layout for name in families}
    return compare_posteriors(posts, layouts.pop() if len(layouts) == 1 else "mixed", seconds)


def compare_forms(curves: CurveData | pd.DataFrame | str | Path,
                  forms: Sequence[str] = CURVE_FAMILIES, sampler: SamplerConfig | None = None,
                  likelihood: str = "normal") -> ComparisonResult:
    """:func:`compare_families` restricted to the single-axis curve families."""
    check_candidates(forms, CURVE_FAMILIES)
    return compare_families(curves, forms, sampler, likelihood)


def compare_surfaces(curves: CurveData | pd.DataFrame | str | Path,
                     forms: Sequence[str] = SURFACE_FAMILIES,
                     sampler: SamplerConfig | None = None,
                     likelihood: str = "normal") -> ComparisonResult:
    """:func:`compare_families` restricted to the two-axis surface families."""
    check_candidates(forms, SURFACE_FAMILIES)
    return compare_families(curves, forms, sampler, likelihood)


def check_candidates(names: Sequence[str], allowed: Sequence[str]) -> None:
    """Raise :class:`SpecError` unless ``names`` are at least two distinct ``allowed`` ones.

    Examples
    --------
    >>> check_candidates(["edt", "spline"], ["edt", "additive"])
    Traceback (most recent call last):
    ...
    sim2real.models.errors.SpecError: families ['edt', 'spline']: give ... unknown ['spline'].
    """
    unknown = [f for f in names if f not in allowed]
    if unknown or len(set(names)) < 2:
        raise SpecError(f"families {list(names)}: give at least two distinct families from "
                        f"{list(allowed)}" + (f"; unknown {unknown}" if unknown else "") + ".")
