"""Resumable on-disk store of a sweep: one small JSON file per finished run.

Every file is written to a temp file in the same folder, flushed, fsync-ed and renamed
with :func:`os.replace`, so a run's record either exists completely or not at all; a
``kill -9`` can leave at most a stray ``.*.tmp`` file, which is ignored (and unreadable
or truncated ``*.json`` files are treated as missing, with a warning). Pre-trained
weights are cached the same way, one file per (source, n_sim, seed).

Examples
--------
>>> import tempfile
>>> store = RunStore(tempfile.mkdtemp())
>>> key = RunKey("none", 0, 50, 0)
>>> _ = store.write(key, {"sim_source": "none", "n_sim": 0, "n_real": 50, "seed": 0,
...                      "error": 0.5})
>>> list(store.finished())
[RunKey(sim_source='none', n_sim=0, n_real=50, seed=0)]
"""

from __future__ import annotations

import json
import os
import pickle
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.errors import DataWarning
from models.storage import atomic_path


@dataclass(frozen=True, order=True)
class RunKey:
    """Identity of one run of the grid (``sim_source`` is ``"none"`` when ``n_sim == 0``).

    Examples
    --------
    >>> RunKey("mp", 100, 50, 1).name
    'mp__nsim100__nreal50__seed1'
    """

    sim_source: str
    n_sim: int
    n_real: int
    seed: int

    @property
    def name(self) -> str:
        """File-name stem of the run."""
        return f"{self.sim_source}__nsim{self.n_sim}__nreal{self.n_real}__seed{self.seed}"

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> RunKey:
        """Key of a stored record."""
        return cls(str(record["sim_source"]), int(record["n_sim"]), int(record["n_real"]),
                   int(record["seed"]))


def atomic_write_bytes(data: bytes, path: Path) -> Path:
    """Write ``data`` to ``path`` via temp file + fsync + ``os.replace`` (never partial)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return path


class RunStore:
    """Folder ``runs/`` of per-run JSON records and ``pretrained/`` weight caches."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.runs = self.root / "runs"
        self.weights = self.root / "pretrained"

    def write(self, key: RunKey, record: dict[str, Any]) -> Path:
        """Store one finished run atomically."""
        text = json.dumps(record, indent=1, sort_keys=True, default=float)
        return atomic_write_bytes(text.encode(), self.runs / f"{key.name}.json")

    def finished(self) -> dict[RunKey, dict[str, Any]]:
        """All complete records; temp files are skipped, corrupt files warned about."""
        out: dict[RunKey, dict[str, Any]] = {}
        if not self.runs.is_dir():
            return out
        for path in sorted(self.runs.glob("*.json")):
            if path.name.startswith("."):
                continue
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                key = RunKey.from_record(record)
            except (ValueError, KeyError, TypeError) as exc:
                warnings.warn(f"{path}: unreadable run record ({exc}); it will be recomputed.",
                              DataWarning, stacklevel=2)
                continue
            if key.name == path.stem:
                out[key] = record
        return out

    def clear(self) -> None:
        """Forget every run record and cached weight (``--no-resume`` also resets the
        timing and settings files)."""
        for folder in (self.runs, self.weights):
            if folder.is_dir():
                for path in folder.iterdir():
                    path.unlink()

    def _weight_path(self, source: str, n_sim: int, seed: int) -> Path:
        return self.weights / f"{source}__nsim{n_sim}__seed{seed}.pkl"

    def save_weights(self, source: str, n_sim: int, seed: int, net: Any) -> Path:
        """Cache a pre-trained network (a picklable :class:`~case_studies.mlp.Pretrained`)."""
        return atomic_write_bytes(pickle.dumps(net), self._weight_path(source, n_sim, seed))

    def load_weights(self, source: str, n_sim: int, seed: int) -> Any | None:
        """The cached network, or None if absent or unreadable."""
        path = self._weight_path(source, n_sim, seed)
        if not path.is_file():
            return None
        try:
            with path.open("rb") as handle:
                return pickle.load(handle)
        except (pickle.UnpicklingError, EOFError, AttributeError, ValueError):
            return None

    def read_json(self, name: str) -> Any:
        """A JSON side file of the store (e.g. ``timing.json``), or None."""
        path = self.root / name
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def write_json(self, name: str, obj: Any) -> Path:
        """Write a JSON side file atomically."""
        return atomic_write_bytes(json.dumps(obj, indent=1).encode(), self.root / name)
