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
    from planner.cli import _backtest, _curves, _models, _plan, _report, _sweep

    app = typer.Typer(
        name="sim2real",
        context_settings={"help_option_names": ["-h", "--help"]},
        help="Bayesian planning of simulation and experiment budgets from Sim2Real "
        "learning curves.",
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


def _root(version: bool = typer.Option(False, "--version", callback=_version,
                                       is_eager=True, help="Print the version and exit.")
          ) -> None:
    """Bayesian planning of simulation and experiment budgets from Sim2Real learning
    curves."""


def main() -> None:
    """Console-script entry point."""
    build_app()()
