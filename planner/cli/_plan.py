"""``sim2real plan | exchange | update``: decisions from a posterior.

Heavy libraries (PyMC, torch, BoTorch) are imported inside the command bodies.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from planner.cli._common import atomic_write_text, console, fail_on_error

NETCDF = (".nc", ".netcdf", ".nc4")
SourceArg = Annotated[Path, typer.Argument(help="Posterior (.nc from `sim2real fit`) or a "
                                           "learning-curve table (.csv/.parquet; fitted "
                                           "first).")]


def load_model(path: Path, draws: int = 500, chains: int = 2, seed: int = 20251125) -> Any:
    """A posterior from a netCDF file (curves, a curve form or a two-axis surface, whichever
    it holds), or the default power law fitted on the fly from a curve table."""
    from models.errors import InputDataError

    if not path.exists():
        raise InputDataError(f"{path}: no such file.")
    if path.suffix.lower() in NETCDF:
        from models.storage import load_any_posterior

        return load_any_posterior(path)
    from models.fit import fit_curves
    from models.spec import SamplerConfig

    with console.status(f"Fitting {path} ({chains} chains x {draws} draws)..."):
        return fit_curves(path, None, SamplerConfig(draws=draws, tune=draws, chains=chains,
                                                    seed=seed))


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file (plan provenance)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
    rounds: Annotated[int | None, typer.Option(help="Number of rounds T (equal budgets; "
                                               "the first is what to do now).")] = None,
    remaining_rounds: Annotated[int | None, typer.Option(
        help="Sequential policy: rounds left including this one (K > 1 asks this batch "
             "for a share of --probability; plan again after `sim2real update`).")] = None,
    config: Annotated[Path | None, typer.Option(help="plan.toml with the same settings "
                                                "(options override it).")] = None,
    out: Annotated[Path, typer.Option(help="Where to write plan.json.")] = Path("plan.json"),
    seed: Annotated[int | None, typer.Option(help="Optimizer seed.")] = None,
) -> None:
    """Recommend the next batch of simulations and experiments under a budget."""
    from planner.acquisition import make_objective
    from planner.decisions import required_size_table
    from planner.optim.config import load_config, merge_settings, parse_pairs
    from planner.optim.multiround import recommend
    from planner.optim.problem import operating_point_from_table

    with fail_on_error():
        settings = merge_settings(load_config(config), budget=budget,
                                  costs=parse_pairs(cost, "--cost"),
                                  targets=parse_pairs(target, "--target"),
                                  objective=objective, probability=probability,
                                  rounds=rounds, remaining_rounds=remaining_rounds,
                                  seed=seed)
        model = load_model(source)
        op = operating_point_from_table(model.data.table)
        problem, given = settings.problem(op)
        obj = make_objective(settings.objective, **settings.objective_kwargs())
        with console.status("Optimizing the batch (BoTorch)..."):
            result = recommend(model, problem, obj, settings)
        sizes = required_size_table(model, problem.targets) if problem.targets else None
    payload = plan_payload(result, given, settings, source)
    atomic_write_text(json.dumps(payload, indent=2, default=float) + "\n", out)
    print_plan(payload, sizes)
    console.print(f"Plan written to [bold]{out}[/bold]")


def plan_payload(result: Any, given: dict[str, str], settings: Any,
                 source: Path) -> dict[str, Any]:
    """plan.json content: the PlanResult with source names as given, plus provenance."""
    from dataclasses import asdict

    d = result.to_dict()
    d["allocation"] = {given.get(k, k): v for k, v in d["allocation"].items()}
    d["rounds"] = [{given.get(k, k): v for k, v in r.items()} for r in d["rounds"]]
    d["provenance"].update({"posterior": str(source), "posterior_sha256":
                            file_sha256(source), "settings": asdict(settings),
                            "created": datetime.now(UTC).isoformat(timespec="seconds")})
    return d


def print_plan(payload: dict[str, Any], sizes: Any) -> None:
    """Rich summary of a plan."""
    import pandas as pd

    from planner.report.tables import render_frame

    alloc = pd.DataFrame({"source": list(payload["allocation"]),
                          "new samples": list(payload["allocation"].values())})
    console.print(render_frame(alloc, title=f"Recommended batch ({payload['objective']})"))
    console.print(f"Cost {payload['total_cost']:,.2f} of budget {payload['budget']:,.2f}")
    rows = []
    for task, s in payload["expected_error"].items():
        now = payload["current_error"].get(task, {})
        rows.append({"task": task, "now (mean)": now.get("mean"),
                     "after (mean)": s["mean"], "q05": s["q05"], "q95": s["q95"],
                     "target": payload["targets"].get(task),
                     "P(target)": payload["p_target"].get(task)})
    console.print(render_frame(pd.DataFrame(rows), title="Expected error after the batch"))
    if payload["provenance"].get("p_all_targets") is not None:
        console.print(f"P(all targets met) = {payload['provenance']['p_all_targets']:.3f}")
    if len(payload["rounds"]) > 1:
        console.print(f"Rounds: {payload['rounds']}")
    if payload["provenance"].get("fallback"):
        console.print(f"[yellow]Note:[/yellow] {payload['provenance']['fallback']}.",
                      soft_wrap=True, highlight=False)
    if sizes is not None:
        for _, r in sizes[sizes["note"] != ""].iterrows():
            console.print(f"[yellow]{r['task']} via {r['route']}:[/yellow] P(unreachable) = "
                          f"{r['p_unreachable']:.2f}; {r['note']}.")


def exchange(
    source: SourceArg,
    task: Annotated[list[str] | None, typer.Option(help="Task(s); default all.")] = None,
    out: Annotated[Path | None, typer.Option(help="Optional CSV of the table.")] = None,
    surface: Annotated[str | None, typer.Option(help="Use a two-axis surface (edt or "
                                                "additive): SOURCE is a surface .nc from "
                                                "`sim2real fit-surface` or a grid table "
                                                "(fitted first).")] = None,
) -> None:
    """Sim-to-real exchange rates (with 5/50/95% intervals) and database values."""
    if surface is not None:
        from planner.cli._models import surface_exchange

        surface_exchange(source, surface, task, out)
        return
    from planner.cli._common import write_table_atomic
    from planner.decisions import database_value_table, exchange_table
    from planner.report.tables import render_exchange, render_frame

    with fail_on_error():
        model = load_model(source)
        rates = exchange_table(model, tasks=task or None)
        value = database_value_table(model)
    if task:
        value = value[value["task"].isin(task)]
    for table in render_exchange(rates):
        console.print(table)
    short = value.rename(columns=lambda c: c.replace("reduction_", ""))
    console.print(render_frame(short, title="Error reduction per 1,000 more simulations"))
    if out is not None:
        write_table_atomic(rates, out)
        console.print(f"Table written to [bold]{out}[/bold]")


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
    import pandas as pd

    from models.contract import load_curves
    from models.spec import SamplerConfig
    from planner.cli._common import write_table_atomic

    with fail_on_error():
        old = load_curves(curves)
        new = validate_new_rows(old, new_results, curves)
        check_new_rows(old.table, new, curves, new_results)
        cols = contract_columns(old.table)
        combined = pd.concat([old.table[cols], new[cols]], ignore_index=True)
        data = load_curves(combined, origin=f"{curves} + {new_results}")
        sampler = SamplerConfig(draws=draws, tune=draws, chains=chains, seed=seed)
        refit, model = refit_like(posterior, sampler)
        with console.status(f"Refitting {model} on {len(data.table)} rows..."):
            post = refit(data)
        post.to_netcdf(posterior)
        write_table_atomic(data.table[contract_columns(data.table)], out_curves or curves)
    console.print(f"Appended {len(new)} rows; table written to "
                  f"[bold]{out_curves or curves}[/bold], posterior to [bold]{posterior}[/bold]")


def refit_like(posterior: Path, sampler: Any) -> tuple[Any, str]:
    """A function ``data -> posterior`` fitting the model stored in ``posterior`` (or the
    default power law when the file does not exist yet), and the model's name.

    The stored NUTS target acceptance is kept; draws, chains and seed come from ``sampler``.
    """
    from dataclasses import replace

    from models.curve_forms import FormSpec, fit_form
    from models.surface import SurfaceSpec, fit_surface

    if not posterior.exists():
        return (lambda data: fit_form(data, FormSpec(), sampler)), "the default power law"
    from models.storage import load_any_posterior

    old = load_any_posterior(posterior)
    sampler = replace(sampler, target_accept=old.sampler.target_accept)
    spec = old.spec
    if isinstance(spec, SurfaceSpec):
        return (lambda data: fit_surface(data, spec, sampler)), f"the '{spec.form}' surface"
    form = FormSpec(form=spec.form, likelihood=spec.likelihood, priors=spec.priors)
    return (lambda data: fit_form(data, form, sampler)), (f"'{form.form}' ({form.likelihood}"
                                                          ", same priors)")


def contract_columns(table: Any) -> list[str]:
    """The data-contract columns present in a validated table (drops helper columns)."""
    from models.contract import OPTIONAL_COLUMNS, REQUIRED_COLUMNS

    return [c for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c in table.columns]


def validate_new_rows(old: Any, new_results: Path, curves: Path) -> Any:
    """Validated rows of NEW_RESULTS, checked together with the curves they extend.

    New results usually add one size to existing curves, so they are not validated as
    curves on their own; they are validated first in a table followed by CURVES' rows, so
    row-level errors name NEW_RESULTS' own rows (and CSV lines).
    """
    import pandas as pd

    from models.contract import read_table_file, validate_table
    from models.errors import InputDataError

    raw = read_table_file(new_results, str(new_results), "the new measurements")
    suffix = new_results.suffix.lower()
    if len(raw) == 0:
        raise InputDataError(f"{new_results}: no rows. Fix: add the new measurements.")
    k = len(raw)
    both = pd.concat([raw, old.table[contract_columns(old.table)]], ignore_index=True)
    origin = f"{new_results} (data rows 1-{k}; later rows are {curves})"
    checked = validate_table(both, origin, csv_lines=suffix == ".csv")
    return checked.table.iloc[:k].reset_index(drop=True)


def check_new_rows(old: Any, new: Any, curves: Path, new_results: Path) -> None:
    """Refuse new rows that repeat a (task, sim_source, n_sim, n_real, seed) of CURVES.

    Appending the same results twice would count them as extra replicates and make the
    posterior overconfident.
    """
    from models.contract import KEY_COLUMNS
    from models.errors import InputDataError

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


def register(app: typer.Typer) -> None:
    """Add the planning commands to ``app``."""
    app.command("plan")(plan)
    app.command("exchange")(exchange)
    app.command("update")(update)
