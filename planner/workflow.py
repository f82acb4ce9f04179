"""The public workflow API: load or fit a model, plan, update, report, demo.

The ``sim2real`` commands are thin layers over these functions, and notebooks and the
case studies call them directly (no private CLI module is needed). Progress is reported
through optional callbacks (``status``: a context-manager factory taking a message;
``advance``: a function taking a label), so the library prints nothing by itself.

Examples
--------
>>> from planner.workflow import load_model                       # doctest: +SKIP
>>> post = load_model("posterior.nc")                             # doctest: +SKIP
>>> post.family.name                                              # doctest: +SKIP
'power_law_floor'
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.data.contract import (
    KEY_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    CurveData,
    load_curves,
    read_table_file,
    validate_table,
)
from models.data.io import atomic_path
from models.errors import InputDataError
from models.evaluation.compare import compare_posteriors
from models.families import CURVE_FAMILIES, DEFAULT_FAMILY
from models.inference.fit import fit
from models.inference.spec import ModelSpec, SamplerConfig
from models.posterior.storage import load_posterior
from planner.acquisition import make_objective
from planner.decisions import required_size_table
from planner.defaults import (
    DEMO_BUDGET,
    DEMO_EXPERIMENT_PRICE,
    DEMO_SIM_PRICE,
    DEMO_TARGET_FRACTION,
)
from planner.optim.baselines import STRATEGIES
from planner.optim.config import PlanSettings
from planner.optim.evaluate import TaskErrorEvaluator
from planner.optim.multiround import plan_rounds, recommend
from planner.optim.problem import PlanProblem, Source, operating_point_from_table
from planner.report.pipeline import report_content, study_count
from planner.report.render import write_report
from planner.report.studies import RATIO_FACTORS, default_budgets

NETCDF = (".nc", ".netcdf", ".nc4")

Status = Callable[[str], contextlib.AbstractContextManager[Any]]


def no_status(message: str) -> contextlib.AbstractContextManager[Any]:
    """A status callback that shows nothing."""
    return contextlib.nullcontext()


# ---------------------------------------------------------------------------- models
def load_model(path: str | Path, *, family: str = DEFAULT_FAMILY, draws: int = 500,
               chains: int = 2, seed: int = 20251125, status: Status = no_status) -> Any:
    """A posterior from a netCDF file (any family), or ``family`` fitted on a curve table.

    Parameters
    ----------
    path : str or Path
        ``.nc`` written by ``sim2real fit`` (or :meth:`Posterior.to_netcdf`), or a
        learning-curve table (``.csv`` / ``.parquet``), fitted with a quick sampler.
    family : str
        Family fitted when ``path`` is a table.
    """
    path = Path(path)
    if not path.exists():
        raise InputDataError(f"{path}: no such file.")
    if path.suffix.lower() in NETCDF:
        return load_posterior(path)
    sampler = SamplerConfig(draws=draws, tune=draws, chains=chains, seed=seed)
    with status(f"Fitting '{family}' on {path} ({chains} chains x {draws} draws)..."):
        return fit(path, ModelSpec(family=family), sampler)


def refit_like(posterior: str | Path, sampler: SamplerConfig
               ) -> tuple[Callable[[CurveData], Any], str]:
    """``data -> posterior`` refitting the model stored in ``posterior`` (family,
    likelihood, priors, NUTS target acceptance), or the default family when the file does
    not exist yet; and a description of the model."""
    posterior = Path(posterior)
    if not posterior.exists():
        return (lambda data: fit(data, ModelSpec(), sampler)), \
            f"the default family '{DEFAULT_FAMILY}'"
    old = load_posterior(posterior)
    sampler = replace(sampler, target_accept=old.sampler.target_accept)
    spec = old.spec
    return (lambda data: fit(data, spec, sampler)), \
        f"'{spec.family}' ({spec.likelihood}, same priors)"


def compare_with_alternatives(model: Any, *, chains: int, seed: int, draws: int = 1000,
                              status: Status = no_status) -> Any:
    """PSIS-LOO table of a fitted curve family against the other curve families.

    The fitted posterior is reused; each alternative is fitted on the same data with
    ``chains x draws`` (same tuning). Returns the table and the advice text.
    """

    posts: dict[str, Any] = {model.family.name: model}
    sampler = SamplerConfig(draws=draws, tune=draws, chains=chains, seed=seed)
    for name in (f for f in CURVE_FAMILIES if f != model.family.name):
        with status(f"Model comparison: fitting {name} ({chains} chains x {draws} "
                    "draws)..."), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            posts[name] = fit(model.data, ModelSpec(family=name), sampler)
    result = compare_posteriors(posts, "curve")
    return result.table, result.advice


# ---------------------------------------------------------------------------- update
def contract_columns(table: pd.DataFrame) -> list[str]:
    """The data-contract columns present in a validated table (drops helper columns)."""
    return [c for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c in table.columns]


def validate_new_rows(old: CurveData, new_results: Path, curves: Path) -> pd.DataFrame:
    """Validated rows of NEW_RESULTS, checked together with the curves they extend.

    New results usually add one size to existing curves, so they are validated in a table
    followed by CURVES' rows: row-level errors name NEW_RESULTS' own rows (and CSV lines).
    """
    raw = read_table_file(new_results, str(new_results), "the new measurements")
    if len(raw) == 0:
        raise InputDataError(f"{new_results}: no rows. Fix: add the new measurements.")
    k = len(raw)
    both = pd.concat([raw, old.table[contract_columns(old.table)]], ignore_index=True)
    origin = f"{new_results} (data rows 1-{k}; later rows are {curves})"
    checked = validate_table(both, origin, csv_lines=new_results.suffix.lower() == ".csv")
    return checked.table.iloc[:k].reset_index(drop=True)


def check_new_rows(old: pd.DataFrame, new: pd.DataFrame, curves: Path,
                   new_results: Path) -> None:
    """Refuse new rows that repeat a (task, sim_source, n_sim, n_real, seed) of CURVES
    (results appended twice would count as extra replicates)."""
    keys = list(KEY_COLUMNS)
    seen = set(old[keys].itertuples(index=False, name=None))
    repeated = [i for i, k in enumerate(new[keys].itertuples(index=False, name=None))
                if k in seen]
    if repeated:
        rows = ", ".join(str(i + 1) for i in repeated[:8]) + (" ..." if len(repeated) > 8
                                                              else "")
        raise InputDataError(
            f"{new_results}, data rows {rows}: {len(repeated)} row(s) repeat a {keys} "
            f"already in {curves} (results appended twice?). Fix: remove them from "
            "NEW_RESULTS, or give new replicates their own seed.")


def append_results(curves: str | Path, new_results: str | Path) -> tuple[CurveData, int]:
    """CURVES plus validated NEW_RESULTS as one validated table (nothing written), and the
    number of rows appended."""
    curves, new_results = Path(curves), Path(new_results)
    old = load_curves(curves)
    new = validate_new_rows(old, new_results, curves)
    check_new_rows(old.table, new, curves, new_results)
    cols = contract_columns(old.table)
    combined = pd.concat([old.table[cols], new[cols]], ignore_index=True)
    return load_curves(combined, origin=f"{curves} + {new_results}"), len(new)


# ---------------------------------------------------------------------------- plans
def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file (plan provenance)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def plan_payload(result: Any, given: dict[str, str], settings: Any,
                 source: str | Path) -> dict[str, Any]:
    """plan.json content: the PlanResult with source names as given, plus provenance."""
    d = result.to_dict()
    d["allocation"] = {given.get(k, k): v for k, v in d["allocation"].items()}
    d["rounds"] = [{given.get(k, k): v for k, v in r.items()} for r in d["rounds"]]
    d["provenance"].update({"posterior": str(source), "posterior_sha256":
                            file_sha256(source), "settings": asdict(settings),
                            "created": datetime.now(UTC).isoformat(timespec="seconds")})
    return dict(d)


def plan_from_settings(model: Any, settings: Any, source: str | Path,
                       status: Status = no_status) -> tuple[dict[str, Any], Any]:
    """Plan with ``settings`` (sequential or multi-round as they say); the plan.json
    payload and the required-size table (``None`` without targets)."""

    problem, given = settings.problem(operating_point_from_table(model.data.table))
    obj = make_objective(settings.objective, **settings.objective_kwargs())
    with status("Optimizing the batch (BoTorch)..."):
        result = recommend(model, problem, obj, settings)
    sizes = required_size_table(model, problem.targets) if problem.targets else None
    return plan_payload(result, given, settings, source), sizes


def write_json(payload: dict[str, Any], path: str | Path) -> Path:
    """Write JSON atomically (temp file + rename)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, default=float) + "\n", encoding="utf-8")
    return Path(path)


