"""Classification labels are compared as classes, not as their text (issue 14)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim2real.case_studies.config import load_config
from sim2real.case_studies.data import canonical_label, deduplicate, load_study
from sim2real.models.errors import DataWarning


def _classification(toy_config: Path, toy_data: Path, real_labels, sim_labels):  # type: ignore[no-untyped-def]
    """Rewrite the toy tables with the given label functions of 'high' (bool array)."""
    for name, make in (("real", real_labels), ("sim", sim_labels)):
        path = toy_data / "toy" / f"{name}.csv"
        table = pd.read_csv(path)
        table["target"] = make(table["target"].to_numpy() > table["target"].median())
        table.to_csv(path, index=False)
    text = toy_config.read_text().replace(
        'task = "toy"', 'task = "toy_cls"\ntask_type = "classification"\nmetric = "log_loss"')
    toy_config.write_text(text)
    return load_config(toy_config)


def test_integer_and_float_labels_are_the_same_classes(toy_config: Path,
                                                       toy_data: Path) -> None:
    cfg = _classification(toy_config, toy_data, lambda hi: hi.astype(int),      # 0 / 1
                          lambda hi: hi.astype(float))                           # 0.0 / 1.0
    assert pd.read_csv(toy_data / "toy" / "sim.csv")["target"].dtype == float
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)    # same label sets: no warning
        study = load_study(cfg, toy_data)
    assert study.classes == ("0", "1")
    for data in (study.real, *study.sims.values()):
        assert set(np.unique(data.y)) == {0, 1}
    raw = pd.read_csv(toy_data / "toy" / "real.csv")
    # class 1 is the label 1 in the real table: the "high" rows
    assert study.real.y.mean() == pytest.approx((raw["target"] == 1).mean(), abs=0.1)


def test_different_label_sets_warn(toy_config: Path, toy_data: Path) -> None:
    cfg = _classification(toy_config, toy_data,
                          lambda hi: np.where(hi, "metal", "insulator"),
                          lambda hi: np.where(hi, "Metal", "insulator"))
    with pytest.warns(DataWarning, match=r"sim 'dft' table's labels .*'Metal'.* real table"):
        study = load_study(cfg, toy_data)
    assert study.classes == ("Metal", "insulator", "metal")


def test_canonical_label_and_majority_vote() -> None:
    assert {canonical_label(v) for v in (1, 1.0, "1.0", np.int64(1), np.float32(1))} == {"1"}
    assert canonical_label(2.5) == "2.5" and canonical_label("semi") == "semi"
    table = pd.DataFrame({"y": pd.Series([1, 1.0, "0", 0.0, "1.0"], dtype=object)})
    out = deduplicate(table, np.array(["a", "a", "a", "b", "b"]), "y", [], True)
    assert out["y"].tolist() == ["1", "0"]   # a: 1, 1.0 vs "0"; b: tie 0 vs 1 -> "0"
