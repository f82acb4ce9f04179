"""``sim2real validate | fit | predict``: the learning-curve commands."""

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
    print_warnings,
    status,
    write_table_atomic,
)


def validate(curves: Annotated[Path, typer.Argument(help="Learning-curve table "
                                                     "(.csv or .parquet).")]) -> None:
    """Check a learning-curve table against the contract and summarize its curves."""
    from sim2real.models.data.contract import load_curves
    from sim2real.planner.report.tables import render_curve_summary

    with fail_on_error(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_curves(curves)
    print_warnings(caught)
    console.print(escape(f"{curves}: {len(data.table)} rows, {len(data.curves)} curves, "
                         f"{len(data.tasks)} tasks"), soft_wrap=True, highlight=False)
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
        "Model family: auto (default: the joint surface edt_negative when a transfer "
        "route is measured at more than one n_real, else power_law_floor), or one of "
        "power_law_floor, power_law, broken_power_law, exp_saturation, onset_power_law "
        "(single-axis curves), edt, edt_negative, additive (two-axis surfaces "
        "E(n_sim, n_real)); rank them with `sim2real compare`."))] = "auto",
    prior: Annotated[list[str] | None, typer.Option(
        help="Override a default prior: NAME=Distribution(param=value, ...), e.g. "
             "log_alpha_mu='Normal(mu=-2, sigma=1)'; an unknown NAME lists the family's "
             "prior names. Repeat.")] = None,
    discrepancy: Annotated[str, typer.Option(help=(
        "auto (default: gp on curve families, none on surfaces), gp (a pooled-scale "
        "Gaussian-process deviation from the form along log size, so intervals widen "
        "with extrapolation distance; prior of its scale: disc_sigma) or none."))] = "auto",
    noise: Annotated[str, typer.Option(help=(
        "auto (default: size), size (replicate noise log-linear in log size, slopes "
        "pooled; priors sigma_slope_mu, sigma_slope_sigma) or constant (one noise per "
        "curve)."))] = "auto",
    replicates: Annotated[str, typer.Option(help=(
        "auto (default: split), split (runs of one task and seed share an offset: they "
        "share the seed's test split; prior split_sigma) or independent."))] = "auto",
    pooling: Annotated[str, typer.Option(help=(
        "auto (default: route on curve families), route (one population per route for "
        "the exponents and floor fractions: scratch curves, each source's transfer "
        "curves) or all (one population for every curve)."))] = "auto",
    trend: Annotated[str, typer.Option(help=(
        "none (default) or size (curve families: the population means of the exponents "
        "and floor fractions are linear in the log of each transfer curve's fixed "
        "n_real; priors <param>_trend)."))] = "none",
) -> None:
    """Fit a model family (default: the joint E(n_sim, n_real) surface where the data
    has an n_sim x n_real grid, else the hierarchical power law with a floor) and save it.

    Every other command (predict, plan, exchange, update, report) accepts the saved file
    whatever its family.
    """
    fit_and_save(curves, out, family=family, likelihood=likelihood, prior=prior,
                 draws=draws, tune=tune, chains=chains, seed=seed,
                 target_accept=target_accept, backend=backend, discrepancy=discrepancy,
                 noise=noise, replicates=replicates, pooling=pooling, trend=trend)


