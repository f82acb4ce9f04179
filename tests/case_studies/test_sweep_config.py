"""Sweep-config validation: errors name the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim2real.case_studies.config import load_config
from sim2real.models.errors import SpecError


def _edit(path: Path, old: str, new: str) -> Path:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_valid_config_loads(toy_config: Path) -> None:
    cfg = load_config(toy_config)
    assert cfg.sources == ("dft",) and cfg.grid.seeds == (0, 1)
    assert cfg.mlp.hidden == (16,) and cfg.metric == "MAE"


@pytest.mark.parametrize(("old", "new", "pattern"), [
    ('task = "toy"\n', "", r"\[sweep\]\.task.*Fix"),
    ('featurizer = "composition"', 'featurizer = "magic"', r"\[sweep\]\.featurizer.*Fix"),
    ('[sweep]\n', '[sweep]\nmetric = "log_loss"\n', r"\[sweep\]\.metric.*Fix"),
    ('n_real = [10, 20, 40]', 'n_real = [10, 10]', r"\[grid\]\.n_real"),
    ('n_sim = [0, 50, 100, 1000]', 'n_sim = [0, -5, 100]', r"\[grid\]\.n_sim.*Fix"),
    ('max_epochs = 15', 'max_epochs = 0', r"\[mlp\]\.max_epochs.*Fix"),
    ('patience = 5', 'patience = 5\nlearning = 3', r"unknown key.*learning.*\[mlp\].*Fix"),
    ('element_table = "toy/elements.csv"\n', '', r"\[data\]\.element_table.*Fix"),
    ('[data.sim]\ndft = "toy/sim.csv"', '[data.sim]\nnone = "toy/sim.csv"', r"reserved"),
    ('test_fraction = 0.3', 'test_fraction = 1.5', r"\[sweep\]\.test_fraction.*Fix"),
])
def test_errors_name_file_key_and_fix(toy_config: Path, old: str, new: str,
                                      pattern: str) -> None:
    _edit(toy_config, old, new)
    with pytest.raises(SpecError, match=pattern) as info:
        load_config(toy_config)
    assert str(toy_config) in str(info.value)


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"not found.*Fix"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[sweep\ntask=", encoding="utf-8")
    with pytest.raises(SpecError, match=r"bad\.toml: not valid TOML"):
        load_config(bad)
