"""Shared CLI helpers: console, error handling, atomic writes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape

from models.data.io import atomic_write_text, write_table_atomic

__all__ = ["atomic_write_text", "console", "err_console", "fail_on_error", "write_table_atomic"]

console = Console()
err_console = Console(stderr=True)


@contextmanager
def fail_on_error() -> Iterator[None]:
    """Turn sim2real errors into a red one-line message and exit code 2.

    The message is escaped: paths and messages may hold brackets (``[grid]``, ``a[/x]``)
    that Rich would otherwise read as markup (dropping them, or failing).
    """
    from models.errors import Sim2RealError

    try:
        yield
    except Sim2RealError as exc:
        err_console.print(f"[bold red]error:[/bold red] {escape(str(exc))}", highlight=False,
                          soft_wrap=True)
        raise typer.Exit(code=2) from exc
