"""``sim2real report`` and ``sim2real demo``: the decision report (HTML + JSON, optional PDF).

Heavy libraries (PyMC, torch, BoTorch, matplotlib) are imported inside the command bodies.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from planner.cli._common import atomic_write_text, console, fail_on_error, write_table_atomic
from planner.cli._plan import SourceArg

DEMO_BUDGET = 1_000_000.0
DEMO_SIM_PRICE = 1.0
DEMO_EXPERIMENT_PRICE = 500.0
DEMO_TARGET_FRACTION = 0.95


def report(
    source: SourceArg,
    out: Annotated[Path, typer.Option(help="Report directory (report.html, report.json).")],
    plan_file: Annotated[Path | None, typer.Option("--plan", help="plan.json from `sim2real "
                                                   "plan` (else plan here from the options "
                                                   "below).")] = None,
    budget: Annotated[float | None, typer.Option(help="Total budget of the batch.")] = None,
    cost: Annotated[list[str] | None, typer.Option(help="SOURCE=PRICE per sample. "
                                                   "Repeat.")] = None,
    target: Annotated[list[str] | None, typer.Option(help="TASK=ERROR target. "
                                                     "Repeat.")] = None,
    objective: Annotated[str | None, typer.Option(help="Planning objective.")] = None,
    probability: Annotated[float | None, typer.Option(help="Required P(all targets met).")]
    = None,
    rounds: Annotated[int | None, typer.Option(help="Number of rounds.")] = None,
    config: Annotated[Path | None, typer.Option(help="plan.toml (options override it).")]
    = None,
    seed: Annotated[int | None, typer.Option(help="Optimizer seed.")] = None,
    pdf: Annotated[bool, typer.Option(help="Also print report.pdf (needs Chromium).")] = False,
    compare: Annotated[Path | None, typer.Option(help="compare.csv written by `sim2real "
                                                 "compare --out` (shown in the diagnostics "
                                                 "section).")] = None,
) -> None:
    """Write the decision report of a posterior (or curve table) and a plan."""
    from planner.optim.config import load_config, merge_settings, parse_pairs

    with fail_on_error():
        if plan_file is not None:
            payload = read_plan(plan_file)
            settings = settings_from_plan(payload, plan_file)
        else:
            payload = None
            settings = merge_settings(load_config(config), budget=budget,
                                      costs=parse_pairs(cost, "--cost"),
                                      targets=parse_pairs(target, "--target"),
                                      objective=objective, probability=probability,
                                      rounds=rounds, seed=seed)
        from planner.cli._plan import load_model

        model = load_model(source)
        _require_curve_posterior(model, source)
        comparison = read_comparison(compare) if compare is not None else None
        files, content = run_report(model, source, settings, out, payload=payload, pdf=pdf,
                                    comparison=comparison)
    print_decision(content)
    console.print(f"Report written to [bold]{files.html}[/bold] (and report.json)")


def demo(
    out: Annotated[Path, typer.Option(help="Report directory.")] = Path("demo_output"),
    example: Annotated[str, typer.Option(help="Embedded example: band_gap (real, default) "
                                         "or synthetic.")] = "band_gap",
    budget: Annotated[float, typer.Option(min=1.0, help="Budget in cost units.")] =
    DEMO_BUDGET,
    experiment_cost: Annotated[float, typer.Option(min=1e-9, help="Price of one "
                                                   "experiment (one simulation costs 1).")] =
    DEMO_EXPERIMENT_PRICE,
    target_fraction: Annotated[float, typer.Option(min=0.01, max=1.0, help="Target = this "
                                                   "fraction of the current best error.")] =
    DEMO_TARGET_FRACTION,
    draws: Annotated[int, typer.Option(min=10, help="Draws per chain.")] = 2000,
    tune: Annotated[int, typer.Option(min=10, help="Tuning steps per chain.")] = 2000,
    chains: Annotated[int, typer.Option(min=1, help="Chains.")] = 4,
    target_accept: Annotated[float, typer.Option(min=0.5, max=0.999, help="NUTS target "
                                                 "acceptance (high: the 16 band-gap curves "
                                                 "pin the population scale of alpha near "
                                                 "zero, which needs small steps).")] = 0.99,
    seed: Annotated[int, typer.Option(help="Sampler and optimizer seed.")] = 20251125,
    pdf: Annotated[bool, typer.Option(help="Also print report.pdf (needs Chromium).")] = False,
    compare: Annotated[bool, typer.Option(help="Also fit the alternative curve forms and "
                                          "show their PSIS-LOO comparison.")] = True,
) -> None:
    """Fit, plan and report on an embedded example; print the report's path."""
    import time

    from models.examples import example_path
    from models.fit import fit_curves
    from models.spec import SamplerConfig

    start = time.perf_counter()
    with fail_on_error():
        path = _example(example_path, example)
        with console.status(f"Fitting {path.name} ({chains} chains x {draws} draws)..."):
            model = fit_curves(path, None, SamplerConfig(draws=draws, tune=tune, chains=chains,
                                                         seed=seed, target_accept=target_accept))
        settings, assumptions = demo_settings(model, budget, experiment_cost,
                                              target_fraction, seed)
        for line in assumptions:
            console.print(f"[cyan]assumption:[/cyan] {line}", highlight=False)
        comparison = (compare_with_alternatives(model, chains=chains, seed=seed)
                      if compare else None)
        out.mkdir(parents=True, exist_ok=True)
        model.to_netcdf(out / "posterior.nc")
        if comparison is not None:
            write_table_atomic(comparison, out / "compare.csv")
        files, content = run_report(model, out / "posterior.nc", settings, out,
                                    assumptions=assumptions, pdf=pdf, label=str(path),
                                    comparison=comparison)
    print_decision(content)
    console.print(f"Demo finished in {time.perf_counter() - start:.0f} s.")
    console.print(str(files.html.resolve()))


