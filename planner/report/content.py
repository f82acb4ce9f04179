"""The report's content: the records of :mod:`planner.report.records`, built from a
posterior, a plan and the decision tables by one pure function, :func:`build_content`.

Nothing here draws or formats: figures (:mod:`planner.report.figures`) and the HTML
(:mod:`planner.report.render`) are made from a :class:`ReportContent` only, and
:meth:`ReportContent.to_dict` is report.json (schema ``planner/report/report_schema.json``).
Works for every model family: the curves are drawn from the model's error draws along each
measured curve, whatever formula produced them.

Examples
--------
>>> q = Quantiles(q05=1.0, q50=2.0, q95=float("inf"))
>>> to_jsonable(q)
{'q05': 1.0, 'q50': 2.0, 'q95': None}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim2real.planner.report.checks import LooSummary, PpcSummary
from sim2real.planner.report.decision import decision_section, planner_assumptions
from sim2real.planner.report.prior_sensitivity import prior_sensitivity_content
from sim2real.planner.report.records import (
    SCHEMA_VERSION,
    BatchLine,
    CurveBand,
    DataSummary,
    Decision,
    DiagnosticsContent,
    ExchangeHeadline,
    ExchangeRate,
    FlipRecord,
    PriorSensitivity,
    Quantiles,
    ReportContent,
    Reproducibility,
    RequiredSize,
    TaskOutcome,
    quantiles,
    to_jsonable,
)
from sim2real.planner.report.studies import StudyPoint

__all__ = ["SCHEMA_VERSION", "BatchLine", "CurveBand", "DataSummary", "Decision",
           "DiagnosticsContent", "ExchangeHeadline", "ExchangeRate", "PriorSensitivity",
           "Quantiles", "ReportContent", "Reproducibility", "RequiredSize", "TaskOutcome",
           "build_content", "quantiles", "to_jsonable"]

GRID_POINTS = 60
MAX_EXTRAPOLATION = 1000.0


# ---------------------------------------------------------------- section builders
def curve_bands(posterior: Any, operating: Any, targets: Mapping[str, float],
                planned: Mapping[tuple[str, str], float], sizes: pd.DataFrame | None
                ) -> tuple[CurveBand, ...]:
    """Posterior mean and 50/90% bands of every measured curve on a log grid.

    Every measured curve of the data (the scratch curve and each (task, source, fixed
    size) line) is drawn from the model's error draws along it, so the figure is the same
    for single-axis families and for surfaces (which are evaluated along the measured
    lines). The grid runs from below the smallest measured size to past the largest one and, for
    the curves the planner uses, on to the planned size and the median size that reaches
    the target (capped at ``MAX_EXTRAPOLATION`` times the largest measured size).
    """
    table, curves = posterior.data.table, posterior.data.curves
    out = []
    for k, c in curves.iterrows():
        rows = table[table["curve"] == k]
        axis, src, task = str(c["axis"]), str(c["sim_source"]), str(c["task"])
        x = rows[axis].to_numpy(float)
        fixed = float(c["fixed_n_real"] if axis == "n_sim" else c["fixed_n_sim"])
        used = _planner_curve(operating, task, src, axis, fixed)
        route = "real" if src == "none" else src
        plan_size = planned.get((task, route)) if used else None
        hi = x.max() * 3.0
        if used:
            hi = max(hi, 1.5 * (plan_size or 0.0), _target_size(sizes, task, route))
        hi = min(hi, x.max() * MAX_EXTRAPOLATION)
        grid = np.geomspace(max(x.min() / 2.0, 1.0), hi, GRID_POINTS)
        draws = along_curve(posterior, task, src, axis, c, grid)           # (S, G)
        q = np.quantile(draws, [0.05, 0.25, 0.75, 0.95], axis=0)
        out.append(CurveBand(
            curve_id=str(c["curve_id"]), task=task, sim_source=src, axis=axis, fixed=fixed,
            metric=str(c["metric"]), planner_curve=used, measured_max=float(x.max()),
            planned_size=None if plan_size is None else float(plan_size),
            sizes=_tup(x), errors=_tup(rows["error"]), grid=_tup(grid),
            mean=_tup(draws.mean(0)), q05=_tup(q[0]), q25=_tup(q[1]), q75=_tup(q[2]),
            q95=_tup(q[3])))
    return tuple(out)


def along_curve(model: Any, task: str, src: str, axis: str, curve: Mapping[str, Any],
                grid: np.ndarray) -> np.ndarray:
    """Error draws ``(S, G)`` of ``model`` along one measured curve (a row of
    ``data.curves``): its varying ``axis`` on ``grid``, the other size held fixed."""
    if axis == "n_sim":
        n_sim, n_real = grid, np.full_like(grid, float(curve["fixed_n_real"]))
    else:
        n_sim, n_real = np.full_like(grid, max(float(curve["fixed_n_sim"]), 0.0)), grid
    return np.asarray(model.error_draws(task, src, n_sim, n_real), dtype=float)


def _planner_curve(operating: Any, task: str, src: str, axis: str, fixed: float) -> bool:
    if src == "none":
        return True
    return axis == "n_sim" and operating.curve_n_real.get((task, src)) == fixed


def _target_size(sizes: pd.DataFrame | None, task: str, route: str) -> float:
    if sizes is None or sizes.empty:
        return 0.0
    hit = sizes[(sizes["task"] == task) & (sizes["route"] == route)]
    if hit.empty or not np.isfinite(hit["size_q50"].iloc[0]):
        return 0.0
    return float(hit["size_q50"].iloc[0]) * 1.2


def required_rows(sizes: pd.DataFrame | None) -> tuple[RequiredSize, ...]:
    """Section 3 rows from :func:`planner.decisions.required_size_table`."""
    if sizes is None:
        return ()
    return tuple(RequiredSize(
        task=str(r["task"]), route=str(r["route"]), axis=str(r["axis"]),
        target=float(r["target"]), current_size=float(r["current_size"]),
        p_unreachable=float(r["p_unreachable"]), size=quantiles(r, "size"),
        additional_q50=float(r["additional_q50"]), note=str(r["note"]))
        for _, r in sizes.iterrows())


def exchange_rows(rates: pd.DataFrame) -> tuple[ExchangeRate, ...]:
    """Section 4 rows from :func:`planner.report.studies.exchange_by_size`."""
    if rates is None or rates.empty:
        return ()
    return tuple(ExchangeRate(
        task=str(r["task"]), sim_source=str(r["sim_source"]), n_sim=float(r["n_sim"]),
        n_real=float(r["n_real"]), current=bool(r.get("current", False)),
        m_eq=quantiles(r, "m_eq"), average_rate=quantiles(r, "average_rate"),
        marginal_rate=quantiles(r, "marginal_rate"),
        marginal_method=str(r["marginal_method"]),
        extrapolation=quantiles(r, "extrapolation") if "extrapolation_q50" in r else None,
        p_no_transfer=float(r.get("p_no_transfer", 0.0)),
        p_m_eq_infinite=float(r.get("p_m_eq_infinite", 0.0)),
        extrapolated=bool(r.get("extrapolated", False))) for _, r in rates.iterrows())


def flip_rows(flips: Sequence[Mapping[str, Any]],
              given: Mapping[str, str]) -> tuple[FlipRecord, ...]:
    """Flip-point records from plan.json's ``flip_points`` (source names as given)."""
    def name(n: str) -> str:
        return str(given.get(n, n))

    return tuple(FlipRecord(
        experiment=name(f["experiment"]), database=name(f["database"]),
        ratio=None if f.get("ratio") is None else float(f["ratio"]),
        below=str(f["below"]), above=str(f["above"]),
        rate=Quantiles(float(f["rate_q05"]), float(f["rate_q50"]), float(f["rate_q95"])),
        current_ratio=float(f["current_ratio"]), note=str(f.get("note", "")))
        for f in flips)


