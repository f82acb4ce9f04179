"""The public workflow API: load or fit a model, plan, update, report, demo.

The ``sim2real`` commands are thin layers over these functions, and notebooks and the
case studies call them directly (no private CLI module is needed). Progress is reported
through optional callbacks (``status``: a context-manager factory taking a message;
``advance``: a function taking a label), so the library prints nothing by itself.

Examples
--------
>>> from sim2real.planner.workflow import load_model                       # doctest: +SKIP
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

from sim2real.models.data.contract import (
    KEY_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    CurveData,
    load_curves,
    read_table_file,
    validate_table,
)
from sim2real.models.data.io import atomic_path
from sim2real.models.errors import InputDataError, PlanningError
from sim2real.models.evaluation.compare import compare_posteriors
from sim2real.models.families import AUTO, CURVE_FAMILIES
from sim2real.models.inference.fit import fit
from sim2real.models.inference.spec import ModelSpec, SamplerConfig
from sim2real.models.posterior.base import check_queries
from sim2real.models.posterior.storage import load_posterior
from sim2real.planner.acquisition import make_objective
from sim2real.planner.decisions import required_size_table
from sim2real.planner.defaults import (
    DEMO_BUDGET,
    DEMO_EXPERIMENT_PRICE,
    DEMO_SIM_PRICE,
    DEMO_TARGET_FRACTION,
)
from sim2real.planner.optim.baselines import STRATEGIES
from sim2real.planner.optim.config import PlanSettings
from sim2real.planner.optim.evaluate import TaskErrorEvaluator
from sim2real.planner.optim.multiround import plan_rounds, recommend
from sim2real.planner.optim.pilot import pilot_value
from sim2real.planner.optim.preposterior import forecast_schedule
from sim2real.planner.optim.problem import (
    REAL_PREFIX,
    PlanProblem,
    Source,
    operating_point_from_table,
)
from sim2real.planner.report.pipeline import report_content, study_count
from sim2real.planner.report.render import write_report
from sim2real.planner.report.studies import RATIO_FACTORS, default_budgets

NETCDF = (".nc", ".netcdf", ".nc4")
# plan.json layout version: the minor grows with added keys (older readers still work),
# the major with changes that older readers would misread (they refuse it).
PLAN_SCHEMA_VERSION = "2.1"

Status = Callable[[str], contextlib.AbstractContextManager[Any]]


def no_status(message: str) -> contextlib.AbstractContextManager[Any]:
    """A status callback that shows nothing."""
    return contextlib.nullcontext()


# ---------------------------------------------------------------------------- models
def load_model(path: str | Path, *, family: str | None = AUTO, draws: int = 500,
               chains: int = 2, seed: int = 20251125, status: Status = no_status) -> Any:
    """A posterior from a netCDF file (any family), or ``family`` fitted on a curve table.

    Parameters
    ----------
    path : str or Path
        ``.nc`` written by ``sim2real fit`` (or :meth:`Posterior.to_netcdf`), or a
        learning-curve table (``.csv`` / ``.parquet``), fitted with a quick sampler.
    family : str, optional
        Family fitted when ``path`` is a table (default ``"auto"``: the joint surface where
        the data has an n_sim x n_real grid, else the default curve family).
    """
    family = family or AUTO
    path = Path(path)
    if not path.exists():
        raise InputDataError(f"{path}: no such file. Fix: pass a posterior written by "
                             "`sim2real fit` (.nc) or a learning-curve table.")
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
        return (lambda data: fit(data, ModelSpec(family=AUTO), sampler)), \
            "the planning model the data supports (family 'auto')"
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


def predict_file(posterior: str | Path, at: str | Path,
                 quantiles: list[float]) -> tuple[pd.DataFrame, Any]:
    """Predictions (with extrapolation factors) of the posterior file ``posterior`` at the
    queries of the table ``at`` (columns task, sim_source, n_sim, n_real); and the
    posterior. Nothing is written.

    The query table is read and checked before the posterior is loaded.
    """
    at = Path(at)
    queries = read_table_file(at, str(at), "a query table (columns task, sim_source, "
                              "n_sim, n_real)")
    check_queries(queries, str(at))
    post = load_posterior(posterior)
    return post.predict(queries, quantiles, origin=str(at)), post


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
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise InputDataError(f"{new_results}: missing column(s) {missing}; found "
                             f"{list(raw.columns)}. Fix: new results need the columns of "
                             f"{curves}: {list(REQUIRED_COLUMNS)}.")
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
    d = {"schema_version": PLAN_SCHEMA_VERSION, **result.to_dict()}
    d["allocation"] = {given.get(k, k): v for k, v in d["allocation"].items()}
    d["rounds"] = [{given.get(k, k): v for k, v in r.items()} for r in d["rounds"]]
    d["constraints"] = settings.constraints()     # per source: min, max, setup, budget...
    d["setup_paid"] = {given.get(k, k): v
                       for k, v in d["provenance"].pop("setup_paid", {}).items()}
    d["provenance"].update({"posterior": str(source), "posterior_sha256":
                            file_sha256(source), "settings": asdict(settings),
                            "created": datetime.now(UTC).isoformat(timespec="seconds")})
    return dict(d)


def check_budget(budget: Any) -> None:
    """Refuse a budget that is not a finite number > 0, before any planning.

    Examples
    --------
    >>> try:
    ...     check_budget(float("nan"))
    ... except PlanningError as exc:
    ...     print(str(exc)[:37])
    --budget nan: must be a finite number
    """
    if not isinstance(budget, int | float) or not np.isfinite(budget) or budget <= 0:
        raise PlanningError(f"--budget {budget}: must be a finite number > 0 (cost units). "
                            "Fix: pass the total budget of the batch, e.g. --budget 10000.")


def check_priced_routes(problem: Any, rounds: int = 1) -> None:
    """Refuse a target whose task no priced source can change (the optimizer would
    otherwise return a batch that ignores it), and fewer than one round; before any
    optimization.

    Examples
    --------
    >>> from sim2real.planner.optim.problem import OperatingPoint
    >>> op = OperatingPoint({("a", "mp"): 100.0}, {("a", "mp"): 10.0}, {"a": 10.0, "b": 5.0})
    >>> problem = PlanProblem((Source("mp", 1.0),), 100.0, op, {"b": 0.1})
    >>> try:
    ...     check_priced_routes(problem)
    ... except PlanningError as exc:
    ...     print(str(exc)[:48])
    --target b=0.1: no priced source changes task 'b
    """
    if rounds < 1:
        raise PlanningError(f"--rounds {rounds}: must be >= 1. Fix: pass --rounds 1 (one "
                            "batch now) or more.")
    pairs = problem.operating.n_sim
    covered: set[str] = set()
    for src in problem.sources:
        if src.name.startswith(REAL_PREFIX):
            covered.add(src.name[len(REAL_PREFIX):])
        else:
            covered |= {t for (t, s) in pairs if s == src.name}
    for task, target in problem.targets.items():
        if task not in covered:
            dbs = sorted(s for (t, s) in pairs if t == task)
            raise PlanningError(
                f"--target {task}={target:g}: no priced source changes task '{task}' "
                f"(priced: {[s.name for s in problem.sources]}). Fix: add --cost "
                f"real:{task}=PRICE" + (f" or --cost {dbs[0]}=PRICE (databases of "
                                        f"'{task}': {dbs})" if dbs else "")
                + ", or drop the target.")


def plan_from_settings(model: Any, settings: Any, source: str | Path,
                       status: Status = no_status, flips: bool = False, *,
                       forecast_worlds: int = 0, pilot_worlds: int = 0,
                       advance: Callable[[str], None] | None = None
                       ) -> tuple[dict[str, Any], Any]:
    """Plan with ``settings`` (sequential or multi-round as they say); the plan.json
    payload and the required-size table (``None`` without targets).

    ``flips``: also compute the price flip point of every (experiment, database) pair
    (:mod:`planner.optim.flip`), stored under ``flip_points`` with names as given.
    ``forecast_worlds`` > 0 with ``settings.remaining_rounds`` > 1: the whole schedule
    (:func:`planner.optim.preposterior.forecast_schedule`) under ``schedule``;
    ``pilot_worlds`` > 0: the value of a pilot round
    (:func:`planner.optim.pilot.pilot_value`) under ``pilot``. ``advance`` is
    called after every simulated truth of either (progress bars).
    """

    check_budget(settings.budget)
    problem, given = settings.problem(operating_point_from_table(model.data.table))
    check_priced_routes(problem, settings.rounds)
    if (forecast_worlds or pilot_worlds) and not problem.targets:
        raise PlanningError("--pilot and the schedule forecast need targets: pass --target "
                            "TASK=ERROR (and the default min_cost_with_probability "
                            "objective).")
    if pilot_worlds and settings.objective != "min_cost_with_probability":
        raise PlanningError(f"--pilot compares against the cheapest batch reaching "
                            f"--probability; objective '{settings.objective}' has none. Fix: "
                            "use --objective min_cost_with_probability (the default with "
                            "targets).")
    obj = make_objective(settings.objective, **settings.objective_kwargs())
    with status("Optimizing the batch (BoTorch)..."):
        result = recommend(model, problem, obj, settings)
    sizes = required_size_table(model, problem.targets) if problem.targets else None
    payload = plan_payload(result, given, settings, source)
    if flips:
        with status("Price flip points (re-planning at other experiment prices)..."):
            payload["flip_points"] = flip_payload(model, problem, obj, given, settings.seed,
                                                  result.allocation)
    if forecast_worlds and settings.remaining_rounds > 1:
        payload["schedule"] = forecast_schedule(
            model, problem, settings.probability, settings.remaining_rounds, result,
            worlds=forecast_worlds, penalty=settings.penalty, seed=settings.seed,
            progress=advance).to_dict()
    if pilot_worlds:
        one_shot = settings.remaining_rounds == 1 and settings.rounds == 1
        payload["pilot"] = pilot_value(
            model, problem, settings.probability, commit=result if one_shot else None,
            worlds=pilot_worlds,
            penalty=settings.penalty, seed=settings.seed,
            progress=advance).renamed(given).to_dict()
    return payload, sizes


def preposterior_steps(model: Any, settings: Any, forecast_worlds: int,
                       pilot_worlds: int) -> int:
    """Progress steps of :func:`plan_from_settings`'s forecasts (one per simulated truth
    and candidate pilot; candidates are counted as one per priced source)."""
    steps = forecast_worlds if settings.remaining_rounds > 1 else 0
    return steps + pilot_worlds * len(settings.costs)


def flip_payload(model: Any, problem: Any, objective: Any, given: dict[str, str],
                 seed: int, bought: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """plan.json ``flip_points``: :func:`planner.optim.flip.price_flips` (the best
    database of each task and those ``bought``), names as given."""
    from sim2real.planner.optim.flip import price_flips

    out = []
    for f in price_flips(model, problem, objective, seed, bought=bought):
        d = f.to_dict()
        d["experiment"] = given.get(f.experiment, f.experiment)
        d["database"] = given.get(f.database, f.database)
        if d.get("allocation"):
            d["allocation"] = {given.get(k, k): v for k, v in d["allocation"].items()}
        out.append(d)
    return out


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
    check_plan_version(payload, path)
    if not isinstance(payload, dict):
        raise InputDataError(f"{path}: not a sim2real plan.json (a JSON "
                             f"{type(payload).__name__}, not an object). Fix: write it with "
                             "`sim2real plan`.")
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


def check_plan_version(payload: Any, path: str | Path) -> None:
    """Refuse a plan.json of a newer major schema version (files without the field are
    older ones, read as 1.x).

    Examples
    --------
    >>> check_plan_version({"schema_version": "1.3"}, "plan.json")
    >>> check_plan_version({"schema_version": "3.0"}, "plan.json")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sim2real.models.errors.InputDataError: plan.json: plan.json schema version 3.0 is newer...
    """
    version = payload.get("schema_version", "1.0") if isinstance(payload, dict) else "1.0"
    major = str(version).split(".")[0]
    ours = PLAN_SCHEMA_VERSION.split(".")[0]
    if not major.isdigit():
        raise InputDataError(f"{path}: schema_version {version!r} is not MAJOR.MINOR. Fix: "
                             "write the plan with `sim2real plan`.")
    if int(major) > int(ours):
        raise InputDataError(f"{path}: plan.json schema version {version} is newer than "
                             f"this sim2real reads ({ours}.x). Fix: upgrade sim2real-planner,"
                             " or re-run `sim2real plan` with this version.")


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
        raise InputDataError(f"{path}: cannot read the comparison table ({exc}). Fix: "
                             "write it with `sim2real compare CURVES --out compare.csv`.") \
            from exc
    missing = {"form", "elpd_loo", "se", "weight"} - set(table.columns)
    if missing:
        raise InputDataError(f"{path}: missing column(s) {sorted(missing)}. Fix: write it "
                             "with `sim2real compare CURVES --out compare.csv`.")
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
    check_budget(settings.budget)
    problem, _ = settings.problem(operating_point_from_table(model.data.table))
    return study_count(len(default_budgets(problem.budget)), len(STRATEGIES),
                       len(RATIO_FACTORS))


def run_report(model: Any, source: str | Path, settings: Any, out: str | Path, *,
               payload: dict[str, Any] | None = None, assumptions: list[str] | None = None,
               pdf: bool = False, comparison: Any = None, status: Status = no_status,
               advance: Callable[[str], None] | None = None,
               studies: dict[str, Any] | None = None) -> tuple[Any, Any]:
    """Plan (unless ``payload`` is given), run the studies and write the report files.

    ``source`` is the posterior file: report.json names it and records its SHA-256 (the
    curve table it was fitted on is named in the data section). ``studies``: keyword
    arguments of the studies (``budgets``, ``ratio_factors`` of
    :func:`~planner.report.pipeline.report_content`; smaller is faster).
    Returns the :class:`~planner.report.render.ReportFiles` and the report content.
    """

    out, source = Path(out), Path(source)
    check_budget(settings.budget)
    problem, given = settings.problem(operating_point_from_table(model.data.table))
    check_priced_routes(problem, settings.rounds)
    sha = file_sha256(source)
    flags: list[str] = []
    if payload is None:
        obj = make_objective(settings.objective, **settings.objective_kwargs())
        with status("Optimizing the batch (BoTorch)..."):
            result = plan_rounds(model, problem, obj, rounds=settings.rounds,
                                 seed=settings.seed)
        payload = plan_payload(result, given, settings, source)
        payload["flip_points"] = flip_payload(model, problem, obj, given, settings.seed,
                                              result.allocation)
        write_json(payload, out / "plan.json")
    elif payload["provenance"].get("posterior_sha256") not in (None, sha):
        flags.append(f"plan.json was made from {payload['provenance'].get('posterior')}, "
                     f"not from {source} (different file contents): its numbers may not "
                     "match this posterior.")
    content = report_content(model, payload, problem, given, settings,
                             source=str(source), source_sha256=sha,
                             assumptions=assumptions or [], warnings=flags,
                             advance=advance or (lambda label: None), comparison=comparison,
                             **(studies or {}))
    with status("Drawing figures and writing the report..."):
        return write_report(content, out, pdf=pdf), content


@contextlib.contextmanager
def quiet_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Record warnings instead of printing them (the CLI prints the relevant ones)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