def compare_with_alternatives(model: Any, *, chains: int, seed: int,
                              draws: int = 1000) -> Any:
    """PSIS-LOO table of the fitted power law with floor against the alternative forms.

    The fitted posterior is reused; each alternative form is fitted on the same data with
    ``chains x draws`` (same tuning) so the comparison costs a few fits, not a refit of all.
    """
    from models.compare import compare_posteriors
    from models.curve_forms import CURVE_FORMS, FormSpec, fit_form
    from models.spec import SamplerConfig

    posts: dict[str, Any] = {"power_law_floor": model}
    sampler = SamplerConfig(draws=draws, tune=draws, chains=chains, seed=seed)
    others = [f for f in CURVE_FORMS if f != "power_law_floor"]
    for form in others:
        with console.status(f"Model comparison: fitting {form} ({chains} chains x {draws} "
                            "draws)..."), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            posts[form] = fit_form(model.data, FormSpec(form=form), sampler)
    result = compare_posteriors(posts, "curve")
    if result.advice:
        console.print(f"[yellow]model comparison:[/yellow] {result.advice}", highlight=False)
    return result.table


def _require_curve_posterior(model: Any, source: Path) -> None:
    """The report draws the single-axis curves: refuse surfaces / alternative forms clearly."""
    from models.errors import InputDataError
    from models.posterior import CurvePosterior

    if not isinstance(model, CurvePosterior):
        raise InputDataError(
            f"{source}: holds a {type(model).__name__}; the report is built on the default "
            "single-axis power-law posterior. Fix: pass the curve table or a `sim2real fit` "
            "posterior (surfaces and other forms work with `sim2real plan` and `exchange`; "
            "add their LOO comparison with --compare).")


def read_comparison(path: Path) -> Any:
    """Read a ``sim2real compare --out`` CSV, with a clear error when it is not one."""
    import pandas as pd

    from models.errors import InputDataError

    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise InputDataError(f"{path}: cannot read the comparison table ({exc}).") from exc
    missing = {"form", "elpd_loo", "se", "weight"} - set(table.columns)
    if missing:
        raise InputDataError(f"{path}: missing column(s) {sorted(missing)}; write it with "
                             "`sim2real compare CURVES --out compare.csv`.")
    return table


def _example(example_path: Any, name: str) -> Path:
    from models.errors import InputDataError

    try:
        return Path(example_path(name))
    except KeyError as exc:
        raise InputDataError(str(exc.args[0])) from exc


def demo_settings(model: Any, budget: float, experiment_cost: float,
                  target_fraction: float, seed: int) -> tuple[Any, list[str]]:
    """Demo defaults: every database at price 1, experiments at ``experiment_cost``, each
    task's target at ``target_fraction`` x its current best posterior-mean error."""
    import numpy as np

    from planner.optim.config import PlanSettings
    from planner.optim.evaluate import TaskErrorEvaluator
    from planner.optim.problem import PlanProblem, Source, operating_point_from_table

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