def data_summary(posterior: Any) -> DataSummary:
    """Section 9: origin, rows, tasks and per-curve sizes/replicates/error range."""
    summ = posterior.data.summary()
    cols = ["curve_id", "task", "sim_source", "axis", "n_sizes", "size_min", "size_max",
            "replicates", "error_min", "error_max", "metric"]
    table = posterior.data.table
    metrics = {str(t): str(m) for t, m in table.groupby("task")["metric"].first().items()}
    pooled: dict[str, list[str]] = {}
    design, spec = getattr(posterior, "design", None), getattr(posterior, "spec", None)
    if design is not None and spec is not None:
        from sim2real.models.data.design import pooled_populations

        pooled = pooled_populations(design, spec.resolved_pooling)
    return DataSummary(origin=str(posterior.data.origin), n_rows=len(table),
                       tasks=tuple(posterior.data.tasks), metrics=metrics,
                       curves=tuple(to_jsonable(r) for r in summ[cols].to_dict("records")),
                       pooled=pooled)


def diagnostics_content(posterior: Any, loo: LooSummary | None, ppc: PpcSummary | None,
                        comparison: pd.DataFrame | None) -> DiagnosticsContent:
    """Section 8: every check's numbers and the list of failures (the comparison red flag
    is about the family the posterior was fitted with)."""
    mcmc = posterior.diagnostics.to_dict()
    problems = [*mcmc["problems"]]
    for check in (loo, ppc):
        if check is not None:
            problems += check.problems()
    comp = None
    if comparison is not None:
        frame = comparison_frame(comparison)
        comp = tuple(to_jsonable(r) for r in frame.to_dict("records"))
        problems += comparison_problems(frame, family_name(posterior))
    return DiagnosticsContent(mcmc=to_jsonable(mcmc), loo=loo, ppc=ppc, comparison=comp,
                              problems=tuple(problems))


