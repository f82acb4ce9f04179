"""The pre-trained weight cache is data only: planted pickles are never executed.

Anyone who can write a sweep's work folder could otherwise run code on the next resume.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from sim2real.case_studies.config import load_config
from sim2real.case_studies.data import load_study
from sim2real.case_studies.mlp import Pretrained
from sim2real.case_studies.runner import pretrain_hash, run_sweep
from sim2real.case_studies.store import RunStore
from sim2real.models.errors import DataWarning


class Planted:
    """Unpickling this creates ``marker`` (stands for arbitrary code)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (self.marker, "w"))


def _net() -> Pretrained:
    import torch

    gen = torch.Generator().manual_seed(0)
    state = {"0.weight": torch.randn(4, 3, generator=gen), "0.bias": torch.randn(4, generator=gen),
             "2.weight": torch.randn(1, 4, generator=gen), "2.bias": torch.zeros(1)}
    return Pretrained(state, np.arange(3, dtype=np.float32), np.ones(3, np.float32), 0.5, 2.0,
                      1, {"epochs": 7.0, "seconds": 0.25})


def _plant(store: RunStore, marker: Path, *, forge_header: bool,
           source: str = "dft", n_sim: int = 50, seed: int = 0, config_hash: str = "") -> None:
    """A malicious pickle where the cache expects the network (optionally with a header
    that is consistent with it: same identity, same hash, same SHA-256)."""
    store.weights.mkdir(parents=True, exist_ok=True)
    stem = f"{source}__nsim{n_sim}__seed{seed}"
    data = pickle.dumps(Planted(marker))
    (store.weights / f"{stem}.pkl").write_bytes(data)
    if forge_header:
        header = {"format": "sim2real-pretrained", "version": 1, "source": source,
                  "n_sim": n_sim, "seed": seed, "config_hash": config_hash,
                  "sha256": hashlib.sha256(data).hexdigest(), "tensors": {}, "n_out": 1,
                  "y_mean": 0.0, "y_std": 1.0, "info": {}}
        (store.weights / f"{stem}.json").write_text(json.dumps(header))


@pytest.mark.parametrize("forge_header", [False, True])
def test_planted_pickle_is_not_executed(tmp_path: Path, forge_header: bool) -> None:
    store = RunStore(tmp_path / "work")
    marker = tmp_path / "pwned"
    _plant(store, marker, forge_header=forge_header)
    with pytest.warns(DataWarning, match="refused"):
        loaded = store.load_weights("dft", 50, 0)
    assert loaded is None
    assert not marker.exists(), "the planted pickle was executed"


def test_weights_round_trip_exactly(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    net = _net()
    store.save_weights("dft", 50, 0, net, config_hash="h1")
    header = json.loads((store.weights / "dft__nsim50__seed0.json").read_text())
    assert header["tensors"]["state.0.weight"] == {"shape": [4, 3], "dtype": "float32"}
    assert header["config_hash"] == "h1"
    back = store.load_weights("dft", 50, 0, config_hash="h1")
    assert back is not None
    assert set(back.state) == set(net.state)
    assert all(bool((back.state[k] == v).all()) for k, v in net.state.items())
    np.testing.assert_array_equal(back.x_mean, net.x_mean)
    np.testing.assert_array_equal(back.x_std, net.x_std)
    assert (back.y_mean, back.y_std, back.n_out, back.info) == (0.5, 2.0, 1, net.info)


@pytest.mark.parametrize("damage", ["other_hash", "truncated", "shape", "no_header",
                                    "bad_header", "identity"])
def test_damaged_or_mismatched_cache_is_refused(tmp_path: Path, damage: str) -> None:
    store = RunStore(tmp_path)
    store.save_weights("dft", 50, 0, _net(), config_hash="h1")
    tensors = store.weights / "dft__nsim50__seed0.pkl"
    meta = store.weights / "dft__nsim50__seed0.json"
    header = json.loads(meta.read_text())
    kw = {"config_hash": "h1"}
    if damage == "other_hash":
        kw = {"config_hash": "h2"}
    elif damage == "truncated":
        tensors.write_bytes(tensors.read_bytes()[:100])
    elif damage == "shape":   # header edited to match a different network
        header["tensors"]["state.0.weight"]["shape"] = [8, 3]
        meta.write_text(json.dumps(header))
    elif damage == "no_header":
        meta.unlink()
    elif damage == "bad_header":
        meta.write_text('{"format": "sim2real-pre')
    elif damage == "identity":   # a valid cache copied under another run's name
        header["n_sim"] = 100
        meta.write_text(json.dumps(header))
    with pytest.warns(DataWarning, match="refused"):
        assert store.load_weights("dft", 50, 0, **kw) is None


def test_sweep_recomputes_a_planted_cache_entry(toy_config: Path, toy_data: Path,
                                                 tmp_path: Path) -> None:
    cfg = load_config(toy_config)
    study = load_study(cfg, toy_data)
    out = tmp_path / "out" / "curves.csv"

    def sweep(**kw: object):  # type: ignore[no-untyped-def]
        return run_sweep(cfg, data_dir=toy_data, out=out, workers=1, processes=False,
                         show_progress=False, study=study, **kw)  # type: ignore[arg-type]

    first = sweep(limit=8)   # 6 scratch runs + dft n_sim=50 seed 0 at n_real 10, 20
    assert [k.n_sim for k in first.computed].count(50) == 2
    store = RunStore(out.parent / ".curves_runs")
    marker = tmp_path / "pwned"
    _plant(store, marker, forge_header=True, config_hash=pretrain_hash(cfg, "dft"))
    with pytest.warns(DataWarning, match="cached pre-trained network refused"):
        second = sweep(limit=1)   # dft n_sim=50 n_real=40 seed 0 needs that network
    assert [(k.sim_source, k.n_sim, k.n_real) for k in second.computed] == [("dft", 50, 40)]
    assert not marker.exists(), "the planted pickle was executed"
    rebuilt = store.load_weights("dft", 50, 0, config_hash=pretrain_hash(cfg, "dft"))
    assert rebuilt is not None and rebuilt.n_out == 1   # recomputed and cached again