def read_plan(path: Path) -> dict[str, Any]:
    """plan.json content, checked for the keys the report needs."""
    from models.errors import InputDataError

    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputDataError(f"{path}: cannot read the plan ({exc}). Fix: pass a plan.json "
                             "written by `sim2real plan`.") from exc
    need = ["objective", "allocation", "total_cost", "budget", "expected_error",
            "p_target", "targets", "current_error", "provenance"]
    missing = [k for k in need if k not in payload]
    if "settings" not in payload.get("provenance", {}):
        missing.append("provenance.settings")
    if missing:
        raise InputDataError(f"{path}: not a sim2real plan.json (missing {missing}). Fix: "
                             "write it with `sim2real plan`.")
    return dict(payload)


def settings_from_plan(payload: dict[str, Any], path: Path) -> Any:
    """The PlanSettings stored in plan.json's provenance."""
    from models.errors import InputDataError
    from planner.optim.config import PlanSettings

    try:
        return PlanSettings(**payload["provenance"]["settings"])
    except TypeError as exc:
        raise InputDataError(f"{path}: provenance.settings does not match this version "
                             f"({exc}). Fix: re-run `sim2real plan`.") from exc


@contextmanager
def progress_bar(total: int) -> Iterator[Any]:
    """A rich progress bar; yields ``advance(label)``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("report", total=total)

        def advance(label: str) -> None:
            bar.update(task, advance=1, description=label)

        yield advance


def run_report(model: Any, source: Path, settings: Any, out: Path, *,
               payload: dict[str, Any] | None = None, assumptions: list[str] | None = None,
               pdf: bool = False, label: str | None = None,
               comparison: Any = None) -> tuple[Any, Any]:
    """Plan (unless ``payload`` is given), run the studies and write the report files.

    Returns the :class:`~planner.report.render.ReportFiles` and the report content.
    """
    from planner.acquisition import make_objective
    from planner.cli._plan import file_sha256, plan_payload
    from planner.optim.baselines import STRATEGIES
    from planner.optim.multiround import plan_rounds
    from planner.optim.problem import operating_point_from_table
    from planner.report.pipeline import report_content, study_count
    from planner.report.render import write_report
    from planner.report.studies import RATIO_FACTORS, default_budgets

    problem, given = settings.problem(operating_point_from_table(model.data.table))
    sha = file_sha256(source)
    flags: list[str] = []
    if payload is None:
        obj = make_objective(settings.objective, **settings.objective_kwargs())
        with console.status("Optimizing the batch (BoTorch)..."):
            result = plan_rounds(model, problem, obj, rounds=settings.rounds,
                                 seed=settings.seed)
        payload = plan_payload(result, given, settings, source)
        atomic_write_text(json.dumps(payload, indent=2, default=float) + "\n",
                          out / "plan.json")
    elif payload["provenance"].get("posterior_sha256") not in (None, sha):
        flags.append(f"plan.json was made from {payload['provenance'].get('posterior')}, "
                        f"not from {source} (different file contents): its numbers may not "
                        "match this posterior.")
    total = study_count(len(default_budgets(problem.budget)), len(STRATEGIES),
                        len(RATIO_FACTORS))
    with progress_bar(total) as advance:
        content = report_content(model, payload, problem, given, settings,
                                 source=label or str(source), source_sha256=sha,
                                 assumptions=assumptions or [], warnings=flags,
                                 advance=advance, comparison=comparison)
    with console.status("Drawing figures and writing the report..."):
        return write_report(content, out, pdf=pdf), content


def print_decision(content: Any) -> None:
    """The decision summary and red flags on the terminal."""
    from planner.report.formatting import fmt_cost, fmt_int, fmt_pct, fmt_summary

    d = content.decision
    batch = ", ".join(f"{fmt_int(b.count)} {b.source}" for b in d.batch if b.count) or \
        "nothing"
    console.print(f"[bold]Decision:[/bold] buy {batch} for {fmt_cost(d.total_cost)} of "
                  f"{fmt_cost(d.budget)}.", highlight=False)
    for t in d.tasks:
        extra = f"; P(<= {t.target:g}) = {fmt_pct(t.p_target)}" if t.target is not None \
            else ""
        console.print(f"  {t.task} {t.metric}: now {fmt_summary(t.current)}, after "
                      f"{fmt_summary(t.after)}{extra}", highlight=False)
    console.print(f"  {d.exchange_sentence}", highlight=False)
    for flag in content.red_flags:
        console.print(f"[bold red]red flag:[/bold red] {flag}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``demo`` to ``app``."""
    app.command("report")(report)
    app.command("demo")(demo)
