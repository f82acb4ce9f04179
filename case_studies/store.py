"""Resumable on-disk store of a sweep: one small JSON file per finished run.

Every file is written to a temp file in the same folder, flushed, fsync-ed and renamed
with :func:`os.replace`, so a run's record either exists completely or not at all; a
``kill -9`` can leave at most a stray ``.*.tmp`` file, which is ignored (and unreadable
or truncated ``*.json`` files are treated as missing, with a warning). Pre-trained
networks are cached the same way, per (source, n_sim, seed), as *data only*: a tensor file
written by ``torch.save`` (read back with ``torch.load(..., weights_only=True)``, which
rebuilds tensors and never runs code from the file) plus a JSON header with the tensors'
names, shapes and dtypes, the scalers, the file's SHA-256 and the hash of the settings
that produced it. A cached network whose header is missing, unreadable or does not match
(other settings, other shapes, truncated or altered file, an old pickle) is refused with
a :class:`~models.errors.DataWarning` and recomputed.

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

import hashlib
import io
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim2real.case_studies.mlp import Pretrained
from sim2real.models.data.io import atomic_path
from sim2real.models.errors import DataWarning


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

    def _weight_paths(self, source: str, n_sim: int, seed: int) -> tuple[Path, Path]:
        # The tensor file keeps the historical ``.pkl`` name (``torch.save`` writes a zip
        # archive); it is only ever read with ``weights_only=True``.
        stem = f"{source}__nsim{n_sim}__seed{seed}"
        return self.weights / f"{stem}.pkl", self.weights / f"{stem}.json"

    def save_weights(self, source: str, n_sim: int, seed: int, net: Pretrained,
                     config_hash: str = "") -> Path:
        """Cache a pre-trained network as tensors + a JSON header (tensor file first, so
        an interrupted save leaves a pair that :meth:`load_weights` refuses).

        Examples
        --------
        >>> import tempfile, torch
        >>> net = Pretrained({"0.weight": torch.ones(1, 2)}, np.zeros(2, np.float32),
        ...                  np.ones(2, np.float32), 0.0, 1.0, 1, {"epochs": 3.0})
        >>> store = RunStore(tempfile.mkdtemp())
        >>> _ = store.save_weights("mp", 10, 0, net, config_hash="abc")
        >>> store.load_weights("mp", 10, 0, config_hash="abc").info
        {'epochs': 3.0}
        """
        data, header = encode_pretrained(net)
        header.update({"source": source, "n_sim": int(n_sim), "seed": int(seed),
                       "config_hash": config_hash})
        tensors, meta = self._weight_paths(source, n_sim, seed)
        atomic_write_bytes(data, tensors)
        atomic_write_bytes(json.dumps(header, indent=1, sort_keys=True).encode(), meta)
        return tensors

    def load_weights(self, source: str, n_sim: int, seed: int,
                     config_hash: str | None = None) -> Pretrained | None:
        """The cached network, or None if absent; a cached network that fails any check
        is refused with a :class:`~models.errors.DataWarning` (it is recomputed).

        ``config_hash`` must equal the one it was saved with (the sweep always passes it;
        None skips only that check, e.g. to inspect a cache).
        """
        tensors, meta = self._weight_paths(source, n_sim, seed)
        if not tensors.is_file() and not meta.is_file():
            return None
        expected: dict[str, Any] = {"source": source, "n_sim": int(n_sim), "seed": int(seed)}
        if config_hash is not None:
            expected["config_hash"] = config_hash
        try:
            return decode_pretrained(tensors, meta, expected)
        except WeightCacheError as exc:
            warnings.warn(f"{tensors}: cached pre-trained network refused ({exc}); it is "
                          "not loaded and will be recomputed.", DataWarning, stacklevel=2)
            return None

    def read_json(self, name: str) -> Any:
        """A JSON side file of the store (e.g. ``timing.json``), or None."""
        path = self.root / name
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def write_json(self, name: str, obj: Any) -> Path:
        """Write a JSON side file atomically."""
        return atomic_write_bytes(json.dumps(obj, indent=1).encode(), self.root / name)


WEIGHTS_FORMAT = "sim2real-pretrained"
WEIGHTS_VERSION = 1


class WeightCacheError(ValueError):
    """A cached network file that must not be used (internal to :class:`RunStore`)."""


def encode_pretrained(net: Pretrained) -> tuple[bytes, dict[str, Any]]:
    """``torch.save`` bytes of the network's tensors and the JSON header describing them."""
    import torch

    tensors = {f"state.{k}": v.detach().cpu().contiguous() for k, v in net.state.items()}
    tensors["x_mean"] = torch.from_numpy(np.ascontiguousarray(net.x_mean))
    tensors["x_std"] = torch.from_numpy(np.ascontiguousarray(net.x_std))
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    data = buffer.getvalue()
    header = {"format": WEIGHTS_FORMAT, "version": WEIGHTS_VERSION,
              "sha256": hashlib.sha256(data).hexdigest(),
              "tensors": {k: {"shape": list(v.shape), "dtype": str(v.dtype).split(".")[-1]}
                          for k, v in tensors.items()},
              "n_out": int(net.n_out), "y_mean": float(net.y_mean),
              "y_std": float(net.y_std), "info": {k: float(v) for k, v in net.info.items()}}
    return data, header


