"""No leakage: real test groups never reach pre-training or fine-tuning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim2real.case_studies.config import load_config
from sim2real.case_studies.data import group_ids, load_study, real_split, sim_pool
from sim2real.case_studies.runner import plan_runs


def test_polymorph_spellings_share_a_group() -> None:
    ids = group_ids(pd.Series(["Fe2O3", "O3Fe2", "Fe4O6", "NaCl"]), "composition")
    assert len(set(ids[:3])) == 1 and ids[3] != ids[0]


def test_split_and_pool_are_disjoint_from_test() -> None:
    real = np.array(["a", "a", "b", "c", "c", "d", "e", "f"], dtype=object)
    sim = np.array(["a", "b", "b", "x", "y", "c", "f"], dtype=object)
    for seed in range(5):
        train, test = real_split(real, seed, 0.4)
        assert sorted(np.concatenate([train, test]).tolist()) == list(range(len(real)))
        test_groups = set(real[test])
        assert test_groups.isdisjoint(real[train])
        pool = sim_pool(sim, test_groups, seed, "dft")
        assert test_groups.isdisjoint(sim[pool])
        assert {"x", "y"} <= set(sim[pool])


def test_every_run_is_leak_free(toy_config: Path, toy_data: Path) -> None:
    cfg = load_config(toy_config)
    study = load_study(cfg, toy_data)
    # duplicates and polymorphs (Fe2O3, Fe4O6, O3Fe2) were merged into one row
    assert (study.real.ids == "Fe0.4O0.6").sum() == 1
    assert len(set(study.real.ids)) == len(study.real.ids)
    plan = plan_runs(cfg, study)
    sim_ids = study.sims["dft"].ids
    for key in plan.keys:
        train, test = plan.splits[key.seed]
        test_groups = set(study.real.ids[test])
        assert test_groups.isdisjoint(study.real.ids[train[:key.n_real]])
        if key.n_sim:
            assert test_groups.isdisjoint(sim_ids[plan.pools["dft", key.seed][:key.n_sim]])
    # the polymorph group is held out for at least one seed and then absent from the pool
    held = [s for s, (_, test) in plan.splits.items() if "Fe0.4O0.6" in study.real.ids[test]]
    for seed in held:
        assert "Fe0.4O0.6" not in set(sim_ids[plan.pools["dft", seed]])
