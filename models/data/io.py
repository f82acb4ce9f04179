"""Atomic file writes: a reader never sees a partial file (temp file + rename).

Examples
--------
>>> import tempfile
>>> target = Path(tempfile.mkdtemp()) / "out.txt"
>>> _ = atomic_write_text("done", target)
>>> target.read_text()
'done'
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def atomic_path(path: str | Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside ``path`` that becomes ``path`` only if the block succeeds.

    The temp file is renamed over ``path`` on success and removed on any error, so readers
    never see a partial file; it gets the usual mode of a new file (``0666`` minus the
    umask; ``mkstemp`` creates it private).

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_text(text: str, path: str | Path) -> Path:
    """Write ``text`` to ``path`` through a temp file and a rename (never partial)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_table_atomic(table: Any, path: str | Path) -> Path:
    """Write a DataFrame as CSV (or Parquet by suffix) atomically."""
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        with atomic_path(path) as tmp:
            table.to_parquet(tmp, index=False)
        return path
    return atomic_write_text(table.to_csv(index=False), path)
