"""Golden tests: every family's PyMC model keeps its variables and its log density.

``tests/models/golden/golden.json`` was recorded (``record.py``) before the model layer
was moved to one family abstraction; a change that alters any fit shows up here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
sys.path.insert(0, str(GOLDEN))

from record import fingerprint  # noqa: E402

EXPECTED = json.loads((GOLDEN / "golden.json").read_text())


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_model_fingerprint_unchanged(key: str) -> None:
    family, likelihood = key.split("/")
    got = fingerprint(family, likelihood, pd.read_csv(GOLDEN / "curves.csv"))
    want = EXPECTED[key]
    assert got["named_vars"] == want["named_vars"]
    assert got["free_vars"] == want["free_vars"]
    assert got["value_vars"] == want["value_vars"]
    assert got["logp"] == pytest.approx(want["logp"], rel=1e-9, abs=1e-9)


LEGACY = json.loads((GOLDEN / "legacy_predictions.json").read_text())


@pytest.mark.parametrize("kind", sorted(LEGACY))
def test_release_posterior_files_still_load(kind: str) -> None:
    import numpy as np
    from build_model import load

    post = load(str(GOLDEN / f"legacy_{kind}.nc"))
    for item in LEGACY[kind]:
        task, src, ns, nr = item["query"]
        draws = np.asarray(post.error_draws(task, src, ns, nr))[:, 0]
        assert draws.mean() == pytest.approx(item["mean"], rel=1e-9)
        assert np.quantile(draws, 0.1) == pytest.approx(item["q10"], rel=1e-9)
