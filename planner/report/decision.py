"""Section 1 of the report: the decision summary, its warnings and the planner's assumptions.

Pure functions of a plan (plan.json content), its problem and the exchange-rate rows.

Examples
--------
>>> verdict(Quantiles(2.0, 5.0, 40.0), 500.0)
'simulations'
>>> verdict(Quantiles(2.0, 5.0, 40.0), 10.0)
'undecided'
>>> verdict(Quantiles(float("nan"), float("nan"), float("nan")), 10.0)
'no_rate'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim2real.planner.report.formatting import fmt_cost, fmt_interval, fmt_pct, fmt_rate, fmt_size
from sim2real.planner.report.records import (
    BatchLine,
    Decision,
    ExchangeHeadline,
    ExchangeRate,
    Quantiles,
    TaskOutcome,
)
from sim2real.planner.report.studies import StudyPoint

VERDICT_TEXT = {
    "simulations": "simulations are the cheaper way to lower the error at the margin",
    "experiments": "experiments are the cheaper way to lower the error at the margin",
    "undecided": "the posterior cannot tell which is cheaper at the margin (the price "
                 "ratio lies inside the 90% interval)",
    "no_prices": "no price was given for both kinds of source",
    "no_rate": "",
}


def verdict(rate: Quantiles, price_ratio: float | None) -> str:
    """Which source is cheaper at the margin, given the rate's 90% interval."""
    if not np.isfinite(rate.q50):
        return "no_rate"
    if price_ratio is None:
        return "no_prices"
    if price_ratio > rate.q95:
        return "simulations"
    if price_ratio < rate.q05:
        return "experiments"
    return "undecided"


def exchange_sentence(h: ExchangeHeadline | None) -> str:
    """The exchange rate in one sentence.

    Examples
    --------
    >>> h = ExchangeHeadline("gap", "mp", 77326.0, Quantiles(0.5, 3.2, 85.0), 500.0,
    ...                      "simulations")
    >>> exchange_sentence(h)[:62]
    'For gap, at the current 77,326 mp simulations, one more experi'
    """
    if h is None:
        return ("No exchange rate: it needs a from-scratch curve and a database curve of "
                "the same task.")
    if h.verdict == "no_rate":
        return (f"For {h.task}, at the current {fmt_size(h.n_sim)} {h.sim_source} "
                "simulations, no finite exchange rate exists: in most posterior draws "
                "learning from scratch cannot match the transfer error at any number of "
                "experiments, so experiments do not substitute for these simulations.")
    text = (f"For {h.task}, at the current {fmt_size(h.n_sim)} {h.sim_source} simulations, "
            f"one more experiment is worth about {fmt_rate(h.rate.q50)} {h.sim_source} "
            f"simulations (90% interval {fmt_interval(h.rate.q05, h.rate.q95, fmt_rate)})")
    if h.price_ratio is None:
        return text + "."
    return (text + f"; at your prices one experiment costs as much as "
            f"{fmt_rate(h.price_ratio)} simulations, so {VERDICT_TEXT[h.verdict]}.")


def headline_rate(exchange: Sequence[ExchangeRate], plan: Mapping[str, Any],
                  problem: Any, given: Mapping[str, str],
                  current_error: Mapping[tuple[str, str], float]) -> ExchangeHeadline | None:
    """The rate to quote: at the current size, for the database the batch buys most of
    (else the one with the lowest current error)."""
    rows = [r for r in exchange if r.current]
    if not rows:
        return None
    bought = {k: v for k, v in plan["allocation"].items() if v > 0}

    def key(r: ExchangeRate) -> tuple[float, float]:
        return (-float(bought.get(given.get(r.sim_source, r.sim_source), 0)),
                current_error.get((r.task, r.sim_source), np.inf))

    best = min(rows, key=key)
    names = {s.name: s for s in problem.sources}
    real, db = names.get("real:" + best.task), names.get(best.sim_source)
    price = real.cost / db.cost if real is not None and db is not None else None
    return ExchangeHeadline(task=best.task, sim_source=best.sim_source, n_sim=best.n_sim,
                            rate=best.marginal_rate, price_ratio=price,
                            verdict=verdict(best.marginal_rate, price))


