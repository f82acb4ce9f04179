"""Run a composition sweep config with a cleaned Magpie element table (GSmagmom noise).

Why: in ``band_gap/magpie_element_properties.csv`` the ground-state magnetic moments of
Sc (6e-6), Ti (2e-5), Mn (3e-4) and Lu (2e-3 mu_B) are DFT noise. The feature
``GSmagmom_min`` is non-zero only for compositions made entirely of "magnetic" elements;
a training set whose only such rows are Sc/Ti/Mn compounds gets a standard deviation of
~1e-7 for that column (above the scaler's 1e-8 floor), and a test composition such as
FeCo is then standardized to ~1e7. The network output explodes and the run's MAE jumps
to 5-35 eV (seen on mp_gap from scratch, n_real = 800..3200). Setting |GSmagmom| < 0.01
to 0 (physically non-magnetic) removes that failure; everything else is the project's
runner unchanged: same featurizer code, de-duplication, grouping, split, pools, MLP,
RunStore and timing log.

Usage (from the project root)::

    PYTENSOR_FLAGS=base_compiledir=/tmp/h4pt nice -n 19 \
        .venv/bin/python case_studies/library/run_clean.py STUDY/config.toml [--workers 2]

Curves go to the config's ``output`` beside it, runs to ``.<stem>_runs/`` (resumable).
The run settings record ``element_table = "<path>#GSmagmom<0.01=0"``, so a plain
``sim2real sweep`` of the same config (un-cleaned table) refuses to mix with these runs.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from sim2real.case_studies.config import SweepConfig, load_config
from sim2real.case_studies.data import (
    Dataset,
    Study,
    deduplicate,
    group_ids,
    read_table,
    resolve_data_dir,
)
from sim2real.case_studies.featurize import load_element_table, magpie_features
from sim2real.case_studies.runner import run_sweep

MAGMOM_FLOOR = 0.01
MARKER = f"#GSmagmom<{MAGMOM_FLOOR:g}=0"


def clean_elements(elements: pd.DataFrame) -> pd.DataFrame:
    """Copy of the element table with |GSmagmom| < ``MAGMOM_FLOOR`` set to 0."""
    out = elements.copy()
    if "GSmagmom" in out.columns:
        out.loc[out["GSmagmom"].abs() < MAGMOM_FLOOR, "GSmagmom"] = 0.0
    return out


def load_dataset_clean(cfg: SweepConfig, rel: str, root: Path, elements: pd.DataFrame,
                       *, real: bool) -> Dataset:
    """``case_studies.data.load_dataset`` for regression + composition, cleaned table."""
    table = read_table(root / rel, [cfg.id_column, cfg.target_column])
    if real and cfg.drop_zero_real_targets:
        table = table[table[cfg.target_column] != 0].reset_index(drop=True)
    frame = deduplicate(table, group_ids(table[cfg.id_column], "composition"),
                        cfg.target_column, [], False)
    X = magpie_features(frame["_id"].tolist(), elements)
    return Dataset(frame["_id"].to_numpy(dtype=object), X,
                   frame[cfg.target_column].to_numpy(dtype=float), len(table))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("config")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    cfg = load_config(args.config)
    if cfg.featurizer != "composition" or cfg.task_type != "regression":
        raise SystemExit("run_clean.py handles composition regression sweeps only")
    assert cfg.element_table is not None
    root = resolve_data_dir(args.data_dir)
    elements = clean_elements(load_element_table(root / cfg.element_table))
    print(f"{cfg.task}: loading and featurizing (cleaned element table) ...", flush=True)
    real = load_dataset_clean(cfg, cfg.real, root, elements, real=True)
    # only sources with a positive n_sim are featurized (scratch-only grids skip them)
    need_sims = any(n > 0 for n in cfg.grid.n_sim)
    sims_cfg = cfg.sims if need_sims else {}
    sims = {n: load_dataset_clean(cfg, rel, root, elements, real=False)
            for n, rel in sims_cfg.items()}
    notes = {"real": f"{real.n_raw} rows -> {len(real)} unique rows/groups"}
    notes.update({n: f"{d.n_raw} rows -> {len(d)} unique rows" for n, d in sims.items()})
    study = Study(real, sims, (), notes)
    run_cfg = dataclasses.replace(cfg, sims=dict(sims_cfg),
                                  element_table=f"{cfg.element_table}{MARKER}")
    res = run_sweep(run_cfg, study=study, workers=args.workers, show_progress=False)
    for name, note in notes.items():
        print(f"  {name}: {note}")
    print(f"{len(res.computed)} run(s) computed, {res.reused} reused, {len(res.missing)} "
          f"missing; {res.wall_seconds:.0f} s wall. Curves ({len(res.curves)} rows) -> "
          f"{res.out}", flush=True)
    errs = res.curves["error"].to_numpy(dtype=float)
    print(f"  error range {np.min(errs):.3g}-{np.max(errs):.3g}")


if __name__ == "__main__":
    main()
