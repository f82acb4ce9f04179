"""Measuring the runs of a retrospective validation: real (sweep runner) or synthetic.

:class:`SweepMeasurer` runs pre-training / fine-tuning with the sweep's leakage-safe
splits and nested pool order and caches every run in a
:class:`~case_studies.store.RunStore`; :func:`synthetic_measure` is a stand-in from known
laws for tests. Both map run keys to realized errors.

Examples
--------
>>> m = synthetic_measure({"none": (0.3, 2.0, 0.5)}, noise=0.0)
>>> round(m([RunKey("none", 0, 400, 0)])[RunKey("none", 0, 400, 0)], 3)
0.4
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sim2real.case_studies.store import RunKey, RunStore
from sim2real.models.errors import InputDataError

Measure = Callable[[Sequence[RunKey]], Mapping[RunKey, float]]


class SweepMeasurer:
    """Measure runs with the sweep runner: leakage-safe, nested pools, cached on disk.

    Uses the per-seed real split and computational pool order of the sweep
    (:func:`case_studies.data.real_split`, :func:`case_studies.data.sim_pool`), so a run
    at ``n`` samples uses the first ``n`` rows of the pool and its error equals the
    sweep's at the same point. Finished runs and pre-trained weights live in a
    :class:`~case_studies.store.RunStore`; runs already stored are never recomputed.

    Parameters
    ----------
    cfg : SweepConfig
        The study's sweep config (its ``[mlp]``, split and data settings).
    study : Study
        Loaded data (:func:`case_studies.data.load_study`).
    work_dir : path
        Folder of the run store.
    client : distributed.Client
        Where runs execute (see :func:`case_studies.runner.dask_client`).
    seeds : sequence of int
        Seeds whose splits and pools are prepared.
    """

    def __init__(self, cfg: Any, study: Any, work_dir: str | Path, client: Any,
                 seeds: Sequence[int], show_progress: bool = False) -> None:
        from sim2real.case_studies.data import real_split, sim_pool
        from sim2real.case_studies.runner import check_settings

        self.cfg, self.study, self.client = cfg, study, client
        self.show_progress = show_progress
        self.splits = {s: real_split(study.real.ids, s, cfg.test_fraction) for s in seeds}
        self.pools = {(src, s): sim_pool(d.ids, set(study.real.ids[self.splits[s][1]]), s,
                                         src)
                      for src, d in study.sims.items() for s in seeds}
        self.store = RunStore(work_dir)
        check_settings(cfg, self.store)
        self.computed: list[RunKey] = []

    def _check(self, key: RunKey) -> None:
        if key.seed not in self.splits:
            raise InputDataError(f"run {key.name}: seed {key.seed} was not prepared.")
        room = len(self.splits[key.seed][0])
        if key.n_real > room:
            raise InputDataError(f"run {key.name}: n_real {key.n_real} exceeds the "
                                 f"{room} real training rows of seed {key.seed}. Fix: "
                                 "lower max_n_real.")
        if key.n_sim > 0 and key.n_sim > len(self.pools[key.sim_source, key.seed]):
            raise InputDataError(f"run {key.name}: n_sim exceeds the leakage-free pool "
                                 f"of '{key.sim_source}'. Fix: lower max_n_sim.")

    def __call__(self, keys: Sequence[RunKey]) -> dict[RunKey, float]:
        """Realized errors of ``keys`` (computing only the runs not stored yet)."""
        from sim2real.case_studies.runner import Plan, execute

        for key in keys:
            self._check(key)
        finished = self.store.finished()
        todo = sorted({k for k in keys if k not in finished})
        if todo:
            plan = Plan(todo, self.splits, self.pools)
            self.computed += execute(self.client, self.cfg, self.study, plan, todo,
                                     self.store, self.show_progress)
            finished = self.store.finished()
        return {k: float(finished[k]["error"]) for k in keys}


def synthetic_measure(laws: Mapping[str, tuple[float, ...]], noise: float = 0.03,
                      seed: int = 0) -> Measure:
    """A stand-in ``measure`` from known laws ``source -> (C, D, alpha[, beta])`` (for tests).

    The scratch law (``"none"``) is in ``n_real``, database laws in ``n_sim``; a fourth
    entry ``beta`` makes a database's decaying term shrink with the fine-tuning set too,
    ``D n_sim^-alpha (n_real / 100)^-beta`` (a two-axis world). Every run gets log-normal
    noise seeded by its key, so repeated calls agree.

    Examples
    --------
    >>> m = synthetic_measure({"none": (0.3, 2.0, 0.5)}, noise=0.0)
    >>> round(m([RunKey("none", 0, 100, 0)])[RunKey("none", 0, 100, 0)], 3)
    0.5
    """
    import zlib

    def measure(keys: Sequence[RunKey]) -> dict[RunKey, float]:
        out = {}
        for k in keys:
            c, d, a, *rest = laws[k.sim_source]
            x = k.n_real if k.sim_source == "none" else k.n_sim
            gain = (k.n_real / 100.0) ** -rest[0] if rest and k.sim_source != "none" else 1.0
            rng = np.random.default_rng([seed, zlib.crc32(k.name.encode())])
            out[k] = (c + d * x ** -a * gain) * float(np.exp(noise * rng.standard_normal()))
        return out
    return measure