def decision_warnings(plan: Mapping[str, Any], required: float | None,
                      sizes: pd.DataFrame | None, hint: str | None = None) -> list[str]:
    """Plain-language warnings about the recommendation itself (``hint``: what budget
    would do, appended to the probability warning)."""
    out = []
    p_all = plan.get("provenance", {}).get("p_all_targets")
    need = required if required is not None else 0.5
    if p_all is not None and p_all < need:
        out.append(f"The recommended batch meets every target with probability "
                   f"{fmt_pct(p_all)} only (required {fmt_pct(need)}): the budget is too "
                   "small for the targets, or the targets are too ambitious."
                   + (f" {hint}" if hint else ""))
    fallback = plan.get("provenance", {}).get("fallback")
    if fallback:
        out.append(f"The targets cannot be approached within this budget: {fallback}.")
    reach_note = plan.get("provenance", {}).get("out_of_reach_note")
    if reach_note:
        out.append(reach_note[0].upper() + reach_note[1:] + ".")
    if plan["total_cost"] <= 0:
        out.append("The recommendation is to buy nothing: within this budget no batch "
                   "improves the objective by more than it costs.")
    if sizes is not None and not sizes.empty:
        for task, rows in sizes.groupby("task"):
            if (rows["p_unreachable"] >= 0.5).all():
                out.append(f"Task {task}: every route's error floor is probably above the "
                           f"target {rows['target'].iloc[0]:g}; more of the same data "
                           "cannot reach it (better simulator or model needed).")
    return out


def budget_hint(frontier: Sequence[StudyPoint], need: float) -> str | None:
    """Which frontier budget the Bayesian planner needs for P(all targets) >= ``need``.

    Examples
    --------
    >>> p = StudyPoint("bayesian", "expected_error", 3e6, None, {}, {}, 3e6, 1.0, {}, 0.93)
    >>> budget_hint([p], 0.9)
    'On the budget frontier, a budget of 3,000,000 reaches P(all targets met) = 93%.'
    """
    pts = [p for p in frontier if p.strategy == "bayesian" and p.p_all_targets is not None]
    if not pts:
        return None
    ok = sorted((p for p in pts if (p.p_all_targets or 0.0) >= need), key=lambda p: p.budget)
    if ok:
        return (f"On the budget frontier, a budget of {fmt_cost(ok[0].budget)} reaches "
                f"P(all targets met) = {fmt_pct(ok[0].p_all_targets)}.")
    best = max(pts, key=lambda p: (p.p_all_targets or 0.0, -p.budget))
    return (f"No budget on the frontier (up to {fmt_cost(max(p.budget for p in pts))}) "
            f"reaches {fmt_pct(need)}; the best is {fmt_pct(best.p_all_targets)} at "
            f"{fmt_cost(best.budget)}.")


def decision_section(posterior: Any, plan: Mapping[str, Any], problem: Any,
                     given: Mapping[str, str], exchange: Sequence[ExchangeRate],
                     sizes: pd.DataFrame | None,
                     extra_warnings: Sequence[str] = (),
                     frontier: Sequence[StudyPoint] = ()) -> Decision:
    """Section 1 from plan.json content and the problem it was planned on."""
    back = {v: k for k, v in given.items()}
    batch = []
    for name, count in plan["allocation"].items():
        src = problem.source(back.get(name, name))
        batch.append(BatchLine(source=name, kind="experiment" if src.is_real else
                               "simulation", count=int(count), unit_cost=float(src.cost),
                               cost=float(src.cost * count)))
    metrics = posterior.data.table.groupby("task")["metric"].first()
    tasks = tuple(TaskOutcome(
        task=t, metric=str(metrics.get(t, "error")), target=plan["targets"].get(t),
        current=dict(plan["current_error"].get(t, {})), after=dict(s),
        p_target=plan["p_target"].get(t),
        p_target_expected=plan.get("p_target_expected", {}).get(t),
        probability_of=str(plan.get("probability_of", "expected")))
        for t, s in plan["expected_error"].items())
    settings = plan.get("provenance", {}).get("settings", {})
    required = settings.get("probability") if plan["objective"] == \
        "min_cost_with_probability" else None
    now = _current_errors(posterior, problem)
    headline = headline_rate(exchange, plan, problem, given, now)
    need = required if required is not None else 0.5
    warnings = decision_warnings(plan, required, sizes, budget_hint(frontier, need))
    return Decision(
        objective=str(plan["objective"]), required_probability=required,
        budget=float(plan["budget"]), total_cost=float(plan["total_cost"]),
        batch=tuple(batch), tasks=tasks,
        p_all_targets=plan.get("provenance", {}).get("p_all_targets"),
        rounds=tuple(dict(r) for r in plan.get("rounds", [])),
        exchange=headline, exchange_sentence=exchange_sentence(headline),
        warnings=(*warnings, *extra_warnings),
        next_measurement=(plan.get("pilot") or {}).get("note"),
        schedule=plan.get("schedule"))