def fit_and_save(curves: Path, out: Path, *, family: str, likelihood: str,
                 prior: list[str] | None, draws: int, tune: int, chains: int, seed: int,
                 target_accept: float | None = None, backend: str = "nutpie",
                 discrepancy: str = "auto", noise: str = "auto",
                 replicates: str = "auto", pooling: str = "auto",
                 trend: str = "none") -> None:
    """Body of ``fit`` and ``fit-surface``: validate, sample, save, print the summary."""
    from sim2real.models.inference.fit import as_curve_data
    from sim2real.models.inference.fit import fit as fit_model
    from sim2real.models.inference.spec import ModelSpec, SamplerConfig
    from sim2real.planner.report.tables import render_diagnostics, render_parameters

    with fail_on_error():
        data = as_curve_data(curves)
        spec = ModelSpec(family=family, likelihood=likelihood,
                         priors=parse_prior_options(prior),
                         discrepancy=discrepancy, noise=noise,
                         replicates=replicates, pooling=pooling,
                         trend=trend).resolve(data)
        spec.validate()
        family = spec.family
        sampler = SamplerConfig(draws=draws, tune=tune, chains=chains, seed=seed,
                                target_accept=target_accept, backend=backend, progress=True)
        sampler.validate()
        check_output_path(out)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with status(f"Compiling and sampling '{family}' ({chains} chains x "
                        f"{draws} draws, {backend})..."):
                posterior = fit_model(data, spec, sampler)
        posterior.to_netcdf(out)
    console.print(render_parameters(posterior.summary(),
                                    description=posterior.family.description))
    console.print(render_diagnostics(posterior.diagnostics))
    print_warnings(caught)
    note(f"Posterior written to {out}")


def check_output_path(out: Path) -> None:
    """Refuse an output path that cannot be written, before any long work."""
    from sim2real.models.errors import InputDataError

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
    """Predict errors with intervals at any sizes along the fitted curves.

    Each row also gets its extrapolation factor (how far beyond the measured sizes of its
    curve it lies; 1 inside) and a flag when the factor exceeds 10.
    """
    from sim2real.planner.workflow import predict_file

    with fail_on_error():
        qs = parse_quantiles(quantiles)
        check_output_path(out)
        table, post = predict_file(posterior, at, qs)
        write_table_atomic(table, out)
    print_predictions(table, post.n_draws)
    note(f"Predictions written to {out}")


def parse_quantiles(text: str) -> list[float]:
    """``--quantiles`` as numbers (checked: at least one, no repeats; the range is checked
    when the columns are named).

    Examples
    --------
    >>> parse_quantiles("0.05, 0.5,0.95")
    [0.05, 0.5, 0.95]
    """
    from sim2real.models.errors import InputDataError

    try:
        qs = [float(q) for q in text.split(",") if q.strip()]
    except ValueError as exc:
        raise InputDataError(f"--quantiles '{text}': not numbers. Fix: e.g. "
                             "0.05,0.5,0.95.") from exc
    if not qs:
        raise InputDataError(f"--quantiles '{text}': no quantile given. Fix: e.g. "
                             "0.05,0.5,0.95.")
    if len(set(qs)) < len(qs):
        raise InputDataError(f"--quantiles '{text}': a quantile is repeated. Fix: list each "
                             "once, e.g. 0.05,0.5,0.95.")
    return qs


def print_predictions(table: Any, n_draws: int) -> None:
    """The predictions table; rows beyond 10x their curve's measured range are marked."""
    from sim2real.models.posterior.extrapolation import FLAG_FACTOR
    from sim2real.planner.report.tables import render_frame

    shown = table.drop(columns=["extrapolation", "extrapolated"])
    shown["extrap."] = [f"{f:.3g}x" + ("!" if flag else "") for f, flag in
                        zip(table["extrapolation"], table["extrapolated"], strict=True)]
    console.print(render_frame(shown, title=f"Predictions ({n_draws} draws)"))
    n_flag = int(table["extrapolated"].sum())
    if n_flag:
        console.print(f"[yellow]warning:[/yellow] {n_flag} prediction(s) marked ! lie more "
                      f"than {FLAG_FACTOR:g}x beyond the sizes their curve was measured at: "
                      "they rest on the model form more than on data.", highlight=False)


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
    from sim2real.models.errors import SpecError
    from sim2real.models.families.priors import Prior

    out: dict[str, Any] = {}
    for value in values or []:
        name, sep, text = value.partition("=")
        if not sep or not name.strip().isidentifier():
            raise SpecError(f"--prior {value!r}: expected NAME=Distribution(...), e.g. "
                            "log_alpha_mu='Normal(mu=-2, sigma=1)'. Fix: write the "
                            "parameter name, '=' and the distribution call.")
        out[name.strip()] = Prior.parse(text)
    return out
