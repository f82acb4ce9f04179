"""Shared CLI helpers: console, logging, error handling, atomic writes.

Exit codes: 0 success; 1 a data error (a bad file, value or option value: the
:class:`~models.errors.Sim2RealError` family, or a file that cannot be read / written);
2 a usage error (unknown option, bad option syntax; raised by Click before the command
runs).

Examples
--------
>>> EXIT_DATA_ERROR, EXIT_USAGE_ERROR
(1, 2)
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from sim2real.models.data.io import atomic_write_text, write_table_atomic

__all__ = ["EXIT_DATA_ERROR", "EXIT_USAGE_ERROR", "atomic_write_text", "configure_logging",
           "console", "err_console", "escape", "fail_on_error", "is_quiet", "note",
           "print_warnings", "progress_bar", "status",
           "write_table_atomic"]

EXIT_DATA_ERROR = 1
EXIT_USAGE_ERROR = 2   # Click's own code for usage errors

#: Width of the tables when the output is piped or redirected (a terminal uses its own
#: width): wide enough that curve ids are never cut to identical strings.
PIPE_WIDTH = 240


def _width(stream: Any) -> int | None:
    """``None`` (the terminal's width) on a terminal or when ``COLUMNS`` is set, else
    :data:`PIPE_WIDTH`."""
    if os.environ.get("COLUMNS") or (hasattr(stream, "isatty") and stream.isatty()):
        return None
    return PIPE_WIDTH


console = Console(width=_width(sys.stdout))
err_console = Console(stderr=True, width=_width(sys.stderr))
logger = logging.getLogger("sim2real")
_STATE = {"quiet": False}


def is_quiet() -> bool:
    """True under ``sim2real --quiet`` (no progress bars, no info notes)."""
    return _STATE["quiet"]


def note(message: str) -> None:
    """An info note (e.g. where a file was written), hidden by ``--quiet``.

    ``message`` is plain text: brackets are shown as typed, never read as markup.
    """
    logger.info(message)


def status(message: str) -> contextlib.AbstractContextManager[Any]:
    """A spinner with ``message`` (nothing under ``--quiet``); usable as the workflow's
    ``status`` callback."""
    logger.debug(message)
    if is_quiet():
        return contextlib.nullcontext()
    return console.status(escape(message))


def configure_logging(*, quiet: bool = False, verbose: bool = False) -> Callable[[], None]:
    """Send the ``sim2real`` loggers and library warnings to a Rich console handler.

    ``quiet`` keeps warnings and errors only; ``verbose`` adds debug messages. Warnings
    not printed by the command itself become ``WARNING  Category: message`` log lines (no
    file:line). Returns a function that undoes the set-up (the root command calls it when
    the command ends).

    Examples
    --------
    >>> undo = configure_logging(verbose=True)
    >>> logger.level == logging.DEBUG
    True
    >>> undo()
    """
    _STATE["quiet"] = quiet
    handler = RichHandler(console=err_console, show_time=False, show_path=False,
                          markup=False, rich_tracebacks=False, keywords=[])
    handler.setFormatter(logging.Formatter("%(message)s"))
    old_level, old_show, old_propagate = logger.level, warnings.showwarning, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    logger.propagate = False

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        logger.warning("%s: %s", category.__name__, message)

    warnings.showwarning = show

    def undo() -> None:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate
        warnings.showwarning = old_show
        _STATE["quiet"] = False

    return undo


@contextmanager
def fail_on_error() -> Iterator[None]:
    """Turn sim2real errors (and unreadable / unwritable files) into a red one-line
    message and exit code 1 (:data:`EXIT_DATA_ERROR`).

    The message is escaped: paths and messages may hold brackets (``[grid]``, ``a[/x]``)
    that Rich would otherwise read as markup (dropping them, or failing).
    """
    from sim2real.models.errors import Sim2RealError

    try:
        yield
    except Sim2RealError as exc:
        _print_error(str(exc))
        raise typer.Exit(code=EXIT_DATA_ERROR) from exc
    except OSError as exc:   # permission denied, disk full, a directory where a file goes
        where = exc.filename if exc.filename is not None else "a file"
        _print_error(f"{where}: {exc.strerror or exc}. Fix: check the path and its "
                     "permissions (and free disk space).")
        raise typer.Exit(code=EXIT_DATA_ERROR) from exc


def _print_error(message: str) -> None:
    err_console.print(f"[bold red]error:[/bold red] {escape(message)}", highlight=False,
                      soft_wrap=True)


def print_warnings(caught: list[warnings.WarningMessage]) -> None:
    """Print the sim2real warnings among ``caught`` (each message once, escaped)."""
    from sim2real.models.errors import Sim2RealWarning

    seen: set[str] = set()
    for w in caught:
        text = str(w.message)
        if issubclass(w.category, Sim2RealWarning) and text not in seen:
            seen.add(text)
            console.print(f"[yellow]warning:[/yellow] {escape(text)}", highlight=False,
                          soft_wrap=True)


@contextmanager
def progress_bar(total: int) -> Iterator[Any]:
    """A rich progress bar; yields ``advance(label)``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=True, disable=is_quiet()) as bar:
        task = bar.add_task("report", total=total)

        def advance(label: str) -> None:
            bar.update(task, advance=1, description=escape(label))

        yield advance
