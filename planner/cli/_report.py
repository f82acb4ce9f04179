"""``sim2real report`` and ``sim2real demo``: the decision report (HTML + JSON, optional PDF).

Heavy libraries (PyMC, torch, BoTorch, matplotlib) are imported inside the command bodies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from sim2real.planner.cli._common import (
    console,
    escape,
    fail_on_error,
    note,
    progress_bar,
    status,
    write_table_atomic,
)
from sim2real.planner.cli._plan import SourceArg
from sim2real.planner.defaults import DEMO_BUDGET, DEMO_EXPERIMENT_PRICE, DEMO_TARGET_FRACTION


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
    from sim2real.planner.cli._inputs import load_plan_config
    from sim2real.planner.optim.config import merge_settings, parse_pairs
    from sim2real.planner.workflow import read_comparison, read_plan, settings_from_plan

    with fail_on_error():
        check_output_dir(out)
        if plan_file is not None:
            payload = read_plan(plan_file)
            settings = settings_from_plan(payload, plan_file)
        else:
            payload = None
            settings = merge_settings(load_plan_config(config), budget=budget,
                                      costs=parse_pairs(cost, "--cost"),
                                      targets=parse_pairs(target, "--target"),
                                      objective=objective, probability=probability,
                                      rounds=rounds, seed=seed)
        from sim2real.planner.cli._plan import load_model

        model = load_model(source)
        comparison = read_comparison(compare) if compare is not None else None
        files, content = run_report(model, source, settings, out, payload=payload, pdf=pdf,
                                    comparison=comparison)
    print_decision(content)
    note(f"Report written to {files.html} (and report.json)")


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
    draws: Annotated[int, typer.Option(min=10, help="Draws per chain.")] = 1000,
    tune: Annotated[int, typer.Option(min=10, help="Tuning steps per chain.")] = 1000,
    chains: Annotated[int, typer.Option(min=1, help="Chains.")] = 4,
    target_accept: Annotated[float, typer.Option(min=0.5, max=0.999, help="NUTS target "
                                                 "acceptance (high: the 16 band-gap curves "
                                                 "pin the population scale of alpha near "
                                                 "zero, which needs small steps).")] = 0.99,
    seed: Annotated[int, typer.Option(help="Sampler and optimizer seed.")] = 20251125,
    pdf: Annotated[bool, typer.Option(help="Also print report.pdf (needs Chromium).")] = False,
    compare: Annotated[bool, typer.Option(help="Also fit the other single-axis families "
                                          "and show their PSIS-LOO comparison.")] = True,
    family: Annotated[str, typer.Option("--family", help="Model family fitted and planned "
                                        "with (default auto: the joint surface on the "
                                        "band-gap grid; any of `sim2real fit --help`).")] =
    "auto",
) -> None:
    """Fit, plan and report on an embedded example; print the report's path."""
    import time

    from sim2real.models.examples import example_path
    from sim2real.models.inference.fit import fit
    from sim2real.models.inference.spec import ModelSpec, SamplerConfig
    from sim2real.planner.workflow import compare_with_alternatives, demo_settings

    start = time.perf_counter()
    with fail_on_error():
        check_output_dir(out)
        path = _example(example_path, example)
        with status(f"Fitting {path.name} ({chains} chains x {draws} draws)..."):
            sampler = SamplerConfig(draws=draws, tune=tune, chains=chains, seed=seed,
                                    target_accept=target_accept)
            model = fit(path, ModelSpec(family=family), sampler)
        settings, assumptions = demo_settings(model, budget, experiment_cost,
                                              target_fraction, seed)
        for line in assumptions:
            console.print(f"[cyan]assumption:[/cyan] {escape(line)}", highlight=False)
        comparison = None
        if compare and model.family.layout == "curve":
            comparison, advice = compare_with_alternatives(model, chains=chains, seed=seed,
                                                           status=status)
            if advice:
                console.print(f"[yellow]model comparison:[/yellow] {escape(advice)}",
                              highlight=False)
        out.mkdir(parents=True, exist_ok=True)
        model.to_netcdf(out / "posterior.nc")
        if comparison is not None:
            write_table_atomic(comparison, out / "compare.csv")
        files, content = run_report(model, out / "posterior.nc", settings, out,
                                    assumptions=assumptions, pdf=pdf,
                                    comparison=comparison)
    print_decision(content)
    console.print(f"Demo finished in {time.perf_counter() - start:.0f} s.")
    console.print(str(files.html.resolve()))


def check_output_dir(out: Path) -> None:
    """Refuse a report directory that is an existing file, before any work."""
    from sim2real.models.errors import InputDataError

    if out.exists() and not out.is_dir():
        raise InputDataError(f"{out}: is a file, not a directory. Fix: give a directory for "
                             "--out (it is created when missing).")


def _example(example_path: Any, name: str) -> Path:
    from sim2real.models.errors import InputDataError

    try:
        return Path(example_path(name))
    except KeyError as exc:
        raise InputDataError(str(exc.args[0])) from exc


def run_report(model: Any, source: Path, settings: Any, out: Path, **kwargs: Any
               ) -> tuple[Any, Any]:
    """:func:`planner.workflow.run_report` with a progress bar and status messages."""
    from sim2real.planner.workflow import report_study_count
    from sim2real.planner.workflow import run_report as run

    with progress_bar(report_study_count(model, settings)) as advance:
        return run(model, source, settings, out, status=status, advance=advance,
                   **kwargs)


def print_decision(content: Any) -> None:
    """The decision summary and red flags on the terminal."""
    from sim2real.planner.report.formatting import fmt_cost, fmt_int, fmt_pct, fmt_summary

    d = content.decision
    batch = ", ".join(f"{fmt_int(b.count)} {b.source}" for b in d.batch if b.count) or \
        "nothing"
    console.print("[bold]Decision:[/bold] " + escape(f"buy {batch} for "
                  f"{fmt_cost(d.total_cost)} of {fmt_cost(d.budget)}."), highlight=False)
    for t in d.tasks:
        kind = "a run " if t.probability_of == "run" else ""
        extra = f"; P({kind}<= {t.target:g}) = {fmt_pct(t.p_target)}" if t.target is not None \
            else ""
        console.print(escape(f"  {t.task} {t.metric}: now {fmt_summary(t.current)}, after "
                             f"{fmt_summary(t.after)}{extra}"), highlight=False)
    console.print(escape(f"  {d.exchange_sentence}"), highlight=False)
    for flag in content.red_flags:
        console.print(f"[bold red]red flag:[/bold red] {escape(flag)}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``demo`` to ``app``."""
    app.command("report")(report)
    app.command("demo")(demo)
