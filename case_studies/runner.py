"""The sweep runner: grid expansion, leakage-safe run inputs, Dask execution, curves.

Each run pre-trains an MLP on ``n_sim`` computational samples (one pre-training per
(source, n_sim, seed), shared by every ``n_real`` and cached on disk), fine-tunes it on
``n_real`` real samples and scores it on the seed's held-out real groups. Runs are Dask
tasks (a ``LocalCluster`` of worker processes by default, or any existing scheduler);
the driver writes each finished run to the :class:`~case_studies.store.RunStore`, so a
killed sweep resumes with only the missing runs, and assembles the learning-curve
table atomically at the end.

Examples
--------
>>> from sim2real.case_studies.config import GridConfig, SweepConfig
>>> cfg = SweepConfig(task="t", featurizer="composition", id_column="formula",
...                   target_column="target", real="r.csv", sims={"dft": "d.csv"},
...                   grid=GridConfig((0, 10, 20), (5, 10), (0,)))
>>> [k.name for k in expand_grid(cfg, {"dft": 15})][:3]
['none__nsim0__nreal5__seed0', 'none__nsim0__nreal10__seed0', 'dft__nsim10__nreal5__seed0']
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim2real.case_studies.config import MLPConfig, SweepConfig
from sim2real.case_studies.data import Study, load_study, real_split, require_module, sim_pool
from sim2real.case_studies.store import RunKey, RunStore, atomic_write_bytes
from sim2real.models.errors import InputDataError, Sim2RealError, SpecError

CURVE_COLUMNS: tuple[str, ...] = ("task", "sim_source", "n_sim", "n_real", "seed", "error",
                                  "metric", "n_test")


class SweepRunError(Sim2RealError, RuntimeError):
    """Some runs of a sweep failed (the finished ones are kept)."""


@dataclass(frozen=True)
class Arrays:
    """Features and targets shipped to workers (scattered once per table)."""

    X: np.ndarray
    y: np.ndarray


@dataclass(frozen=True)
class Plan:
    """Runs of the grid plus the per-seed real splits and sim pools they draw from."""

    keys: list[RunKey]
    splits: dict[int, tuple[np.ndarray, np.ndarray]]
    pools: dict[tuple[str, int], np.ndarray]


@dataclass
class SweepResult:
    """What a sweep call did: the curves, runs computed now / reused, timing."""

    curves: pd.DataFrame
    computed: list[RunKey]
    reused: int
    missing: list[RunKey]
    wall_seconds: float
    out: Path | None = None
    notes: dict[str, str] = field(default_factory=dict)


def derive_seed(seed: int, *parts: object) -> int:
    """A stable 31-bit seed from the user seed and a run's identity.

    Examples
    --------
    >>> derive_seed(0, "mp", 100) == derive_seed(0, "mp", 100)
    True
    """
    salt = zlib.crc32(repr(parts).encode())
    return int(np.random.SeedSequence([int(seed), salt]).generate_state(1)[0] & 0x7FFFFFFF)


def expand_grid(cfg: SweepConfig, pool_caps: dict[str, int]) -> list[RunKey]:
    """Full grid: scratch runs once per (n_real, seed), then every source x n_sim.

    ``n_sim`` values above a source's leakage-free pool (``pool_caps``, the minimum over
    seeds) are replaced by the pool size, so a small source ends at its maximum.
    """
    g = cfg.grid
    keys = [RunKey("none", 0, nr, s) for s in g.seeds for nr in g.n_real] if 0 in g.n_sim else []
    for src in cfg.sources:
        sizes = sorted({min(n, pool_caps[src]) for n in g.n_sim if n > 0})
        keys += [RunKey(src, n, nr, s) for s in g.seeds for n in sizes for nr in g.n_real]
    return keys


def plan_runs(cfg: SweepConfig, study: Study) -> Plan:
    """Per-seed splits, per-(source, seed) sim pools and the grid of runs."""
    splits = {s: real_split(study.real.ids, s, cfg.test_fraction) for s in cfg.grid.seeds}
    smallest = min(len(tr) for tr, _ in splits.values())
    if max(cfg.grid.n_real) > smallest:
        raise InputDataError(f"{cfg.origin}: [grid].n_real goes up to {max(cfg.grid.n_real)} "
                             f"but only {smallest} real rows remain for training after "
                             "holding out the test groups. Fix: lower n_real or "
                             "[sweep].test_fraction.")
    pools = {(src, s): sim_pool(data.ids, set(study.real.ids[splits[s][1]]), s, src)
             for src, data in study.sims.items() for s in cfg.grid.seeds}
    caps = {src: min(len(pools[src, s]) for s in cfg.grid.seeds) for src in cfg.sources}
    return Plan(expand_grid(cfg, caps), splits, pools)


def pretrain_task(sim: Arrays, rows: np.ndarray, mlp_cfg: MLPConfig, seed: int, n_out: int,
                  classification: bool) -> Any:
    """Dask task: pre-train on the given sim rows; returns a ``Pretrained``."""
    from sim2real.case_studies.mlp import pretrain

    start = time.perf_counter()
    net = pretrain(sim.X[rows], sim.y[rows], mlp_cfg, seed, n_out=n_out,
                   classification=classification)
    net.info["seconds"] = time.perf_counter() - start
    return net


def finetune_task(base: Any, real: Arrays, train_rows: np.ndarray, test_rows: np.ndarray,
                  mlp_cfg: MLPConfig, seed: int, n_out: int,
                  classification: bool) -> dict[str, float]:
    """Dask task: fine-tune ``base`` (None = from scratch); returns test metrics."""
    from sim2real.case_studies.mlp import finetune

    start = time.perf_counter()
    out = finetune(base, real.X[train_rows], real.y[train_rows], real.X[test_rows],
                   real.y[test_rows], mlp_cfg, seed, n_out=n_out, classification=classification)
    out["finetune_seconds"] = time.perf_counter() - start
    if base is not None:
        out["pretrain_seconds"] = float(base.info.get("seconds", float("nan")))
        out["pretrain_epochs"] = float(base.info.get("epochs", float("nan")))
    return out


@contextmanager
def dask_client(workers: int = 2, scheduler: str | None = None,
                processes: bool = True) -> Iterator[Any]:
    """A Dask client: on ``scheduler`` if given, else on a fresh ``LocalCluster``.

    Local workers run one thread each (torch is limited to one thread per task).
    """
    require_module("distributed", "sweep", "running a sweep on Dask workers")
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                      dashboard_address=":0", silence_logs=40) as cluster, \
            Client(cluster) as client:
        yield client


def _submit_all(client: Any, cfg: SweepConfig, study: Study, plan: Plan, todo: list[RunKey],
                store: RunStore) -> dict[str, tuple[str, Any]]:
    """Submit pre-training and fine-tuning tasks; returns future key -> (kind, payload)."""
    tag = uuid.uuid4().hex[:8]
    classification = cfg.task_type == "classification"
    n_out = len(study.classes) if classification else 1
    real = client.scatter(Arrays(study.real.X, study.real.y), broadcast=False)
    sims: dict[str, Any] = {}
    bases: dict[tuple[str, int, int], Any] = {}
    futures: dict[str, tuple[str, Any]] = {}
    for key in todo:
        base = None
        group = (key.sim_source, key.n_sim, key.seed)
        if key.n_sim > 0 and group not in bases:
            cached = store.load_weights(*group,
                                        config_hash=pretrain_hash(cfg, key.sim_source))
            if cached is None:
                if key.sim_source not in sims:
                    data = study.sims[key.sim_source]
                    sims[key.sim_source] = client.scatter(Arrays(data.X, data.y),
                                                          broadcast=False)
                rows = plan.pools[key.sim_source, key.seed][:key.n_sim]
                cached = client.submit(pretrain_task, sims[key.sim_source], rows, cfg.mlp,
                                       derive_seed(key.seed, *group), n_out, classification,
                                       key=f"pretrain-{'-'.join(map(str, group))}-{tag}")
                futures[cached.key] = ("pretrain", (group, cached))
            bases[group] = cached
        if key.n_sim > 0:
            base = bases[group]
        train_rows, test_rows = plan.splits[key.seed]
        fut = client.submit(finetune_task, base, real, train_rows[:key.n_real], test_rows,
                            cfg.mlp, derive_seed(key.seed, *group, key.n_real), n_out,
                            classification, key=f"run-{key.name}-{tag}")
        futures[fut.key] = ("run", (key, fut, len(test_rows)))
    return futures


def _record(cfg: SweepConfig, key: RunKey, result: dict[str, float], n_test: int
            ) -> dict[str, Any]:
    record: dict[str, Any] = {"task": cfg.task, "sim_source": key.sim_source,
                              "n_sim": key.n_sim, "n_real": key.n_real, "seed": key.seed,
                              "error": result[cfg.metric], "metric": cfg.metric,
                              "n_test": n_test, "finished_utc": datetime.now(UTC).isoformat()}
    record.update({k: v for k, v in result.items() if k not in record})
    return record


def _progress(enabled: bool, total: int) -> Any:
    if not enabled:
        return nullcontext(None)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn("[bold]sweep"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn())


def execute(client: Any, cfg: SweepConfig, study: Study, plan: Plan, todo: list[RunKey],
            store: RunStore, show_progress: bool = True,
            on_done: Callable[[], None] | None = None) -> list[RunKey]:
    """Run ``todo`` on ``client``; store each run as it finishes. Returns runs done."""
    from distributed import as_completed

    futures = _submit_all(client, cfg, study, plan, todo, store)
    done: list[RunKey] = []
    failures: list[str] = []
    with _progress(show_progress, len(todo)) as bar:
        task_id = bar.add_task("runs", total=len(todo)) if bar is not None else None
        for fut in as_completed([payload[1] for _, payload in futures.values()]):
            kind, payload = futures[fut.key]
            try:
                value = fut.result()
            except Exception as exc:  # reported below; the other runs continue
                failures.append(f"{fut.key}: {type(exc).__name__}: {exc}")
                if bar is not None and kind == "run":
                    bar.advance(task_id)
                continue
            if kind == "pretrain":
                source, n_sim, seed = payload[0]
                store.save_weights(source, n_sim, seed, value,
                                   config_hash=pretrain_hash(cfg, source))
                continue
            key, _, n_test = payload
            store.write(key, _record(cfg, key, value, n_test))
            done.append(key)
            if on_done is not None:
                on_done()
            if bar is not None:
                bar.advance(task_id)
    if failures:
        raise SweepRunError(f"{len(failures)} task(s) failed (finished runs are stored; rerun "
                            "to retry the rest): " + "; ".join(failures[:5]))
    return done


def assemble_curves(cfg: SweepConfig, keys: list[RunKey],
                    records: dict[RunKey, dict[str, Any]]) -> pd.DataFrame:
    """The learning-curve contract table of the finished runs among ``keys``."""
    rows = [{c: records[k][c] for c in CURVE_COLUMNS} for k in keys if k in records]
    table = pd.DataFrame(rows, columns=list(CURVE_COLUMNS))
    ok = np.isfinite(table["error"].astype(float)) & (table["error"].astype(float) > 0)
    if not ok.all():
        import warnings

        from sim2real.models.errors import DataWarning

        warnings.warn(f"{int((~ok).sum())} run(s) have error <= 0 (e.g. a perfect error "
                      "rate) and are left out of the curves; use metric = 'log_loss'.",
                      DataWarning, stacklevel=2)
    table = table[ok].astype({"n_sim": int, "n_real": int, "seed": int, "n_test": int})
    return table.sort_values(["sim_source", "seed", "n_sim", "n_real"]).reset_index(drop=True)


def write_curves(curves: pd.DataFrame, path: Path) -> Path:
    """Write the curves as CSV (or Parquet by suffix) atomically."""
    if path.suffix.lower() in (".parquet", ".pq"):
        import io

        require_module("pyarrow", "parquet", f"writing {path}")
        buffer = io.BytesIO()
        curves.to_parquet(buffer, index=False)
        return atomic_write_bytes(buffer.getvalue(), path)
    return atomic_write_bytes(curves.to_csv(index=False).encode(), path)


def default_paths(cfg: SweepConfig, out: str | Path | None,
                  work_dir: str | Path | None) -> tuple[Path, Path]:
    """Curves path (``--out`` or ``[sweep].output`` next to the config) and the work dir."""
    if out is None:
        base = Path(cfg.origin).parent if cfg.origin != "<config>" else Path.cwd()
        out = base / cfg.output
    out = Path(out)
    work = Path(work_dir) if work_dir else out.parent / f".{out.stem}_runs"
    return out, work


def core_settings(cfg: SweepConfig) -> dict[str, Any]:
    """The settings that define a run (everything but the grid, paths and sim tables)."""
    core = {k: v for k, v in dataclasses.asdict(cfg).items()
            if k not in ("grid", "output", "origin", "sims")}
    return dict(json.loads(json.dumps(core)))


def pretrain_hash(cfg: SweepConfig, source: str) -> str:
    """SHA-256 of the settings a pre-trained network of ``source`` depends on (stored in,
    and checked against, its cache header).

    Examples
    --------
    >>> from sim2real.case_studies.config import GridConfig, SweepConfig
    >>> cfg = SweepConfig(task="t", featurizer="composition", id_column="formula",
    ...                   target_column="target", real="r.csv", sims={"dft": "d.csv"},
    ...                   grid=GridConfig((0, 10), (5, 10), (0,)))
    >>> other = dataclasses.replace(cfg, test_fraction=0.5)
    >>> pretrain_hash(cfg, "dft") == pretrain_hash(other, "dft")
    False
    """
    text = json.dumps({"core": core_settings(cfg), "sim": cfg.sims.get(source)},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def check_settings(cfg: SweepConfig, store: RunStore) -> None:
    """Refuse to mix runs measured with different settings in one work dir.

    The settings that define a run (task, data, featurizer, split, MLP hyper-parameters)
    are saved as ``settings.json``; the grid may grow and sources may be added.
    """
    now = {"core": core_settings(cfg), "sims": json.loads(json.dumps(cfg.sims))}
    old = store.read_json("settings.json")
    if old is not None:
        changed = sorted(k for k in set(now["core"]) | set(old["core"])
                         if now["core"].get(k) != old["core"].get(k))
        changed += [f"sims.{n}" for n in set(now["sims"]) & set(old["sims"])
                    if now["sims"][n] != old["sims"][n]]
        if changed:
            raise SpecError(f"{cfg.origin}: {changed} differ from the settings of the runs "
                            f"already in {store.root}. Fix: rerun with --no-resume to "
                            "recompute everything, or use another --work-dir / --out.")
        now["sims"] = {**old["sims"], **now["sims"]}
    store.write_json("settings.json", now)


class SessionLog:
    """Timing of one sweep session in ``timing.json``, saved after every finished run.

    A session killed mid-way keeps the wall time up to its last finished run and is
    marked ``interrupted`` by the next session; totals sum over all sessions.
    """

    def __init__(self, store: RunStore, start: float, info: dict[str, Any]) -> None:
        self.store, self.start = store, start
        self.log = store.read_json("timing.json") or {"sessions": []}
        for old in self.log["sessions"]:
            if old.get("status") == "running":
                old["status"] = "interrupted"
        self.session = {**info, "status": "running", "wall_seconds": 0.0, "runs_computed": 0}
        self.log["sessions"].append(self.session)
        self.save()

    def save(self) -> None:
        """Update the wall time and totals and write the log atomically."""
        self.session["wall_seconds"] = time.perf_counter() - self.start
        self.log["total_wall_seconds"] = sum(s["wall_seconds"] for s in self.log["sessions"])
        self.log["total_runs_computed"] = sum(s["runs_computed"] for s in self.log["sessions"])
        self.store.write_json("timing.json", self.log)

    def run_done(self) -> None:
        """Count one finished run."""
        self.session["runs_computed"] += 1
        self.save()

    def finish(self, out: Path) -> None:
        """Close the session and copy the log next to the curves."""
        self.session["status"] = "finished"
        self.save()
        atomic_write_bytes(self.store.root.joinpath("timing.json").read_bytes(),
                           out.with_name(f"{out.stem}_timing.json"))


def run_sweep(cfg: SweepConfig, *, data_dir: str | Path | None = None,
              out: str | Path | None = None, work_dir: str | Path | None = None,
              workers: int = 2, scheduler: str | None = None, resume: bool = True,
              limit: int | None = None, processes: bool = True, show_progress: bool = True,
              study: Study | None = None) -> SweepResult:
    """Measure every missing run of the grid and write the curves table atomically.

    Parameters
    ----------
    cfg : SweepConfig
        The validated sweep.
    data_dir, out, work_dir : path, optional
        Data folder (see :func:`~case_studies.data.resolve_data_dir`), curves output, and
        the folder of per-run records (default ``.<out stem>_runs`` beside ``out``).
    workers, scheduler, processes
        Local worker count, or the address of an existing Dask scheduler.
    resume : bool
        Keep finished runs (default); False recomputes everything.
    limit : int, optional
        Compute at most this many missing runs (for benchmarks and tests).
    study : Study, optional
        Pre-loaded data (skips loading/featurizing).
    """
    start, started = time.perf_counter(), datetime.now(UTC).isoformat()
    out_path, work = default_paths(cfg, out, work_dir)
    study = study if study is not None else load_study(cfg, data_dir)
    plan = plan_runs(cfg, study)
    store = RunStore(work)
    if not resume:
        store.clear()
        for name in ("settings.json", "timing.json"):
            store.root.joinpath(name).unlink(missing_ok=True)
    check_settings(cfg, store)
    finished = store.finished()
    reused = sum(k in finished for k in plan.keys)
    todo = [k for k in plan.keys if k not in finished]
    todo = todo[:limit] if limit is not None else todo
    log = SessionLog(store, start, {
        "started_utc": started, "runs_reused": reused, "runs_in_grid": len(plan.keys),
        "workers": workers if scheduler is None else None, "scheduler": scheduler,
        "cpu_count": os.cpu_count(), "machine": platform.machine(),
        "python": platform.python_version()})
    computed: list[RunKey] = []
    if todo:
        with dask_client(workers, scheduler, processes) as client:
            computed = execute(client, cfg, study, plan, todo, store, show_progress,
                               on_done=log.run_done)
    records = store.finished()
    curves = assemble_curves(cfg, plan.keys, records)
    write_curves(curves, out_path)
    log.finish(out_path)
    wall = time.perf_counter() - start
    missing = [k for k in plan.keys if k not in records]
    return SweepResult(curves, computed, reused, missing, wall, out_path, study.notes)
