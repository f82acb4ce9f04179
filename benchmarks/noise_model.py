"""Size-dependent replicate noise against constant noise, on the project's real curves.

For each dataset, the default model (``power_law_floor`` with its discrepancy) is fitted on
all the curves twice, with ``noise="size"`` (log sigma linear in log size, slopes pooled:
:mod:`models.families.noise`) and with ``noise="constant"``, and the two are ranked by
PSIS-LOO (:func:`models.evaluation.compare.compare_posteriors`). Prints, per dataset, the
elpd difference with its standard error, the posterior of the population slope
``sigma_slope_mu`` (5%, 50%, 95%) and the fits' diagnostics. The run-level coverage of the
extrapolation backtest is measured by ``benchmarks/extrapolation.py --noise size|constant``.

Usage::

    .venv/bin/python benchmarks/noise_model.py                     # ~10 min, 2 cores
    .venv/bin/python benchmarks/noise_model.py --datasets band_gap --draws 300
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("PYTENSOR_FLAGS", f"base_compiledir={ROOT / '.cache' / 'pytensor'}")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim2real.models.evaluation.compare import compare_posteriors  # noqa: E402
from sim2real.models.inference.fit import fit  # noqa: E402
from sim2real.models.inference.spec import ModelSpec, SamplerConfig  # noqa: E402

DATASETS = {
    "band_gap": ROOT / "case_studies" / "band_gap" / "curves.csv",
    "chi": ROOT / "case_studies" / "chi_parameter" / "curves.csv",
    **{f"lib:{p.parent.name}": p
       for p in sorted((ROOT / "case_studies" / "library").glob("*/curves.csv"))},
}
DEFAULT = ("band_gap", "chi", "lib:radonpy_md_scratch", "lib:mp_gap_transfer",
           "lib:aflow_gap_transfer", "lib:band_gap_new_levels")


def compare_noise(path: Path, sampler: SamplerConfig) -> dict[str, object]:
    """One dataset: fit both noise models, rank them, summarise the slope."""
    posts, seconds = {}, {}
    for kind in ("size", "constant"):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            posts[kind] = fit(path, ModelSpec(noise=kind), sampler)
        seconds[kind] = time.perf_counter() - start
    table = compare_posteriors(posts).table.set_index("form")
    loser = "constant" if table.loc["size", "rank"] == 0 else "size"
    d_loo = float(table.loc[loser, "d_loo"]) * (1 if loser == "constant" else -1)
    slope = posts["size"].idata.posterior["sigma_slope_mu"].values.reshape(-1)
    q = np.quantile(slope, [0.05, 0.5, 0.95])
    return {"curves": len(posts["size"].data.curves), "rows": len(posts["size"].data.table),
            "elpd(size) - elpd(constant)": d_loo, "se": float(table.loc[loser, "dse"]),
            "slope q05": q[0], "slope q50": q[1], "slope q95": q[2],
            "max_rhat size/const": f"{posts['size'].diagnostics.max_rhat:.3f}/"
                                   f"{posts['constant'].diagnostics.max_rhat:.3f}",
            "fit s size/const": f"{seconds['size']:.0f}/{seconds['constant']:.0f}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default=",".join(DEFAULT))
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--tune", type=int, default=500)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sampler = SamplerConfig(draws=args.draws, tune=args.tune, chains=args.chains,
                            seed=args.seed)
    print(f"NUTS (nutpie) {args.chains} chains x {args.draws} draws, {args.tune} tuning; "
          "default model (power_law_floor + discrepancy), all sizes")
    start = time.perf_counter()
    rows = []
    for name in (n.strip() for n in args.datasets.split(",") if n.strip()):
        rows.append({"dataset": name, **compare_noise(DATASETS[name], sampler)})
        print(f"{name}: done ({time.perf_counter() - start:.0f} s)", flush=True)
    frame = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20,
                           "display.float_format", "{:.2f}".format):
        print("\nPSIS-LOO, size-dependent vs constant noise (positive: size fits better)")
        print(frame.to_string(index=False))
    print(f"\ntotal wall time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
