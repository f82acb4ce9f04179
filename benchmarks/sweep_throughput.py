"""Sweep throughput: runs per minute with 1 and 2 local Dask workers, plus full-sweep time.

Runs a small fixed sub-grid of the band-gap study (AFLOW source; n_sim in {0, 1000, 3000}
x n_real in {50, 100, 200, 400}, seeds 0-1: 24 runs, 4 pre-trainings) from scratch in a
temporary work dir, once with 1 worker and once with 2 (the data are loaded and
featurized once, outside the timing; the timing includes starting the LocalCluster).
Then reads the wall time of the full band-gap sweep from the sweep's own record
(``case_studies/band_gap/curves_timing.json``).

Usage::

    .venv/bin/python benchmarks/sweep_throughput.py [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from sim2real.case_studies.config import GridConfig, load_config
from sim2real.case_studies.data import PROJECT_ROOT, load_study
from sim2real.case_studies.runner import run_sweep

STUDY = PROJECT_ROOT / "case_studies" / "band_gap"


def measure(workers: int, data_dir: str | None) -> tuple[int, float]:
    """Number of runs and wall seconds of the sub-grid with ``workers`` workers."""
    base = load_config(STUDY / "config.toml")
    cfg = dataclasses.replace(base, sims={"aflow": base.sims["aflow"]},
                              grid=GridConfig((0, 1000, 3000), (50, 100, 200, 400), (0, 1)))
    study = load_study(cfg, data_dir)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = run_sweep(cfg, data_dir=data_dir, out=Path(tmp) / "curves.csv",
                           workers=workers, resume=False, show_progress=False, study=study)
        wall = time.perf_counter() - start
    return len(result.computed), wall


def full_sweep_timing() -> str:
    """Summary of the recorded full band-gap sweep timing."""
    path = STUDY / "curves_timing.json"
    if not path.is_file():
        return f"full band-gap sweep: no timing record at {path} (sweep not run yet)"
    log = json.loads(path.read_text(encoding="utf-8"))
    sessions = log["sessions"]
    return (f"full band-gap sweep ({path.relative_to(PROJECT_ROOT)}): "
            f"{log['total_runs_computed']} runs in {len(sessions)} session(s), "
            f"{log['total_wall_seconds'] / 60:.1f} min wall in total "
            f"(workers per session: {[s['workers'] for s in sessions]})")


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPU cores, "
          f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}")
    print("sub-grid: band_gap/aflow, n_sim {0,1000,3000} x n_real {50,100,200,400} x seeds {0,1}")
    rates = {}
    for workers in (1, 2):
        runs, wall = measure(workers, args.data_dir)
        rates[workers] = runs / wall * 60
        print(f"workers={workers}: {runs} runs in {wall:.1f} s -> {rates[workers]:.1f} runs/min")
    print(f"speed-up 2 vs 1 workers: {rates[2] / rates[1]:.2f}x "
          f"(load average now {os.getloadavg()[0]:.2f})")
    print(full_sweep_timing())


if __name__ == "__main__":
    main()
