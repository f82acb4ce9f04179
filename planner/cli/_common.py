"""Shared CLI helpers: console, error handling, atomic writes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True)


@contextmanager
def fail_on_error() -> Iterator[None]:
    """Turn sim2real errors into a red one-line message and exit code 2."""
    from models.errors import Sim2RealError

    try:
        yield
    except Sim2RealError as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from exc


def atomic_write_text(text: str, path: Path) -> Path:
    """Write ``text`` to ``path`` through a temp file and a rename (never partial)."""
    from models.storage import atomic_path

    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def write_table_atomic(table: Any, path: Path) -> Path:
    """Write a DataFrame as CSV (or Parquet by suffix) atomically."""
    if path.suffix.lower() in (".parquet", ".pq"):
        from models.storage import atomic_path

        with atomic_path(path) as tmp:
            table.to_parquet(tmp, index=False)
        return path
    return atomic_write_text(table.to_csv(index=False), path)
