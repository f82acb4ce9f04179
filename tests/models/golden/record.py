"""Record (or check) the golden model fingerprints: named variables and log density.

Run ``python tests/models/golden/record.py`` once, before a change to model code, to write
``golden.json``; ``tests/models/test_golden.py`` asserts that the model of every family
still has the same named variables, free variables and log density at a fixed point.
"""

from __future__ import annotations

import json
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from build_model import DISCREPANCY, FAMILIES, LIKELIHOODS, build  # noqa: E402


def fixed_point(model: Any) -> dict[str, np.ndarray]:
    """A point that depends only on each value variable's name and shape."""
    point = {}
    for name, value in model.initial_point().items():
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        point[name] = 0.3 * rng.standard_normal(np.shape(value))
    return point


def fingerprint(family: str, likelihood: str, table: pd.DataFrame) -> dict[str, Any]:
    """Named variables, free variables and log density at :func:`fixed_point`."""
    model = build(family, likelihood, table)
    point = fixed_point(model)
    logp = float(model.compile_logp()(point))
    return {"named_vars": sorted(model.named_vars),
            "free_vars": sorted(v.name for v in model.free_RVs),
            "value_vars": sorted(point),
            "logp": logp}


def record_all(table: pd.DataFrame) -> dict[str, Any]:
    """Fingerprints of every family x likelihood."""
    return {f"{f}/{lik}": fingerprint(f, lik, table) for f in (*FAMILIES, *DISCREPANCY)
            for lik in LIKELIHOODS}


if __name__ == "__main__":
    data = pd.read_csv(HERE / "curves.csv")
    (HERE / "golden.json").write_text(json.dumps(record_all(data), indent=1) + "\n")
    print("wrote", HERE / "golden.json")