def read_plan(path: str | Path) -> dict[str, Any]:
    """plan.json content, checked for the keys the report needs."""
    path = Path(path)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputDataError(f"{path}: cannot read the plan ({exc}). Fix: pass a plan.json "
                             "written by `sim2real plan`.") from exc
    need = ["objective", "allocation", "total_cost", "budget", "expected_error",
            "p_target", "targets", "current_error", "provenance"]
    missing = [k for k in need if k not in payload]
    if not isinstance(payload.get("provenance"), dict) or \
            "settings" not in payload["provenance"]:
        missing.append("provenance.settings")
    if missing:
        raise InputDataError(f"{path}: not a sim2real plan.json (missing {missing}). Fix: "
                             "write it with `sim2real plan`.")
    return dict(payload)


def settings_from_plan(payload: dict[str, Any], path: str | Path) -> Any:
    """The PlanSettings stored in plan.json's provenance."""

    try:
        return PlanSettings(**payload["provenance"]["settings"])
    except TypeError as exc:
        raise InputDataError(f"{path}: provenance.settings does not match this version "
                             f"({exc}). Fix: re-run `sim2real plan`.") from exc


def read_comparison(path: str | Path) -> pd.DataFrame:
    """Read a ``sim2real compare --out`` CSV, with a clear error when it is not one."""
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise InputDataError(f"{path}: cannot read the comparison table ({exc}).") from exc
    missing = {"form", "elpd_loo", "se", "weight"} - set(table.columns)
    if missing:
        raise InputDataError(f"{path}: missing column(s) {sorted(missing)}; write it with "
                             "`sim2real compare CURVES --out compare.csv`.")
    return table


