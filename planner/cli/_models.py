"""``sim2real compare | fit-surface``: model comparison and two-axis surfaces.

``compare CURVES`` fits candidate single-axis forms (or, with ``--surface``, the two
surface forms) and prints the PSIS-LOO table; ``fit-surface CURVES`` fits one surface
and saves it. ``sim2real exchange --surface FORM`` (in :mod:`planner.cli._plan`) uses
:func:`surface_exchange` below.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Any

import typer

from planner.cli._common import console, fail_on_error, write_table_atomic

Draws = Annotated[int, typer.Option(min=1, help="Draws per chain.")]
Tune = Annotated[int, typer.Option(min=0, help="Tuning steps per chain.")]
Chains = Annotated[int, typer.Option(min=1, help="Number of chains.")]
Seed = Annotated[int, typer.Option(help="Random seed.")]
Likelihood = Annotated[str, typer.Option(help="normal or student_t.")]


def _sampler(draws: int, tune: int, chains: int, seed: int) -> Any:
    from models.spec import SamplerConfig

    sampler = SamplerConfig(draws=draws, tune=tune, chains=chains, seed=seed)
    sampler.validate()
    return sampler


def _print_warnings(caught: list[warnings.WarningMessage]) -> None:
    seen = set()
    for w in caught:
        text = str(w.message)
        if "diagnostics" in text and text not in seen:
            seen.add(text)
            console.print(f"[yellow]warning:[/yellow] {text}", highlight=False)


def compare(
    curves: Annotated[Path, typer.Argument(help="Learning-curve table (.csv/.parquet).")],
    forms: Annotated[str | None, typer.Option(help="Comma-separated candidates (default: "
                                              "all; with --surface: edt,additive).")] = None,
    surface: Annotated[bool, typer.Option("--surface", help="Compare the two-axis surface "
                                          "forms instead of single-axis curve forms.")] =
    False,
    likelihood: Likelihood = "normal",
    draws: Draws = 1000, tune: Tune = 1000, chains: Chains = 4, seed: Seed = 20251125,
    out: Annotated[Path | None, typer.Option(help="Optional CSV of the table.")] = None,
) -> None:
    """Fit candidate forms and rank them by PSIS-LOO (ArviZ compare)."""
    from models.compare import compare_forms, compare_surfaces
    from models.curve_forms import CURVE_FORMS
    from models.surface_forms import SURFACE_FORMS
    from planner.report.tables import render_frame

    default = SURFACE_FORMS if surface else CURVE_FORMS
    names = tuple(f.strip() for f in forms.split(",") if f.strip()) if forms else default
    with fail_on_error(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # diagnostics are reported per form below
        sampler = _sampler(draws, tune, chains, seed)
        run = compare_surfaces if surface else compare_forms
        with console.status(f"Fitting {len(names)} candidates ({chains} chains x {draws} "
                            "draws each)..."):
            result = run(curves, forms=names, sampler=sampler, likelihood=likelihood)
        if out is not None:
            write_table_atomic(result.table, out)
    cols = ["rank", "form", "elpd_loo", "se", "d_loo", "weight", "p_loo", "max_pareto_k",
            "fit_seconds"]
    kind = "surface forms" if surface else "curve forms"
    shown = result.table[cols].rename(columns={"max_pareto_k": "max k", "fit_seconds": "fit s"})
    console.print(render_frame(shown, title=f"PSIS-LOO comparison of {kind} "
                               "(higher elpd_loo is better; unit: one replicate)"))
    console.print(f"Preferred: [bold]{result.best}[/bold]")
    for form, post in result.posteriors.items():
        if not post.diagnostics.ok:
            console.print(f"[yellow]warning:[/yellow] {form}: MCMC diagnostics failed "
                          f"({'; '.join(post.diagnostics.problems())})", highlight=False)
    if result.advice:
        console.print(f"[yellow]warning:[/yellow] {result.advice}", highlight=False)
    if out is not None:
        console.print(f"Table written to [bold]{out}[/bold]")


def fit_surface_cmd(
    curves: Annotated[Path, typer.Argument(help="Learning-curve table with an n_sim x "
                                           "n_real grid (.csv/.parquet).")],
    form: Annotated[str, typer.Option(help="edt or additive.")] = "edt",
    out: Annotated[Path, typer.Option(help="Where to write the surface (netCDF).")] =
    Path("surface.nc"),
    likelihood: Likelihood = "normal",
    draws: Draws = 1000, tune: Tune = 1000, chains: Chains = 4, seed: Seed = 20251125,
) -> None:
    """Fit a two-axis surface E(n_sim, n_real) and save its posterior."""
    from models.surface import SurfaceSpec, fit_surface
    from planner.report.tables import render_diagnostics, render_frame

    with fail_on_error(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        spec = SurfaceSpec(form=form, likelihood=likelihood)
        spec.validate()
        sampler = _sampler(draws, tune, chains, seed)
        with console.status(f"Fitting the '{form}' surface ({chains} chains x {draws} "
                            "draws)..."):
            post = fit_surface(curves, spec, sampler)
        post.to_netcdf(out)
    cols = ["level", "task", "sim_source", "parameter", "mean", "lower", "upper", "ess_bulk"]
    console.print(render_frame(post.summary()[cols], title=f"Surface '{form}' parameters "
                               "(94% intervals)"))
    console.print(render_diagnostics(post.diagnostics))
    _print_warnings(caught)
    console.print(f"Surface written to [bold]{out}[/bold]")


def load_surface(source: Path, form: str, draws: int = 500, chains: int = 2,
                 seed: int = 20251125) -> Any:
    """A surface from netCDF (``fit-surface``), or fitted on the fly from a curve table."""
    from models.errors import InputDataError

    if not source.exists():
        raise InputDataError(f"{source}: no such file.")
    if source.suffix.lower() in (".nc", ".netcdf", ".nc4"):
        from models.surface_posterior import SurfacePosterior

        post = SurfacePosterior.from_netcdf(source)
        if post.form != form:
            raise InputDataError(f"{source}: holds a '{post.form}' surface but --surface "
                                 f"{form} was asked. Fix: pass --surface {post.form}.")
        return post
    from models.surface import SurfaceSpec, fit_surface

    with console.status(f"Fitting the '{form}' surface on {source} ({chains} chains x "
                        f"{draws} draws)..."):
        return fit_surface(source, SurfaceSpec(form=form), _sampler(draws, draws, chains, seed))


def surface_exchange(source: Path, form: str, tasks: list[str] | None,
                     out: Path | None) -> None:
    """Body of ``sim2real exchange --surface FORM``: surface exchange rates, printed."""
    from planner.decisions.surface import surface_exchange_table
    from planner.report.tables import render_exchange

    with fail_on_error():
        rates = surface_exchange_table(load_surface(source, form), tasks=tasks or None)
        if out is not None:
            write_table_atomic(rates, out)
    for table in render_exchange(rates, suffix=f" (surface '{form}')"):
        console.print(table)
    if out is not None:
        console.print(f"Table written to [bold]{out}[/bold]")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("compare")(compare)
    app.command("fit-surface")(fit_surface_cmd)