COMPARISON_COLUMNS = ("rank", "form", "elpd_loo", "se", "d_loo", "dse", "weight", "p_loo",
                      "max_pareto_k", "n_high_k")


def comparison_frame(comparison: pd.DataFrame) -> pd.DataFrame:
    """The comparison table with one ``form`` column (``az.compare`` puts it in the index)."""
    frame = comparison if "form" in comparison else (
        comparison.rename_axis("form").reset_index())
    return frame[[c for c in COMPARISON_COLUMNS if c in frame]]


def family_name(model: Any) -> str:
    """The model family of ``model`` (the default family for a model without one)."""
    from sim2real.models.families import DEFAULT_FAMILY

    return str(getattr(getattr(model, "family", None), "name", DEFAULT_FAMILY))


def comparison_problems(frame: pd.DataFrame, used: str = "power_law_floor") -> list[str]:
    """A red flag when PSIS-LOO clearly prefers another family to the one the plan used.

    "Clearly" means the used family's elpd deficit exceeds twice its standard error.

    Examples
    --------
    >>> f = pd.DataFrame({"form": ["exp_saturation", "power_law_floor"],
    ...                   "d_loo": [0.0, 20.0], "dse": [0.0, 7.0]})
    >>> comparison_problems(f)[0][:40]
    'PSIS-LOO prefers exp_saturation to power'
    """
    if not {"form", "d_loo", "dse"} <= set(frame.columns) or used not in set(frame["form"]):
        return []
    row = frame[frame["form"] == used].iloc[0]
    best = str(frame["form"].iloc[0])
    if best == used or not float(row["d_loo"]) > 2.0 * float(row["dse"]):
        return []
    return [f"PSIS-LOO prefers {best} to {used} (the family the plan uses) by "
            f"{float(row['d_loo']):.1f} +/- {float(row['dse']):.1f} elpd: the curves are not "
            f"well described by {used}, so extrapolated sizes and exchange rates carry "
            "model error beyond the intervals shown. To see how the recommendation moves: "
            f"`sim2real fit CURVES --family {best} --out alt.nc`, then `sim2real plan "
            "alt.nc` with the same options."]


