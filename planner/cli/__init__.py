"""The ``sim2real`` command line.

Each command group lives in its own small module with a ``register(app)`` function;
heavy libraries (PyMC, torch, BoTorch) are imported inside the command bodies so that
``sim2real --help`` stays fast.
"""

from __future__ import annotations

import typer


def build_app() -> typer.Typer:
    """Create the Typer application with every command registered.

    Examples
    --------
    >>> app = build_app()
    >>> {"validate", "fit", "predict", "plan", "report", "demo"} <= {
    ...     c.name for c in app.registered_commands}
    True
    """
    from sim2real.planner.cli import _backtest, _curves, _models, _plan, _report, _sweep

    app = typer.Typer(
        name="sim2real",
        context_settings={"help_option_names": ["-h", "--help"]},
        help="Bayesian planning of simulation and experiment budgets from Sim2Real "
        "learning curves.",
        epilog="Exit codes: 0 success; 1 bad input data or option values (the message "
        "names the file, row, column and a fix; nothing is written); 2 usage error.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    for module in (_curves, _models, _backtest, _sweep, _plan, _report):
        module.register(app)
    app.callback()(_root)
    return app


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"sim2real-planner {version('sim2real-planner')}")
        except PackageNotFoundError:
            typer.echo("sim2real-planner (not installed)")
        raise typer.Exit()


def _root(ctx: typer.Context,
          version: bool = typer.Option(False, "--version", callback=_version,
                                       is_eager=True, help="Print the version and exit."),
          quiet: bool = typer.Option(False, "--quiet", "-q", help="Only results, warnings "
                                     "and errors: no progress bars or info notes."),
          verbose: bool = typer.Option(False, "--verbose", "-v", help="Also show debug "
                                       "messages (files read, sampler and optimizer "
                                       "steps).")) -> None:
    """Bayesian planning of simulation and experiment budgets from Sim2Real learning
    curves.

    Exit codes: 0 success, 1 bad input data or option values (the message names the file,
    row, column and a fix; nothing is written), 2 usage errors (unknown option, bad
    syntax).
    """
    from sim2real.planner.cli._common import configure_logging

    if quiet and verbose:
        raise typer.BadParameter("use --quiet or --verbose, not both.")
    ctx.call_on_close(configure_logging(quiet=quiet, verbose=verbose))


def main() -> None:
    """Console-script entry point."""
    build_app()()