# ---------------------------------------------------------------------------- reports
def demo_settings(model: Any, budget: float = DEMO_BUDGET,
                  experiment_cost: float = DEMO_EXPERIMENT_PRICE,
                  target_fraction: float = DEMO_TARGET_FRACTION,
                  seed: int = 20251125) -> tuple[Any, list[str]]:
    """Demo defaults: every database at price 1, experiments at ``experiment_cost``, each
    task's target at ``target_fraction`` x its current best posterior-mean error; and the
    assumptions as sentences."""


    op = operating_point_from_table(model.data.table)
    costs = {s: DEMO_SIM_PRICE for s in sorted({s for (_, s) in op.n_sim})}
    costs.update({f"real:{t}": float(experiment_cost) for t in op.tasks})
    probe = PlanProblem(tuple(Source(k, v) for k, v in costs.items()), float(budget), op)
    now = TaskErrorEvaluator(model, probe).current().mean(0)
    targets = {t: float(f"{target_fraction * e:.2g}") for t, e in zip(op.tasks, now,
                                                                          strict=True)}
    metrics = model.data.table.groupby("task")["metric"].first()
    lines = [f"One simulation (e.g. one DFT calculation) costs {DEMO_SIM_PRICE:g} unit; one "
             f"experiment costs {experiment_cost:g} units; budget {budget:,.0f} units.",
             *(f"Target for {t}: {metrics[t]} <= {targets[t]:g} (about "
               f"{target_fraction:.0%} of the current best posterior-mean error "
               f"{np.round(e, 3):g})." for t, e in zip(op.tasks, now, strict=True)),
             "Objective: cheapest batch with P(all targets met) >= 90% "
             "(min_cost_with_probability); the closest batch when the budget cannot."]
    settings = PlanSettings(budget=float(budget), costs=costs, targets=targets,
                            objective="min_cost_with_probability", seed=seed)
    return settings, lines


def report_study_count(model: Any, settings: Any) -> int:
    """How many studies :func:`run_report` runs (for a progress bar)."""

    problem, _ = settings.problem(operating_point_from_table(model.data.table))
    return study_count(len(default_budgets(problem.budget)), len(STRATEGIES),
                       len(RATIO_FACTORS))


def run_report(model: Any, source: str | Path, settings: Any, out: str | Path, *,
               payload: dict[str, Any] | None = None, assumptions: list[str] | None = None,
               pdf: bool = False, label: str | None = None, comparison: Any = None,
               status: Status = no_status,
               advance: Callable[[str], None] | None = None) -> tuple[Any, Any]:
    """Plan (unless ``payload`` is given), run the studies and write the report files.

    Returns the :class:`~planner.report.render.ReportFiles` and the report content.
    """

    out, source = Path(out), Path(source)
    problem, given = settings.problem(operating_point_from_table(model.data.table))
    sha = file_sha256(source)
    flags: list[str] = []
    if payload is None:
        obj = make_objective(settings.objective, **settings.objective_kwargs())
        with status("Optimizing the batch (BoTorch)..."):
            result = plan_rounds(model, problem, obj, rounds=settings.rounds,
                                 seed=settings.seed)
        payload = plan_payload(result, given, settings, source)
        write_json(payload, out / "plan.json")
    elif payload["provenance"].get("posterior_sha256") not in (None, sha):
        flags.append(f"plan.json was made from {payload['provenance'].get('posterior')}, "
                     f"not from {source} (different file contents): its numbers may not "
                     "match this posterior.")
    content = report_content(model, payload, problem, given, settings,
                             source=label or str(source), source_sha256=sha,
                             assumptions=assumptions or [], warnings=flags,
                             advance=advance or (lambda label: None), comparison=comparison)
    with status("Drawing figures and writing the report..."):
        return write_report(content, out, pdf=pdf), content


@contextlib.contextmanager
def quiet_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Record warnings instead of printing them (the CLI prints the relevant ones)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
