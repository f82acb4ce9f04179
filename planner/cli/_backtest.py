"""``sim2real backtest``: how far can you trust the extrapolation, on your own curves?

Fits each curve on its small sizes only, predicts the held-out larger sizes and scores the
hierarchical model, per-curve Bayesian fits and least squares side by side (see
``docs/backtest.md``).

Examples
--------
>>> from sim2real.planner.cli._backtest import parse_methods
>>> parse_methods("hierarchical, least_squares")
['hierarchical', 'least_squares']
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Any

import typer

from sim2real.planner.cli._common import atomic_write_text, console, escape, fail_on_error

_PER_CURVE_COLUMNS = {"curve_id": "curve", "method": "method", "n_sizes": "sizes",
                      "n_obs": "reps", "max_extrapolation": "max x",
                      "male": "MALE", "cov50": "cov50", "cov90": "cov90", "crps": "CRPS"}

_FORMATTED = ("max x", "MALE", "cov50", "cov90", "CRPS", "MALE/LS")
_METHOD_SHORT = {"hierarchical": "hierarchical", "per_curve": "per-curve", "least_squares": "LS"}


def parse_methods(text: str) -> list[str]:
    """Comma-separated method names, checked against :data:`models.evaluation.backtest.METHODS`."""
    from sim2real.models.errors import SpecError
    from sim2real.models.evaluation.backtest import METHODS

    names = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in names if m not in METHODS]
    if bad or not names:
        raise SpecError(f"--methods '{text}': unknown method(s) {bad}. Fix: a comma-separated "
                        f"subset of {','.join(METHODS)}.")
    return names


def backtest(
    curves: Annotated[Path, typer.Argument(help="Learning-curve table (.csv/.parquet).")],
    train_max: Annotated[float | None, typer.Option(
        help="Fit on sizes <= N on each curve's varying axis; hold out the larger ones.")]
    = None,
    train_fraction: Annotated[float | None, typer.Option(
        help="Fit on sizes <= this fraction of each curve's largest size (default 0.125 "
             "when --train-max is not given).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the full result as JSON.")] = None,
    methods: Annotated[str | None, typer.Option(help="Comma-separated subset of hierarchical,"
                                                     "per_curve,least_squares (default: "
                                                     "all that the family supports).")] =
    None,
    draws: Annotated[int, typer.Option(min=1, help="Draws per chain.")] = 1000,
    tune: Annotated[int, typer.Option(min=0, help="Tuning steps per chain.")] = 1000,
    chains: Annotated[int, typer.Option(min=1, help="Number of chains.")] = 4,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 20251125,
    likelihood: Annotated[str, typer.Option(help="normal or student_t.")] = "normal",
    target_accept: Annotated[float | None, typer.Option(help="NUTS target acceptance.")] =
    None,
    backend: Annotated[str, typer.Option(help="nutpie or pymc.")] = "nutpie",
    family: Annotated[str, typer.Option("--family", "--form", help="Model family of the "
                                        "hierarchical and per-curve fits.")] =
    "power_law_floor",
) -> None:
    """Backtest the extrapolation: fit small sizes, predict held-out large sizes, score."""
    from sim2real.models.errors import DataWarning
    from sim2real.models.evaluation.backtest import run_backtest
    from sim2real.models.inference.spec import ModelSpec, SamplerConfig

    with fail_on_error():
        spec = ModelSpec(family=family, likelihood=likelihood)
        spec.validate()
        sampler = SamplerConfig(draws=draws, tune=tune, chains=chains, seed=seed,
                                target_accept=target_accept, backend=backend)
        fraction = 0.125 if train_max is None and train_fraction is None else train_fraction
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = _run_with_progress(run_backtest, curves, train_max, fraction,
                                        parse_methods(methods) if methods else None, spec,
                                        sampler)
        if out is not None:
            atomic_write_text(result.to_json() + "\n", out)
    for w in caught:  # skipped curves are listed with the results
        if issubclass(w.category, DataWarning) and "skipped:" not in str(w.message):
            console.print(f"[yellow]warning:[/yellow] {escape(str(w.message))}", highlight=False)
    _print_result(result)
    if out is not None:
        console.print(f"Backtest written to [bold]{escape(str(out))}[/bold]")


def _run_with_progress(run: Any, curves: Path, train_max: float | None,
                       fraction: float | None, methods: list[str] | None, spec: Any,
                       sampler: Any) -> Any:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("Splitting curves...", total=None)

        def report(message: str) -> None:
            bar.update(task, description=f"Compiling and sampling: {message}")

        return run(curves, train_max=train_max, train_fraction=fraction, methods=methods,
                   spec=spec, sampler=sampler, progress=report)


def _print_result(result: Any) -> None:
    curves = result.curves
    skipped = curves[curves["status"] != "scored"]
    for row in skipped.itertuples():
        console.print(f"[yellow]{'skipped' if row.status == 'skipped' else 'not scored'}:"
                      f"[/yellow] {escape(f'{row.curve_id}: {row.reason}')}", highlight=False)
    if not result.points.empty:
        per_curve = result.per_curve()[[c for c in _PER_CURVE_COLUMNS
                                        if c not in ("n_sizes", "n_obs")]]
        console.print(_table(per_curve.rename(columns=_PER_CURVE_COLUMNS),
                             f"Backtest per curve ({result.settings['rule']})"))
        overall = result.overall().rename(columns={**_PER_CURVE_COLUMNS,
                                                   "male_ratio_ls": "MALE/LS"})
        console.print(_table(overall, "Backtest overall (held-out sizes: sizes, replicates: "
                                      "reps, max x: largest size / largest training size)"))
    for row in result.fits.itertuples():
        if not row.ok:
            console.print("[yellow]warning:[/yellow] " + escape(
                f"MCMC diagnostics failed for the {row.method} fit of {row.curves}: "
                f"{row.problems}"), highlight=False)
    console.print(escape(result.sentence()), soft_wrap=True, highlight=False)


def _table(frame: Any, title: str) -> Any:
    """A compact rich table: short method names, 3-decimal scores, coverages in percent."""
    import numpy as np

    from sim2real.planner.report.tables import render_frame

    def fmt(col: str, v: float) -> str:
        if not np.isfinite(v):
            return "n/a"
        if col.startswith("cov"):
            return f"{100 * v:.0f}%"
        return f"{v:.3g}" if col == "max x" else f"{v:.3f}"

    shown = frame.assign(method=frame["method"].map(_METHOD_SHORT).fillna(frame["method"]))
    numeric = [c for c in shown.columns if c in _FORMATTED]
    for col in numeric:
        shown[col] = [fmt(col, float(v)) for v in shown[col]]
    table = render_frame(shown, title=title)
    for column, name in zip(table.columns, shown.columns, strict=True):
        if name in numeric:
            column.justify = "right"
        if name == "curve":
            column.no_wrap, column.min_width = True, int(shown[name].str.len().max())
    return table


def register(app: typer.Typer) -> None:
    """Add ``sim2real backtest`` to ``app``."""
    app.command("backtest")(backtest)
