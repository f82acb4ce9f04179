"""Piped output keeps whole table cells: curve ids that differ only at their end must not
be cut to identical strings when `sim2real validate` writes to a pipe or a file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd


def test_piped_validate_prints_whole_curve_ids(tmp_path: Path) -> None:
    rows = []
    for suffix in ("alpha", "omega"):
        task = "a_rather_long_task_name_for_a_polymer_property_" + suffix
        for n, e in ((10, 1.0), (100, 0.5), (1000, 0.3)):
            rows.append({"task": task, "sim_source": "none", "n_sim": 0, "n_real": n,
                         "seed": 0, "error": e, "metric": "MAE"})
    path = tmp_path / "curves.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    out = subprocess.run([sys.executable, "-m", "sim2real.planner", "validate", str(path)],
                         capture_output=True, text=True, env=env, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "polymer_property_alpha" in out.stdout and "polymer_property_omega" in out.stdout
