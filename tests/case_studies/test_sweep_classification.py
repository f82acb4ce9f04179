"""Classification: error rate and log-loss, and a tiny classification sweep."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim2real.case_studies.config import MLPConfig, load_config
from sim2real.case_studies.mlp import finetune, metrics, pretrain
from sim2real.case_studies.runner import run_sweep


def test_metrics_closed_form() -> None:
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])
    y = np.array([0, 1, 1, 0])
    out = metrics(proba, y, classification=True)
    assert out["error_rate"] == pytest.approx(0.25)  # row 2 wrong; ties go to class 0
    expected = -np.mean(np.log([0.9, 0.8, 0.4, 0.5]))
    assert out["log_loss"] == pytest.approx(expected)
    reg = metrics(np.array([1.0, 2.0]), np.array([0.0, 4.0]), classification=False)
    assert reg == pytest.approx({"MAE": 1.5, "RMSE": np.sqrt(2.5)})


def test_transfer_classifier_beats_chance() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 4)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    cfg = MLPConfig(hidden=(16,), max_epochs=25, patience=10, batch_size=16)
    base = pretrain(X[:300], y[:300], cfg, seed=0, n_out=2, classification=True)
    out = finetune(base, X[300:340], y[300:340], X[340:], y[340:], cfg, seed=0, n_out=2,
                   classification=True)
    assert 0 <= out["error_rate"] < 0.3
    assert 0 < out["log_loss"] < np.log(2)


def test_classification_sweep(toy_config: Path, toy_data: Path, tmp_path: Path) -> None:
    for name in ("real", "sim"):
        table = pd.read_csv(toy_data / "toy" / f"{name}.csv")
        table["target"] = np.where(table["target"] > table["target"].median(), "high", "low")
        table.to_csv(toy_data / "toy" / f"{name}.csv", index=False)
    text = toy_config.read_text().replace('task = "toy"', 'task = "toy_cls"\n'
                                          'task_type = "classification"\nmetric = "log_loss"')
    toy_config.write_text(text.replace("seeds = [0, 1]", "seeds = [0]"))
    cfg = load_config(toy_config)
    result = run_sweep(cfg, data_dir=toy_data, out=tmp_path / "cls.csv", workers=1,
                       processes=False, show_progress=False)
    curves = result.curves
    assert len(curves) == 12 and set(curves["metric"]) == {"log_loss"}
    assert (curves["error"] > 0).all()
