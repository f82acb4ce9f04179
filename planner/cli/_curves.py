"""``sim2real validate | fit | predict``: the learning-curve commands."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Any

import typer

from planner.cli._common import console, fail_on_error, write_table_atomic


def validate(curves: Annotated[Path, typer.Argument(help="Learning-curve table "
                                                     "(.csv or .parquet).")]) -> None:
    """Check a learning-curve table against the contract and summarize its curves."""
    from models.data.contract import load_curves
    from planner.report.tables import render_curve_summary

    with fail_on_error(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_curves(curves)
    for w in caught:
        console.print(f"[yellow]warning:[/yellow] {w.message}")
    console.print(f"{curves}: {len(data.table)} rows, {len(data.curves)} curves, "
                  f"{len(data.tasks)} tasks", soft_wrap=True, highlight=False)
    console.print(render_curve_summary(data.summary()))


def fit(
    curves: Annotated[Path, typer.Argument(help="Learning-curve table (.csv/.parquet).")],
    out: Annotated[Path, typer.Option(help="Where to write the posterior (netCDF).")] =
    Path("posterior.nc"),
    draws: Annotated[int, typer.Option(min=1, help="Draws per chain.")] = 1000,
    tune: Annotated[int, typer.Option(min=0, help="Tuning steps per chain.")] = 1000,
    chains: Annotated[int, typer.Option(min=1, help="Number of chains.")] = 4,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 20251125,
    likelihood: Annotated[str, typer.Option(help="normal or student_t.")] = "normal",
    target_accept: Annotated[float | None, typer.Option(help="NUTS target acceptance "
                                                        "(default: 0.9, more for few "
                                                        "curves).")] = None,
    backend: Annotated[str, typer.Option(help="nutpie or pymc.")] = "nutpie",
    family: Annotated[str, typer.Option("--family", "--form", help=(
        "Model family: power_law_floor (default), power_law, broken_power_law, "
        "exp_saturation (single-axis curves) or edt, additive (two-axis surfaces "
        "E(n_sim, n_real)); rank them with `sim2real compare`."))] = "power_law_floor",
    prior: Annotated[list[str] | None, typer.Option(
        help="Override a default prior: NAME=Distribution(param=value, ...), e.g. "
             "log_alpha_mu='Normal(mu=-2, sigma=1)' (names: docs/models.md). "
             "Repeat.")] = None,
) -> None:
    """Fit a model family (default: hierarchical power law with a floor) and save it.

    Every other command (predict, plan, exchange, update, report) accepts the saved file
    whatever its family.
    """
    fit_and_save(curves, out, family=family, likelihood=likelihood, prior=prior,
                 draws=draws, tune=tune, chains=chains, seed=seed,
                 target_accept=target_accept, backend=backend)


def fit_and_save(curves: Path, out: Path, *, family: str, likelihood: str,
                 prior: list[str] | None, draws: int, tune: int, chains: int, seed: int,
                 target_accept: float | None = None, backend: str = "nutpie") -> None:
    """Body of ``fit`` and ``fit-surface``: validate, sample, save, print the summary."""
    from models.inference.fit import fit as fit_model
    from models.inference.spec import ModelSpec, SamplerConfig
    from planner.report.tables import render_diagnostics, render_parameters

    with fail_on_error():
        spec = ModelSpec(family=family, likelihood=likelihood,
                         priors=parse_prior_options(prior))
        spec.validate()
        sampler = SamplerConfig(draws=draws, tune=tune, chains=chains, seed=seed,
                                target_accept=target_accept, backend=backend, progress=True)
        sampler.validate()
        check_output_path(out)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with console.status(f"Compiling and sampling '{family}' ({chains} chains x "
                                f"{draws} draws, {backend})..."):
                posterior = fit_model(curves, spec, sampler)
        posterior.to_netcdf(out)
    console.print(render_parameters(posterior.summary(),
                                    description=posterior.family.description))
    console.print(render_diagnostics(posterior.diagnostics))
    for w in caught:
        if "diagnostics" in str(w.message) or "ignoring" in str(w.message):
            console.print(f"[yellow]warning:[/yellow] {w.message}")
    console.print(f"Posterior written to [bold]{out}[/bold]")


def check_output_path(out: Path) -> None:
    """Refuse an output path that cannot be written, before any long work."""
    from models.errors import InputDataError

    if out.is_dir():
        raise InputDataError(f"{out}: is a directory. Fix: give a file path for --out, "
                             f"e.g. {out / 'posterior.nc'}.")
    if out.parent.exists() and not out.parent.is_dir():
        raise InputDataError(f"{out.parent}: is not a directory. Fix: choose another --out.")


def predict(
    posterior: Annotated[Path, typer.Argument(help="Posterior file from `sim2real fit`.")],
    at: Annotated[Path, typer.Option(help="CSV of queries: task, sim_source, n_sim, "
                                          "n_real.")],
    out: Annotated[Path, typer.Option(help="Where to write the predictions (CSV).")] =
    Path("predictions.csv"),
    quantiles: Annotated[str, typer.Option(help="Comma-separated quantiles.")] =
    "0.05,0.5,0.95",
) -> None:
    """Predict errors with intervals at any sizes along the fitted curves."""
    import pandas as pd

    from models.errors import InputDataError
    from models.posterior.storage import load_posterior
    from planner.report.tables import render_frame

    with fail_on_error():
        try:
            qs = [float(q) for q in quantiles.split(",") if q.strip()]
        except ValueError as exc:
            raise InputDataError(f"--quantiles '{quantiles}': not numbers. Fix: e.g. "
                                 "0.05,0.5,0.95.") from exc
        if not at.is_file():
            raise InputDataError(f"{at}: query file not found.")
        queries = pd.read_csv(at, dtype={"task": str, "sim_source": str},
                              keep_default_na=False)
        check_output_path(out)
        post = load_posterior(posterior)
        table = post.predict(queries, qs)
        write_table_atomic(table, out)
    console.print(render_frame(table, title=f"Predictions ({post.n_draws} draws)"))
    console.print(f"Predictions written to [bold]{out}[/bold]")


def register(app: typer.Typer) -> None:
    """Add the learning-curve commands to ``app``."""
    app.command("validate")(validate)
    app.command("fit")(fit)
    app.command("predict")(predict)


def parse_prior_options(values: list[str] | None) -> dict[str, Any]:
    """``--prior NAME=Distribution(...)`` options as ``{name: Prior}`` (names checked later,
    against the family's defaults, when the spec is validated).

    Examples
    --------
    >>> parse_prior_options(["sigma=HalfNormal(sigma=0.1)"])
    {'sigma': Prior(distribution='HalfNormal', params={'sigma': 0.1})}
    """
    from models.errors import SpecError
    from models.families.priors import Prior

    out: dict[str, Any] = {}
    for value in values or []:
        name, sep, text = value.partition("=")
        if not sep or not name.strip().isidentifier():
            raise SpecError(f"--prior {value!r}: expected NAME=Distribution(...), e.g. "
                            "log_alpha_mu='Normal(mu=-2, sigma=1)'.")
        out[name.strip()] = Prior.parse(text)
    return out