def _current_errors(posterior: Any, problem: Any) -> dict[tuple[str, str], float]:
    op = problem.operating
    out = {}
    for (task, src), n in op.n_sim.items():
        try:
            e = posterior.error_draws(task, src, n, op.curve_n_real[(task, src)])
        except KeyError:
            continue
        out[(task, src)] = float(np.mean(e))
    return out


def planner_assumptions(problem: Any, model: Any = None) -> list[str]:
    """The modelling conventions behind every number of the report.

    ``model`` (the posterior) names its family's formula and says which database routes it
    moves along ``n_real``; without it the statements are the default family's.
    """
    op = problem.operating
    prices = ", ".join(f"{s.name}: {s.cost:g} per sample" for s in problem.sources)
    out = [
        f"Prices in budget units: {prices}; total budget {problem.budget:,.0f}.",
        "A task's error after a batch is the error of the route the team would pick "
        "without hindsight: among learning from scratch on its real data and pre-training "
        "on each database, the route with the lowest posterior expected error at the "
        "batch's sizes; probabilities of meeting a target are that route's.",
    ]
    two_axis = _two_axis(model, problem)
    fixed = sorted(k for k, two in two_axis.items() if not two)
    if two_axis and not fixed:
        out.insert(0, "Planning model: one joint surface E(n_sim, n_real) per task over all "
                   f"routes ({_formula(model).rstrip(',')}); it decides between simulations "
                   "and experiments.")
    elif fixed:
        out.insert(0, "Planning model: single-axis learning curves (fallback: the data or "
                   "the fitted family has no n_sim x n_real grid on these database routes; "
                   "fit `--family auto` on data measured at several n_real levels for the "
                   "joint surface).")
    if fixed:
        levels = ", ".join(f"{s} at n_real={fmt_size(op.curve_n_real[(t, s)])}"
                           for t, s in fixed)
        out.append("The model moves these database curves along n_sim only; they are "
                   f"evaluated at the n_real they were measured at ({levels}), so new "
                   "experiments help them through the from-scratch route only (a "
                   "conservative bound).")
    elif op.n_sim:
        out.append("The model is a surface E(n_sim, n_real): new experiments also lower "
                   "the error of every pre-trained route.")
    out += [
        f"Beyond the largest measured size the model {_formula(model)} is extrapolated; "
        "extrapolated parts of the curves are dashed.",
        "Plans are open-loop on the current posterior: after acting, append the new "
        "measurements (sim2real update), refit and plan again.",
        "Intervals are equal-tailed posterior intervals (90% unless stated); "
        "probabilities are posterior probabilities given the model.",
    ]
    return out


def _formula(model: Any) -> str:
    """The family's description (``E = C + D n^-alpha ...`` for the default family)."""
    family = getattr(model, "family", None)
    if family is None:
        from sim2real.models.families import DEFAULT_FAMILY, get_family

        family = get_family(DEFAULT_FAMILY)
    return f"{family.name}, {family.description},"


def _two_axis(model: Any, problem: Any) -> dict[tuple[str, str], bool]:
    """Per (task, database): whether ``model`` moves the route along ``n_real`` (asked of
    the model; without a model, no route is)."""
    if model is None or not problem.operating.n_sim:
        return dict.fromkeys(problem.operating.n_sim, False)
    from sim2real.planner.optim.evaluate import TaskErrorEvaluator

    return TaskErrorEvaluator(model, problem).two_axis
