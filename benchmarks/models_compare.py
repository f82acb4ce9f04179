"""Benchmark: curve-form and surface-form comparison (PSIS-LOO) on the case studies.

For each case study's measured curves: fit the four single-axis forms and the two surface
forms, print the LOO tables, the fitted surface parameters (C, A, beta, transfer terms
with 94% intervals), the surface exchange rates at the operating point and fit times.

Usage::

    PYTENSOR_FLAGS=base_compiledir=.cache/pytensor .venv/bin/python \
        benchmarks/models_compare.py [--draws 1000] [--chains 2]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import pandas as pd

from sim2real.models.evaluation.compare import compare_forms, compare_surfaces
from sim2real.models.inference.spec import SamplerConfig
from sim2real.planner.decisions.surface import surface_exchange_table

ROOT = Path(__file__).resolve().parents[1]
CASES = {"band_gap": ROOT / "case_studies/band_gap/curves.csv",
         "chi_parameter": ROOT / "case_studies/chi_parameter/curves.csv"}


def main() -> None:
    """Run the comparison on every case study and print the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20251125)
    parser.add_argument("--case", action="append", choices=sorted(CASES))
    args = parser.parse_args()
    sampler = SamplerConfig(draws=args.draws, tune=args.draws, chains=args.chains,
                            seed=args.seed)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 30)
    for name in args.case or sorted(CASES):
        print(f"\n===== {name} ({CASES[name].relative_to(ROOT)}) =====")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t0 = time.perf_counter()
            forms = compare_forms(CASES[name], sampler=sampler)
            t1 = time.perf_counter()
            surfaces = compare_surfaces(CASES[name], sampler=sampler)
            t2 = time.perf_counter()
        print(f"-- single-axis forms (PSIS-LOO, {t1 - t0:.0f} s total)")
        print(forms.table.round(3).to_string(index=False))
        print(f"-- surface forms (PSIS-LOO, {t2 - t1:.0f} s total)")
        print(surfaces.table.round(3).to_string(index=False))
        for form, post in surfaces.posteriors.items():
            print(f"-- surface '{form}': diagnostics ok={post.diagnostics.ok} "
                  f"(max R-hat {post.diagnostics.max_rhat:.3f}, min bulk ESS "
                  f"{post.diagnostics.min_ess_bulk:.0f}, divergences "
                  f"{post.diagnostics.divergences})")
            cols = ["level", "curve_id", "parameter", "mean", "lower", "upper"]
            print(post.summary()[cols].round(4).to_string(index=False))
            ex = surface_exchange_table(post)
            print(ex.round(2).to_string(index=False))
        for form, post in forms.posteriors.items():
            d = post.diagnostics
            print(f"-- form '{form}': diagnostics ok={d.ok} (max R-hat {d.max_rhat:.3f}, "
                  f"min bulk ESS {d.min_ess_bulk:.0f}, divergences {d.divergences})")
        print(f"-- warnings caught: {len(caught)}")


if __name__ == "__main__":
    main()
