"""``sim2real plan | exchange | update``: decisions from a posterior.

Heavy libraries (PyMC, torch, BoTorch) are imported inside the command bodies.
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
)
from sim2real.planner.cli._curves import check_output_path
from sim2real.planner.defaults import FORECAST_WORLDS, PILOT_WORLDS

SourceArg = Annotated[Path, typer.Argument(help="Posterior (.nc from `sim2real fit`) or a "
                                           "learning-curve table (.csv/.parquet; fitted "
                                           "first).")]


def load_model(path: Path, family: str | None = None) -> Any:
    """A posterior file of any family, or ``family`` fitted on a curve table (default
    ``auto``: the joint surface where the data has an n_sim x n_real grid)."""
    from sim2real.planner.workflow import load_model as load

    return load(path, family=family or "auto", status=status)


def plan(
    source: SourceArg,
    budget: Annotated[float | None, typer.Option(help="Total budget of the batch.")] = None,
    cost: Annotated[list[str] | None, typer.Option(help="SOURCE=PRICE per sample; a "
                                                   "sim_source name or real:<task> "
                                                   "(plain `real` with one task). "
                                                   "Repeat.")] = None,
    target: Annotated[list[str] | None, typer.Option(help="TASK=ERROR target. "
                                                     "Repeat.")] = None,
    objective: Annotated[str | None, typer.Option(help="expected_error, prob_all_targets, "
                                                  "cvar or min_cost_with_probability "
                                                  "(default with targets).")] = None,
    probability: Annotated[float | None, typer.Option(help="Required P(all targets met) "
                                                      "for min_cost_with_probability.")] =
    None,
    probability_of: Annotated[str | None, typer.Option(
        help="What P(target) is a probability of: run (default: one training run at the "
             "bought sizes reaches the target, the model's run-to-run noise included) or "
             "expected (the posterior expected error does).")] = None,
    rounds: Annotated[int | None, typer.Option(help="Number of rounds T (equal budgets; "
                                               "the first is what to do now).")] = None,
    remaining_rounds: Annotated[int | None, typer.Option(
        "--rounds-left", "--remaining-rounds",
        help="Sequential policy: rounds left including this one (K > 1 asks this batch "
             "for a share of --probability; plan again after `sim2real update`). K > 1 "
             "also forecasts the whole schedule (see --forecast-worlds).")] = None,
    forecast_worlds: Annotated[int, typer.Option(
        min=0, help="Simulated outcomes of the schedule forecast with --rounds-left K > 1 "
                    "(what triggers each round, expected total cost, failure probability; "
                    "about K - 1 plans each; 0 skips it).")] = FORECAST_WORLDS,
    pilot: Annotated[bool, typer.Option(
        help="Also value a pilot round: a small batch on one source, measured before "
             "committing to the plan (expected saving in cost-to-target; one plan per "
             "simulated outcome and candidate).")] = False,
    pilot_worlds: Annotated[int, typer.Option(
        min=2, help="Simulated outcomes per candidate pilot.")] = PILOT_WORLDS,
    max_: Annotated[list[str] | None, typer.Option(
        "--max", help="SOURCE=N most new samples of a source (a database's candidates, a "
                      "lab's capacity per round). Repeat.")] = None,
    min_: Annotated[list[str] | None, typer.Option(
        "--min", help="SOURCE=N fewest new samples (a batch minimum; the source is then "
                      "always bought). Repeat.")] = None,
    setup: Annotated[list[str] | None, typer.Option(
        help="SOURCE=COST fixed cost paid once if the batch buys any of the source. "
             "Repeat.")] = None,
    config: Annotated[Path | None, typer.Option(help="plan.toml with the same settings "
                                                "(options override it).")] = None,
    out: Annotated[Path, typer.Option(help="Where to write plan.json.")] = Path("plan.json"),
    seed: Annotated[int | None, typer.Option(help="Optimizer seed.")] = None,
    flip_points: Annotated[bool, typer.Option(
        help="Also find the experiment price at which the recommendation flips between "
             "experiments and simulations (re-plans ~10 times per pair; the report always "
             "does).")] = False,
) -> None:
    """Recommend the next batch of simulations and experiments under a budget."""
    from sim2real.planner.cli._inputs import load_plan_config
    from sim2real.planner.optim.config import merge_settings, parse_pairs
    from sim2real.planner.workflow import plan_from_settings, preposterior_steps, write_json

    with fail_on_error():
        settings = merge_settings(load_plan_config(config), budget=budget,
                                  costs=parse_pairs(cost, "--cost"),
                                  targets=parse_pairs(target, "--target"),
                                  max=parse_pairs(max_, "--max", minimum=0, whole=True),
                                  min=parse_pairs(min_, "--min", minimum=0, whole=True),
                                  setup=parse_pairs(setup, "--setup", minimum=0),
                                  objective=objective, probability=probability,
                                  probability_of=probability_of, rounds=rounds,
                                  remaining_rounds=remaining_rounds, seed=seed)
        check_output_path(out)
        model = load_model(source)
        worlds = forecast_worlds if settings.remaining_rounds > 1 else 0
        with progress_bar(preposterior_steps(model, settings, worlds,
                                             pilot_worlds if pilot else 0)) as advance:
            payload, sizes = plan_from_settings(
                model, settings, source, status=status, flips=flip_points,
                forecast_worlds=worlds, pilot_worlds=pilot_worlds if pilot else 0,
                advance=advance)
        write_json(payload, out)
    print_plan(payload, sizes)
    note(f"Plan written to {out}")


def print_plan(payload: dict[str, Any], sizes: Any) -> None:
    """Rich summary of a plan."""
    import pandas as pd

    from sim2real.planner.report.tables import render_frame

    alloc = pd.DataFrame({"source": list(payload["allocation"]),
                          "new samples": list(payload["allocation"].values())})
    console.print(render_frame(alloc, title=f"Recommended batch ({payload['objective']})"))
    console.print(f"Cost {payload['total_cost']:,.2f} of budget {payload['budget']:,.2f}")
    for line in (setup_line(payload), constraints_line(payload)):
        if line:
            console.print(escape(line), highlight=False, soft_wrap=True)
    rows = []
    run = payload.get("probability_of") == "run"
    for task, s in payload["expected_error"].items():
        now = payload["current_error"].get(task, {})
        rows.append({"task": task, "now (mean)": now.get("mean"),
                     "after (mean)": s["mean"], "q05": s["q05"], "q95": s["q95"],
                     "target": payload["targets"].get(task),
                     "P(run <= target)" if run else "P(target)": payload["p_target"].get(task),
                     **({"P(expected <= target)": payload.get("p_target_expected", {}).get(
                         task)} if run else {})})
    console.print(render_frame(pd.DataFrame(rows), title="Expected error after the batch"))
    if run:
        note("P(run <= target): the chance that one training run at the bought sizes "
             "reaches the target (the model's run-to-run noise included); the planner "
             "optimizes it (--probability-of expected: of the expected error instead).")
    if payload["provenance"].get("p_all_targets") is not None:
        console.print(f"P(all targets met) = {payload['provenance']['p_all_targets']:.3f}")
    if len(payload["rounds"]) > 1:
        console.print(escape(f"Rounds: {payload['rounds']}"), highlight=False)
    if payload["provenance"].get("fallback"):
        console.print(f"[yellow]Note:[/yellow] {escape(payload['provenance']['fallback'])}.",
                      soft_wrap=True, highlight=False)
    if payload["provenance"].get("out_of_reach_note"):
        console.print(f"[yellow]Note:[/yellow] "
                      f"{escape(payload['provenance']['out_of_reach_note'])}.",
                      soft_wrap=True, highlight=False)
    print_preposterior(payload)
    for f in payload.get("flip_points", []):
        where = (f"flips at {f['ratio']:,.3g} simulations per experiment"
                 if f["ratio"] is not None else f"does not flip ({f['note']})")
        console.print(escape(
            f"Price flip {f['experiment']} vs {f['database']}: the batch {where}; "
            f"marginal rate there {f['rate_q50']:,.3g} [{f['rate_q05']:,.3g}, "
            f"{f['rate_q95']:,.3g}]; your price {f['current_ratio']:,.3g}."), highlight=False)
    if sizes is not None:
        for _, r in sizes[sizes["note"] != ""].iterrows():
            console.print(f"[yellow]{escape(str(r['task']))} via {escape(str(r['route']))}:"
                          f"[/yellow] P(unreachable) = {r['p_unreachable']:.2f}; "
                          f"{escape(str(r['note']))}.", highlight=False)


def setup_line(payload: dict[str, Any]) -> str | None:
    """One line with the set-up costs the plan pays (``None`` without set-up costs).

    Examples
    --------
    >>> setup_line({"setup_paid": {"real:gap": 5000.0}, "constraints": {}})
    'Set-up costs paid: real:gap 5,000.00'
    >>> setup_line({"setup_paid": {}, "constraints": {"real:gap": {"setup": 5000.0}}})
    'Set-up costs paid: none'
    """
    paid = payload.get("setup_paid") or {}
    has_setup = any((b or {}).get("setup") for b in (payload.get("constraints") or {}).values())
    if not paid and not has_setup:
        return None
    text = ", ".join(f"{name} {cost:,.2f}" for name, cost in paid.items())
    return f"Set-up costs paid: {text or 'none'}"


def constraints_line(payload: dict[str, Any]) -> str | None:
    """One line with the per-source constraints of the plan (``None`` without any).

    Examples
    --------
    >>> constraints_line({"constraints": {"mp": {"min": 10, "max": 5000}}})
    'Constraints: mp min=10, max=5,000'
    """
    parts = [f"{name} " + ", ".join(f"{key}={_number(value)}" for key, value in b.items())
             for name, b in (payload.get("constraints") or {}).items() if b]
    return "Constraints: " + "; ".join(parts) if parts else None


def _number(value: Any) -> str:
    """A bound for display: numbers with thousands separators, anything else as is."""
    return f"{value:,.6g}" if isinstance(value, int | float) else str(value)


def exchange(
    source: SourceArg,
    task: Annotated[list[str] | None, typer.Option(help="Task(s); default all.")] = None,
    out: Annotated[Path | None, typer.Option(help="Optional CSV of the table.")] = None,
    surface: Annotated[str | None, typer.Option(help="Family to fit when SOURCE is a "
                                                "table (e.g. edt: rates from a two-axis "
                                                "surface); with a .nc, checks its family.")]
    = None,
) -> None:
    """Sim-to-real exchange rates (with 5/50/95% intervals) and database values."""
    from sim2real.planner.cli._common import write_table_atomic
    from sim2real.planner.decisions import database_value_table, exchange_table
    from sim2real.planner.report.tables import render_exchange, render_frame

    with fail_on_error():
        if out is not None:
            check_output_path(out)
        model = load_model(source, family=surface)
        if surface is not None and model.family.name != surface:
            from sim2real.models.errors import InputDataError

            raise InputDataError(f"{source}: holds a '{model.family.name}' posterior but "
                                 f"--surface {surface} was asked. Fix: pass --surface "
                                 f"{model.family.name}, or drop --surface.")
        rates = exchange_table(model, tasks=task or None)
        value = database_value_table(model)
        if out is not None:
            write_table_atomic(rates, out)
    if task:
        value = value[value["task"].isin(task)]
    for table in render_exchange(rates, suffix=f" ({model.family.name})"):
        console.print(table)
    short = value.rename(columns=lambda c: c.replace("reduction_", ""))
    console.print(render_frame(short, title="Error reduction per 1,000 more simulations"))
    if out is not None:
        note(f"Table written to {out}")


def update(
    curves: Annotated[Path, typer.Argument(help="Existing learning-curve table.")],
    new_results: Annotated[Path, typer.Argument(help="New measurements, same columns.")],
    out_curves: Annotated[Path | None, typer.Option(help="Combined table (default: "
                                                    "overwrite CURVES).")] = None,
    posterior: Annotated[Path, typer.Option(help="Refitted posterior (netCDF).")] =
    Path("posterior.nc"),
    draws: Annotated[int, typer.Option(min=1, help="Draws per chain.")] = 1000,
    chains: Annotated[int, typer.Option(min=1, help="Chains.")] = 4,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 20251125,
) -> None:
    """Append validated new measurements to CURVES and refit the posterior.

    When the --posterior file exists, the refit uses its model (curve form or surface,
    likelihood, priors, NUTS target acceptance); otherwise the default power law.
    """
    from sim2real.models.inference.spec import SamplerConfig
    from sim2real.planner.cli._common import write_table_atomic
    from sim2real.planner.workflow import append_results, contract_columns, refit_like

    with fail_on_error():
        data, n_new = append_results(curves, new_results)
        sampler = SamplerConfig(draws=draws, tune=draws, chains=chains, seed=seed)
        check_output_path(posterior)
        check_output_path(out_curves or curves)
        refit, model = refit_like(posterior, sampler)
        with status(f"Refitting {model} on {len(data.table)} rows..."):
            post = refit(data)
        post.to_netcdf(posterior)
        write_table_atomic(data.table[contract_columns(data.table)], out_curves or curves)
    note(f"Appended {n_new} rows; table written to {out_curves or curves}, posterior to "
         f"{posterior}")


def register(app: typer.Typer) -> None:
    """Add the planning commands to ``app``."""
    app.command("plan")(plan)
    app.command("exchange")(exchange)
    app.command("update")(update)


def print_preposterior(payload: dict[str, Any]) -> None:
    """The schedule forecast and the pilot value of a plan, if computed."""
    import pandas as pd

    from sim2real.planner.report.tables import render_frame

    sched = payload.get("schedule")
    if sched:
        frame = pd.DataFrame(sched["rounds"]).rename(columns={
            "share_buying": "share buying", "mean_cost": "mean spend"})
        console.print(render_frame(frame, title="Sequential schedule (simulated)"))
        console.print(escape(
            f"Expected total cost {sched['expected_total_cost']:,.0f} (80% range "
            f"{sched['cost_q10']:,.0f} to {sched['cost_q90']:,.0f}); P(the final training "
            f"run misses a target) {sched['failure']:.0%} +- {sched['failure_se']:.0%}."),
            highlight=False, soft_wrap=True)
        note(f"Forecast {sched['note']}.")
    pilot = payload.get("pilot")
    if pilot:
        console.print(escape(f"What the next measurement is worth: {pilot['note']}."),
                      highlight=False, soft_wrap=True)
