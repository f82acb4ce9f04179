"""Synthetic Sim2Real tables for the case-study tests (written into tmp_path)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ELEMENTS = {"Li": (3, 1.0, 0.98), "Na": (11, 1.0, 0.93), "K": (19, 1.0, 0.82),
            "Mg": (12, 2.0, 1.31), "O": (8, 16.0, 3.44), "S": (16, 16.0, 2.58),
            "Cl": (17, 17.0, 3.16), "Fe": (26, 8.0, 1.83), "Cu": (29, 11.0, 1.90)}


def _formulas(rng: np.random.Generator, n: int) -> list[str]:
    cations, anions = ["Li", "Na", "K", "Mg", "Fe", "Cu"], ["O", "S", "Cl"]
    out = []
    for _ in range(n):
        a, b = rng.choice(cations), rng.choice(anions)
        out.append(f"{a}{rng.integers(1, 5)}{b}{rng.integers(1, 5)}")
    return out


def _target(formulas: list[str], shift: float, rng: np.random.Generator) -> np.ndarray:
    from sim2real.case_studies.featurize import parse_formula

    vals = []
    for f in formulas:
        amounts = parse_formula(f)
        total = sum(amounts.values())
        vals.append(sum(ELEMENTS[e][2] * a / total for e, a in amounts.items()))
    return np.asarray(vals) * 1.5 + shift + 0.05 * rng.standard_normal(len(formulas))


def write_tables(root: Path, n_real: int = 90, n_sim: int = 300) -> Path:
    """Element table, a real table (with polymorph duplicates) and a sim table."""
    rng = np.random.default_rng(0)
    (root / "toy").mkdir(parents=True, exist_ok=True)
    pd.DataFrame([{"element": e, "Number": v[0], "Column": v[1], "Electronegativity": v[2]}
                  for e, v in ELEMENTS.items()]).to_csv(root / "toy" / "elements.csv",
                                                         index=False)
    real = [*_formulas(rng, n_real), "Fe2O3", "Fe4O6", "O3Fe2"]
    pd.DataFrame({"formula": real, "target": _target(real, 0.0, rng)}).to_csv(
        root / "toy" / "real.csv", index=False)
    sim = [*_formulas(rng, n_sim), "Fe2O3", "Fe6O9"]
    pd.DataFrame({"formula": sim, "target": _target(sim, 0.3, rng)}).to_csv(
        root / "toy" / "sim.csv", index=False)
    return root


CONFIG = """
[sweep]
task = "toy"
featurizer = "composition"
id_column = "formula"
target_column = "target"
test_fraction = 0.3
output = "curves.csv"

[data]
real = "toy/real.csv"
element_table = "toy/elements.csv"

[data.sim]
dft = "toy/sim.csv"

[grid]
n_sim = [0, 50, 100, 1000]
n_real = [10, 20, 40]
seeds = [0, 1]

[mlp]
hidden = [16]
max_epochs = 15
patience = 5
batch_size = 16
pretrain_batch_size = 32
"""


@pytest.fixture
def toy_data(tmp_path: Path) -> Path:
    """Data dir with the synthetic tables."""
    return write_tables(tmp_path / "data")


@pytest.fixture
def toy_config(tmp_path: Path) -> Path:
    """Sweep TOML for the synthetic tables."""
    path = tmp_path / "sweep.toml"
    path.write_text(textwrap.dedent(CONFIG), encoding="utf-8")
    return path