def _tup(values: Any) -> tuple[float, ...]:
    return tuple(float(v) for v in np.asarray(values, dtype=float).ravel())


def _planned_sizes(plan: Mapping[str, Any], problem: Any,
                   given: Mapping[str, str]) -> dict[tuple[str, str], float]:
    """(task, route) -> size after the batch, for the planner's curves."""
    back = {v: k for k, v in given.items()}
    alloc = {back.get(k, k): v for k, v in plan["allocation"].items()}
    op = problem.operating
    out = {(t, "real"): op.n_real[t] + alloc.get("real:" + t, 0) for t in op.n_real}
    out.update({(t, s): n + alloc.get(s, 0) for (t, s), n in op.n_sim.items()})
    return out


def build_content(posterior: Any, plan: Mapping[str, Any], problem: Any,
                  given: Mapping[str, str], *, sizes: pd.DataFrame | None,
                  rates: pd.DataFrame, frontier: Sequence[StudyPoint],
                  sensitivity: Sequence[StudyPoint], loo: LooSummary | None,
                  ppc: PpcSummary | None, reproducibility: Reproducibility,
                  assumptions: Sequence[str] = (), comparison: pd.DataFrame | None = None,
                  frontier_objective: str = "expected_error",
                  warnings: Sequence[str] = (),
                  title: str = "Sim2Real data-acquisition decision report",
                  flips: Sequence[Mapping[str, Any]] = (),
                  prior_sensitivity: pd.DataFrame | None = None) -> ReportContent:
    """Assemble the report content (pure: no I/O, no plotting, no optimization).

    Parameters
    ----------
    posterior : Posterior
        The fitted model of any family (data, error draws, diagnostics).
    plan : mapping
        plan.json content (:func:`planner.cli._plan.plan_payload`): names as given.
    problem, given : PlanProblem, dict
        The planning problem and the internal -> given source-name map.
    sizes, rates : DataFrame
        :func:`~planner.decisions.required_size_table` (``None`` without targets) and
        :func:`~planner.report.studies.exchange_by_size`.
    frontier, sensitivity : sequence of StudyPoint
        From :mod:`planner.report.studies`.
    loo, ppc : LooSummary, PpcSummary or None
        From :mod:`planner.report.checks`.
    reproducibility : Reproducibility
    assumptions : sequence of str
        Extra assumptions (costs, budget, target choices) listed in section 9.
    comparison : DataFrame, optional
        An ``az.compare``-like table of model families, shown in section 8 when given.
    frontier_objective : str
        Objective the frontier was planned with.
    warnings : sequence of str
        Extra decision warnings (e.g. a plan made from another posterior file).
    flips : sequence of mapping
        Price flip points (:meth:`planner.optim.flip.FlipPoint.to_dict`), names as used
        by the problem.
    prior_sensitivity : DataFrame, optional
        :func:`planner.report.prior_sensitivity.plan_prior_sensitivity` (``None``: the
        section says it is not available for this model).

    Examples
    --------
    >>> content = build_content(post, plan, problem, given, sizes=None, ...)  # doctest: +SKIP
    >>> content.to_dict()["decision"]["batch"][0]["count"]  # doctest: +SKIP
    999999
    """
    exchange = exchange_rows(rates)
    planned = _planned_sizes(plan, problem, given)
    return ReportContent(
        title=title,
        decision=decision_section(posterior, plan, problem, given, exchange, sizes,
                                  extra_warnings=warnings, frontier=frontier),
        curves=curve_bands(posterior, problem.operating, problem.targets, planned, sizes),
        required_sizes=required_rows(sizes), exchange=exchange,
        frontier=tuple(frontier), frontier_objective=frontier_objective,
        sensitivity=tuple(sensitivity),
        flips=flip_rows(flips, given),
        prior_sensitivity=prior_sensitivity_content(prior_sensitivity),
        diagnostics=diagnostics_content(posterior, loo, ppc, comparison),
        data=data_summary(posterior),
        assumptions=(*assumptions, *planner_assumptions(problem, posterior)),
        reproducibility=reproducibility)