def _read_header(meta: Path, expected: dict[str, Any]) -> dict[str, Any]:
    if not meta.is_file():
        raise WeightCacheError(f"its header {meta.name} is missing")
    try:
        header = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise WeightCacheError(f"unreadable header {meta.name}: {exc}") from exc
    if not isinstance(header, dict) or header.get("format") != WEIGHTS_FORMAT \
            or header.get("version") != WEIGHTS_VERSION:
        raise WeightCacheError(f"{meta.name} is not a version-{WEIGHTS_VERSION} "
                               f"{WEIGHTS_FORMAT} header")
    wrong = sorted(k for k, v in expected.items() if header.get(k) != v)
    if wrong:
        raise WeightCacheError(f"header {meta.name} does not match this run ({wrong}: "
                               f"{[header.get(k) for k in wrong]} != "
                               f"{[expected[k] for k in wrong]}), e.g. other settings")
    if not isinstance(header.get("tensors"), dict) or not isinstance(header.get("info"),
                                                                     dict):
        raise WeightCacheError(f"header {meta.name} lacks the tensor list")
    return header


def decode_pretrained(tensors: Path, meta: Path, expected: dict[str, Any]) -> Pretrained:
    """Check a cached network against its header and rebuild it (tensors only).

    Raises
    ------
    WeightCacheError
        On any missing file, mismatch or unreadable content.
    """
    import torch

    header = _read_header(meta, expected)
    if not tensors.is_file():
        raise WeightCacheError("the tensor file is missing")
    data = tensors.read_bytes()
    if hashlib.sha256(data).hexdigest() != header.get("sha256"):
        raise WeightCacheError("its SHA-256 differs from the header's (truncated or altered)")
    try:
        with warnings.catch_warnings():   # torch's own remarks on a foreign file
            warnings.simplefilter("ignore")
            loaded = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # whatever the reason (a refused pickle, a bad zip): refuse

        raise WeightCacheError(f"not a plain tensor file ({type(exc).__name__}: "
                               f"{str(exc).splitlines()[0] if str(exc) else ''})") from exc
    spec = header["tensors"]
    if not isinstance(loaded, dict) or set(loaded) != set(spec) \
            or not {"x_mean", "x_std"} <= set(loaded):
        raise WeightCacheError("its tensors differ from the header's list")
    for name, value in loaded.items():
        if not isinstance(value, torch.Tensor) or list(value.shape) != spec[name].get("shape") \
                or str(value.dtype).split(".")[-1] != spec[name].get("dtype"):
            raise WeightCacheError(f"tensor {name!r} differs from the header's shape/dtype")
    try:
        return Pretrained(state={k[len("state."):]: v for k, v in loaded.items()
                                 if k.startswith("state.")},
                          x_mean=loaded["x_mean"].numpy(), x_std=loaded["x_std"].numpy(),
                          y_mean=float(header["y_mean"]), y_std=float(header["y_std"]),
                          n_out=int(header["n_out"]),
                          info={str(k): float(v) for k, v in header["info"].items()})
    except (KeyError, TypeError, ValueError) as exc:
        raise WeightCacheError(f"header {meta.name} lacks {exc}") from exc
