"""``sim2real compare | fit-surface``: model comparison and two-axis surfaces.

``compare CURVES`` fits candidate families (single-axis by default, surfaces with
``--surface``) and prints the PSIS-LOO table; ``fit-surface CURVES`` is ``fit`` restricted
to the surface families.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Any

import typer

from sim2real.planner.cli._common import (
    console,
    escape,
    fail_on_error,
    note,
    status,
    write_table_atomic,
)

Draws = Annotated[int, typer.Option(min=1, help="Draws per chain.")]
Tune = Annotated[int, typer.Option(min=0, help="Tuning steps per chain.")]
Chains = Annotated[int, typer.Option(min=1, help="Number of chains.")]
Seed = Annotated[int, typer.Option(help="Random seed.")]
Likelihood = Annotated[str, typer.Option(help="normal or student_t.")]


def _sampler(draws: int, tune: int, chains: int, seed: int) -> Any:
    from sim2real.models.inference.spec import SamplerConfig

    sampler = SamplerConfig(draws=draws, tune=tune, chains=chains, seed=seed)
    sampler.validate()
    return sampler


def _print_warnings(caught: list[warnings.WarningMessage]) -> None:
    seen = set()
    for w in caught:
        text = str(w.message)
        if "diagnostics" in text and text not in seen:
            seen.add(text)
            console.print(f"[yellow]warning:[/yellow] {escape(text)}", highlight=False)


def compare(
    curves: Annotated[Path, typer.Argument(help="Learning-curve table (.csv/.parquet).")],
    forms: Annotated[str | None, typer.Option("--families", "--forms", help=(
        "Comma-separated candidate families (default: every single-axis family; with "
        "--surface: every surface family)."))] = None,
    surface: Annotated[bool, typer.Option("--surface", help="Compare the two-axis surface "
                                          "families instead of single-axis curves.")] =
    False,
    likelihood: Likelihood = "normal",
    draws: Draws = 1000, tune: Tune = 1000, chains: Chains = 4, seed: Seed = 20251125,
    out: Annotated[Path | None, typer.Option(help="Optional CSV of the table.")] = None,
) -> None:
    """Fit candidate families and rank them by PSIS-LOO (ArviZ compare)."""
    from sim2real.models.evaluation.compare import compare_families
    from sim2real.models.families import CURVE_FAMILIES, SURFACE_FAMILIES
    from sim2real.planner.report.tables import render_frame

    default = SURFACE_FAMILIES if surface else CURVE_FAMILIES
    names = tuple(f.strip() for f in forms.split(",") if f.strip()) if forms else default
    with fail_on_error(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # diagnostics are reported per family below
        sampler = _sampler(draws, tune, chains, seed)
        with status(f"Fitting {len(names)} candidates ({chains} chains x {draws} "
                            "draws each)..."):
            result = compare_families(curves, names, sampler=sampler, likelihood=likelihood)
        if out is not None:
            write_table_atomic(result.table, out)
    cols = ["rank", "form", "elpd_loo", "se", "d_loo", "weight", "p_loo", "max_pareto_k",
            "fit_seconds"]
    shown = result.table[cols].rename(columns={"max_pareto_k": "max k", "fit_seconds": "fit s",
                                               "form": "family"})
    console.print(render_frame(shown, title="PSIS-LOO comparison of model families "
                               "(higher elpd_loo is better; unit: one replicate)"))
    console.print(f"Preferred: [bold]{escape(result.best)}[/bold]")
    for name, post in result.posteriors.items():
        if not post.diagnostics.ok:
            console.print("[yellow]warning:[/yellow] " + escape(
                f"{name}: MCMC diagnostics failed ({'; '.join(post.diagnostics.problems())})"),
                highlight=False)
    if result.advice:
        console.print(f"[yellow]warning:[/yellow] {escape(result.advice)}", highlight=False)
    if out is not None:
        note(f"Table written to {out}")


def fit_surface_cmd(
    curves: Annotated[Path, typer.Argument(help="Learning-curve table with an n_sim x "
                                           "n_real grid (.csv/.parquet).")],
    form: Annotated[str, typer.Option("--family", "--form", help="edt or additive.")] =
    "edt",
    out: Annotated[Path, typer.Option(help="Where to write the surface (netCDF).")] =
    Path("surface.nc"),
    likelihood: Likelihood = "normal",
    draws: Draws = 1000, tune: Tune = 1000, chains: Chains = 4, seed: Seed = 20251125,
) -> None:
    """Fit a two-axis surface E(n_sim, n_real) and save it (= `fit --family edt`)."""
    from sim2real.models.errors import SpecError
    from sim2real.models.families import SURFACE_FAMILIES
    from sim2real.planner.cli._curves import fit_and_save

    if form not in SURFACE_FAMILIES:
        with fail_on_error():
            raise SpecError(f"--family {form}: not a surface family. Fix: use one of "
                            f"{list(SURFACE_FAMILIES)} (or `sim2real fit --family {form}`).")
    fit_and_save(curves, out, family=form, likelihood=likelihood, prior=None, draws=draws,
                 tune=tune, chains=chains, seed=seed)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("compare")(compare)
    app.command("fit-surface")(fit_surface_cmd)
