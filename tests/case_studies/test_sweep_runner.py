"""The sweep runner on synthetic tables: contract output, resume, Dask, reproducibility."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim2real.case_studies.config import load_config
from sim2real.case_studies.data import load_study
from sim2real.case_studies.runner import CURVE_COLUMNS, dask_client, plan_runs, run_sweep
from sim2real.case_studies.store import RunKey, RunStore
from sim2real.models.data.contract import load_curves


def _sweep(cfg_path: Path, data: Path, tmp_path: Path, **kw: object):  # type: ignore[no-untyped-def]
    cfg = load_config(cfg_path)
    kw.setdefault("study", load_study(cfg, data))
    return run_sweep(cfg, data_dir=data, out=tmp_path / "out" / "curves.csv", workers=1,
                     processes=False, show_progress=False, **kw)  # type: ignore[arg-type]


def test_full_sweep_writes_contract_table(toy_config: Path, toy_data: Path,
                                          tmp_path: Path) -> None:
    result = _sweep(toy_config, toy_data, tmp_path)
    curves = pd.read_csv(tmp_path / "out" / "curves.csv")
    assert list(curves.columns) == list(CURVE_COLUMNS)
    # 2 seeds x 3 n_real x (scratch + 3 sim sizes; 1000 is capped to the sim pool)
    assert len(curves) == len(result.computed) == 2 * 3 * 4
    assert not result.missing
    assert (curves["error"] > 0).all() and set(curves["metric"]) == {"MAE"}
    scratch = curves[curves["n_sim"] == 0]
    assert set(scratch["sim_source"]) == {"none"} and len(scratch) == 6
    capped = curves[curves["sim_source"] == "dft"]["n_sim"].max()
    assert 100 < capped < 1000
    data = load_curves(tmp_path / "out" / "curves.csv")
    assert data.tasks == ["toy"]
    timing = json.loads((tmp_path / "out" / "curves_timing.json").read_text())
    assert timing["total_runs_computed"] == 24 and timing["total_wall_seconds"] > 0


def test_resume_computes_only_missing_runs(toy_config: Path, toy_data: Path,
                                           tmp_path: Path) -> None:
    first = _sweep(toy_config, toy_data, tmp_path, limit=7)
    assert len(first.computed) == 7 and len(first.missing) == 17
    assert len(pd.read_csv(tmp_path / "out" / "curves.csv")) == 7
    runs = tmp_path / "out" / ".curves_runs" / "runs"
    # a kill -9 during a write leaves at most a temp file; a truncated record is recomputed
    (runs / ".none__nsim0__nreal10__seed9.json.abc.tmp").write_text('{"task": "to')
    victim = sorted(runs.glob("*.json"))[0]
    saved = json.loads(victim.read_text())
    victim.write_text(victim.read_text()[:20])
    with pytest.warns(UserWarning, match="unreadable run record"):
        second = _sweep(toy_config, toy_data, tmp_path)
    assert len(second.computed) == 24 - 7 + 1
    assert RunKey.from_record(saved) in second.computed
    assert not set(second.computed) & (set(first.computed) - {RunKey.from_record(saved)})
    third = _sweep(toy_config, toy_data, tmp_path)
    assert third.computed == [] and third.reused == 24
    timing = json.loads((tmp_path / "out" / "curves_timing.json").read_text())
    assert len(timing["sessions"]) == 3 and timing["total_runs_computed"] == 25


def test_pretrained_weights_are_cached_and_reused(toy_config: Path, toy_data: Path,
                                                  tmp_path: Path) -> None:
    first = _sweep(toy_config, toy_data, tmp_path, limit=8)  # 6 scratch + 2 with dft, n_sim=50
    assert [k.n_sim for k in first.computed].count(50) == 2
    store = RunStore(tmp_path / "out" / ".curves_runs")
    cached = sorted(p.name for p in store.weights.glob("*.pkl"))
    assert cached == ["dft__nsim50__seed0.pkl"]
    assert store.load_weights("dft", 50, 0) is not None


def test_runs_are_reproducible(toy_config: Path, toy_data: Path, tmp_path: Path) -> None:
    a = _sweep(toy_config, toy_data, tmp_path / "a", limit=8).curves
    b = _sweep(toy_config, toy_data, tmp_path / "a", resume=False, limit=8).curves
    assert len(a) == 8 and (a["n_sim"] > 0).sum() == 2
    pd.testing.assert_frame_equal(a, b)


def test_grid_is_full_and_scratch_runs_are_shared(toy_config: Path, toy_data: Path) -> None:
    cfg = load_config(toy_config)
    plan = plan_runs(cfg, load_study(cfg, toy_data))
    keys = set(plan.keys)
    assert len(keys) == len(plan.keys) == 24
    for seed in (0, 1):
        for n_real in (10, 20, 40):
            assert RunKey("none", 0, n_real, seed) in keys
            assert {k.n_sim for k in keys if k.seed == seed and k.n_real == n_real} == \
                {0, 50, 100, max(k.n_sim for k in keys)}


def test_dask_local_cluster_runs_tasks() -> None:
    from sim2real.case_studies.config import MLPConfig
    from sim2real.case_studies.runner import Arrays, finetune_task

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    real = Arrays(X, X.sum(axis=1))
    cfg = MLPConfig(hidden=(8,), max_epochs=5)
    with dask_client(workers=1, processes=False) as client:
        fut = client.submit(finetune_task, None, client.scatter(real), np.arange(30),
                            np.arange(30, 40), cfg, 0, 1, False)
        out = fut.result()
    assert out["MAE"] > 0 and out["finetune_seconds"] >= 0


def test_resume_refuses_changed_hyperparameters(toy_config: Path, toy_data: Path,
                                                tmp_path: Path) -> None:
    from sim2real.models.errors import SpecError

    _sweep(toy_config, toy_data, tmp_path, limit=2)
    toy_config.write_text(toy_config.read_text().replace("hidden = [16]", "hidden = [8]"))
    with pytest.raises(SpecError, match=r"\['mlp'\] differ.*--no-resume"):
        _sweep(toy_config, toy_data, tmp_path, limit=2)
    again = _sweep(toy_config, toy_data, tmp_path, limit=2, resume=False)
    assert len(again.computed) == 2
