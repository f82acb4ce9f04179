"""Scratch learning curves of RadonPy MD properties with the project's sweep runner.

The runner's featurizers are ``composition`` and ``smiles_pair``; PI1070 has a single
polymer SMILES per row. This driver therefore builds each :class:`~case_studies.data.Study`
itself (polymer block of the ``smiles_pair`` features, canonical-SMILES groups, mean of
duplicates) and hands it to :func:`case_studies.runner.run_sweep`, which does the
leakage-safe split, the Dask runs, the resumable RunStore and the timing log as usual.

Usage (from the project root)::

    PYTENSOR_FLAGS=base_compiledir=/tmp/h4pt nice -n 19 \
        .venv/bin/python case_studies/library/radonpy_md_scratch/run.py [--workers 2]
        [--only density,Cp] [--assemble-only]

Writes ``curves.csv`` and ``curves_timing.json`` beside the config; per-property run
records live in ``.curves_runs/<property>/`` (rerun to resume).
"""

from __future__ import annotations

import argparse
import json
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from sim2real.case_studies.config import GridConfig, MLPConfig, SweepConfig
from sim2real.case_studies.data import Dataset, Study, resolve_data_dir
from sim2real.case_studies.featurize import smiles_features
from sim2real.case_studies.runner import dask_client, run_sweep

HERE = Path(__file__).resolve().parent


def canonical(smiles: str) -> str:
    """RDKit-canonical SMILES (the leakage group of a polymer)."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise ValueError(f"RDKit cannot parse {smiles!r}")
    return str(Chem.MolToSmiles(mol))


def quantize(x: np.ndarray, step: float = 1 / 256) -> np.ndarray:
    """Round features to a dyadic grid so that float32 column sums are exact.

    Without it a column that is constant in a small training set can get a float32
    round-off standard deviation of ~1e-8..1e-7 (just above the scaler's 1e-8 floor), and
    test rows that differ are then standardized to ~1e6 (MAE explosions at n_real <= 32).
    """
    return (np.round(np.asarray(x, dtype=float) / step) * step).astype(np.float32)


def build_study(table: pd.DataFrame, prop: str, id_col: str,
                features: dict[str, np.ndarray], scale: float = 1.0) -> Study:
    """One property: drop missing values, de-duplicate by canonical SMILES (mean).

    ``scale`` multiplies the target (unit change for properties of order 1e-10, whose
    standard deviation would fall below the target scaler's 1e-8 floor).
    """
    rows = table[[id_col, prop]].dropna()
    rows = rows.assign(**{prop: rows[prop].astype(float) * scale})
    rows = rows[np.isfinite(rows[prop].astype(float))]
    frame = (rows.assign(_id=rows[id_col].map(canonical))
             .groupby("_id", sort=True, as_index=False)[prop].mean())
    ids = frame["_id"].to_numpy(dtype=object)
    X = np.vstack([features[i] for i in ids]).astype(np.float32)
    real = Dataset(ids, X, frame[prop].to_numpy(dtype=float), n_raw=len(rows))
    note = f"{len(rows)} rows -> {len(real)} unique canonical SMILES"
    if scale != 1.0:
        note += f"; target x {scale:g}"
    return Study(real, {}, (), {"real": note})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=str(HERE / "config.toml"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated subset of properties")
    parser.add_argument("--assemble-only", action="store_true")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()

    start = time.perf_counter()
    config_path = Path(args.config).resolve()
    raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    sweep, data, grid = raw["sweep"], raw["data"], raw["grid"]
    props = list(data["properties"])
    if args.only:
        props = [p for p in props if p in set(args.only.split(","))]
    root = resolve_data_dir(args.data_dir)
    table = pd.read_csv(root / data["real"])
    missing = [p for p in props if p not in table.columns]
    if missing:
        raise SystemExit(f"{config_path}: properties {missing} are not columns of {data['real']}")
    mlp_raw = dict(raw.get("mlp", {}))
    mlp_raw["hidden"] = tuple(int(h) for h in mlp_raw.get("hidden", (256, 128)))
    mlp = MLPConfig(**mlp_raw)
    mlp.validate(str(config_path))
    id_col = sweep["id_column"]
    work_root = config_path.parent / f".{Path(sweep['output']).stem}_runs"

    results: dict[str, dict] = {}
    if not args.assemble_only:
        uniq = sorted({canonical(s) for s in table[id_col].astype(str)})
        print(f"featurizing {len(uniq)} canonical polymer SMILES ...", flush=True)
        features = {s: quantize(smiles_features(s)) for s in uniq}
        with dask_client(args.workers) as client:
            address = client.scheduler.address
            for prop in props:
                study = build_study(table, prop, id_col, features,
                                    float(data.get("scale", {}).get(prop, 1.0)))
                cfg = SweepConfig(
                    task=f"{sweep['task_prefix']}{prop}", featurizer="smiles_polymer",
                    id_column=id_col, target_column=prop, real=data["real"], sims={},
                    grid=GridConfig((0,), tuple(grid["n_real"]), tuple(grid["seeds"])),
                    metric=sweep.get("metric", "MAE"),
                    test_fraction=float(sweep["test_fraction"]), output="curves.csv",
                    mlp=mlp, origin=str(config_path))
                res = run_sweep(cfg, out=work_root / prop / "curves.csv",
                                work_dir=work_root / prop, scheduler=address, study=study,
                                show_progress=False)
                results[prop] = {"notes": study.notes["real"], "computed": len(res.computed),
                                 "reused": res.reused, "missing": len(res.missing),
                                 "wall_seconds": round(res.wall_seconds, 1)}
                print(f"{cfg.task}: {study.notes['real']}; {len(res.computed)} computed, "
                      f"{res.reused} reused, {len(res.missing)} missing; "
                      f"{res.wall_seconds:.0f} s", flush=True)

    tables, timing = [], {}
    for prop in data["properties"]:
        path = work_root / prop / "curves.csv"
        if path.is_file():
            tables.append(pd.read_csv(path))
            log = json.loads((work_root / prop / "curves_timing.json").read_text())
            timing[prop] = {"total_wall_seconds": round(log["total_wall_seconds"], 1),
                            "total_runs_computed": log["total_runs_computed"],
                            "sessions": log["sessions"]}
    curves = pd.concat(tables, ignore_index=True)
    out = config_path.parent / sweep["output"]
    curves.to_csv(out, index=False)
    summary = {
        "per_task": timing,
        "total_wall_seconds": round(sum(t["total_wall_seconds"] for t in timing.values()), 1),
        "total_runs_computed": sum(t["total_runs_computed"] for t in timing.values()),
        "note": "wall seconds of the run_sweep sessions, summed over tasks (featurizing "
                "the SMILES once per driver session is not included)",
    }
    out.with_name(f"{out.stem}_timing.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(f"{len(curves)} rows of {len(tables)} tasks -> {out}; driver session "
          f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
