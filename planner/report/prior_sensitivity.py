"""The report's prior-sensitivity section: the decision quantities of the recommended batch
reweighted to alternative priors (:mod:`models.evaluation.sensitivity`).

:func:`plan_prior_sensitivity` computes the table at the plan's operating point: per task,
the error after the batch of the route the team would train (the planner's own draws,
:class:`~planner.optim.evaluate.TaskErrorEvaluator`, so the default column equals section 1),
its probability of meeting the target and that of one training run.
:func:`prior_sensitivity_content` turns the table into the report's records (pure).

Examples
--------
>>> prior_sensitivity_content(None).note[:45]
'Not available for this model: the prior sensi'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from sim2real.planner.report.formatting import fmt_interval, fmt_num, fmt_pct
from sim2real.planner.report.records import (
    PRIOR_SENSITIVITY_UNAVAILABLE,
    PriorAlternativeCheck,
    PriorSensitivity,
    PriorSensitivityRow,
)

QUANTITY_TEXT = {"expected_error": "expected error",
                 "p_expected": "P(expected error ≤ target)",
                 "p_run": "P(a training run ≤ target)"}


def batch_counts(plan: Mapping[str, Any], problem: Any,
                 given: Mapping[str, str]) -> np.ndarray:
    """The plan's allocation as a decision vector (``problem.names`` order)."""
    back = {v: k for k, v in given.items()}
    alloc = {back.get(k, k): float(v) for k, v in plan["allocation"].items()}
    return np.array([alloc.get(n, 0.0) for n in problem.names], dtype=float)


def plan_prior_sensitivity(model: Any, plan: Mapping[str, Any], problem: Any,
                           given: Mapping[str, str],
                           alternatives: Sequence[Any] | None = None) -> pd.DataFrame | None:
    """:func:`~models.evaluation.sensitivity.prior_sensitivity` at the recommended batch,
    one query per task (``None`` when ``model`` is not a Posterior).

    The route is the one the plan chose (lowest expected error under the default priors);
    run-level draws use the planner's fixed noise draws whatever the plan's
    ``probability_of``.
    """
    from sim2real.models.evaluation.sensitivity import DecisionDraws, prior_sensitivity
    from sim2real.models.posterior.base import Posterior
    from sim2real.planner.optim.evaluate import TaskErrorEvaluator

    if not isinstance(model, Posterior):
        return None
    X = batch_counts(plan, problem, given)[None, :]

    def draws(post: Any) -> list[DecisionDraws]:
        ev = TaskErrorEvaluator(post, replace(problem, probability_of="run"))
        expected = np.asarray(ev(X, run=False), dtype=float)[:, 0, :]
        run = np.asarray(ev(X, run=True), dtype=float)[:, 0, :] if ev.run_noise else None
        return [DecisionDraws(t, expected[:, k], None if run is None else run[:, k],
                              problem.targets.get(t)) for k, t in enumerate(ev.tasks)]

    return prior_sensitivity(model, draws, alternatives)


def _num(value: Any) -> float | None:
    x = float(value)
    return x if np.isfinite(x) else None


def refit_hint(priors: str) -> str:
    """The command that refits with an alternative's priors (``priors``: ``a=P(...); ...``).

    Examples
    --------
    >>> refit_hint("logit_f_mu=Normal(mu=-3, sigma=1.5)")
    "sim2real fit CURVES --prior 'logit_f_mu=Normal(mu=-3, sigma=1.5)' --out alt.nc"
    """
    flags = " ".join(f"--prior '{p.strip()}'" for p in priors.split(";") if p.strip())
    return f"sim2real fit CURVES {flags} --out alt.nc"


def prior_sensitivity_content(table: pd.DataFrame | None) -> PriorSensitivity:
    """The section's records from :func:`plan_prior_sensitivity`'s table (``None``: the
    model is not a Posterior; the section says so)."""
    if table is None:
        return PriorSensitivity(available=False, note=PRIOR_SENSITIVITY_UNAVAILABLE)
    checks, rows = [], []
    for name, part in table.groupby("alternative", sort=False):
        first = part.iloc[0]
        priors = str(first["priors"])
        checks.append(PriorAlternativeCheck(
            name=str(name), description=str(first["description"]), priors=priors,
            applicable=bool(priors), khat=_num(first["khat"]), ess=float(first["ess"]),
            reliable=bool(first["reliable"]), refit=refit_hint(priors)))
        if not priors:
            continue
        rows += [PriorSensitivityRow(
            alternative=str(name), task=str(r["query"]), quantity=str(r["quantity"]),
            label=QUANTITY_TEXT.get(str(r["quantity"]), str(r["quantity"])),
            target=_num(r["target"]), default=float(r["default"]),
            default_lo=_num(r["default_lo"]), default_hi=_num(r["default_hi"]),
            value=_num(r["value"]), lo=_num(r["lo"]), hi=_num(r["hi"]),
            change=_num(r["change"]), threshold=_num(r["threshold"]), moves=bool(r["moves"]))
            for _, r in part.iterrows()]
    applied = [c for c in checks if c.applicable]
    note = ("Decision quantities of the recommended batch under each alternative prior, by "
            "Pareto-smoothed importance reweighting of the posterior draws (no refit).")
    if not applied:
        note = "None of the alternative priors applies to this model's priors."
    if "baseline" in table and (table["baseline"] == "assumed").any():
        note += (" The posterior file does not record the priors it was fitted with: the "
                 "current defaults plus its spec's overrides are assumed (wrong if the "
                 "defaults changed since the fit; refit to be sure).")
    return PriorSensitivity(available=True, note=note, alternatives=tuple(checks),
                            rows=tuple(rows), warning=moved_warning(rows, checks))


def _show(quantity: str, value: float | None) -> str:
    return fmt_pct(value) if quantity.startswith("p_") else fmt_num(value)


def moved_warning(rows: Sequence[PriorSensitivityRow],
                  checks: Sequence[PriorAlternativeCheck]) -> str:
    """One sentence naming every moved quantity ("" when nothing moves)."""
    moved = [r for r in rows if r.moves]
    if not moved:
        return ""
    what = {c.name: c.description for c in checks}
    parts = [f"under {r.alternative} ({what.get(r.alternative, '')}) the "
             f"{r.label} of {r.task} moves from "
             f"{_show(r.quantity, r.default)} to {_show(r.quantity, r.value)}"
             + (f" (default 90% interval {fmt_interval(r.default_lo, r.default_hi)})"
                if r.quantity == "expected_error" else "")
             for r in moved]
    return ("The decision depends on the priors: " + "; ".join(parts) + ". The data do not "
            "pin these quantities down: the recommendation holds under the default priors "
            "only. Refit with the alternative (section 'Prior sensitivity' gives the "
            "command) and plan again, or buy data that identifies them (larger sizes on "
            "the curves the plan extrapolates).")
