"""Checks on the real Sim2Real tables and the committed curves (skip without the data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim2real.case_studies.config import load_config
from sim2real.case_studies.data import PROJECT_ROOT, group_ids, resolve_data_dir
from sim2real.case_studies.featurize import load_element_table, magpie_features
from sim2real.models.data.contract import load_curves
from sim2real.models.errors import InputDataError

STUDIES = PROJECT_ROOT / "case_studies"


def _data_dir() -> Path:
    try:
        return resolve_data_dir()
    except InputDataError as exc:
        pytest.skip(f"real Sim2Real data not available: {exc}")


def test_every_experimental_formula_featurizes() -> None:
    root = _data_dir()
    expt = pd.read_csv(root / "band_gap" / "expt_gap.csv")
    table = load_element_table(root / "band_gap" / "magpie_element_properties.csv")
    feats = magpie_features(expt["formula"].tolist(), table)
    assert feats.shape == (len(expt), 138) and np.isfinite(feats).all()
    keys = group_ids(expt["formula"], "composition")
    assert len(set(keys)) <= len(expt)


def test_chi_pairs_parse_and_cosmo_covers_them() -> None:
    root = _data_dir()
    real = pd.read_csv(root / "chi_parameter" / "data_Chi.csv")
    sim = pd.read_csv(root / "chi_parameter" / "data_COSMO.csv")
    ids_real = set(group_ids(real["ps_pair"].drop_duplicates(), "smiles_pair"))
    ids_sim = set(group_ids(sim["ps_pair"].drop_duplicates(), "smiles_pair"))
    assert len(ids_real) > 700 and len(ids_real & ids_sim) > 700


@pytest.mark.parametrize("study", ["band_gap", "chi_parameter"])
def test_study_configs_are_valid(study: str) -> None:
    cfg = load_config(STUDIES / study / "config.toml")
    assert cfg.metric == "MAE" and 0 in cfg.grid.n_sim and len(cfg.grid.seeds) == 3


@pytest.mark.parametrize(("study", "task"), [("band_gap", "band_gap"), ("chi_parameter", "chi")])
def test_committed_curves_follow_the_contract(study: str, task: str) -> None:
    path = STUDIES / study / "curves.csv"
    if not path.is_file():
        pytest.skip(f"{path} not measured yet")
    data = load_curves(path)
    assert data.tasks == [task]
    table = data.table
    assert (table["error"] > 0).all()
    assert set(table.loc[table["n_sim"] == 0, "sim_source"]) == {"none"}
    assert table.groupby("sim_source")["n_real"].nunique().min() >= 3
