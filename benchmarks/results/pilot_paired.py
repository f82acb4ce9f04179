"""Paired comparison of ``bayesian_pilot`` with ``bayesian`` on the same worlds.

Usage: python benchmarks/results/pilot_paired.py CSV SPLIT
``SPLIT``: the ``alpha_spread`` above which a world's exponents count as poorly identified
(the tuning set's median, 14.104). Prints, per subset, the failure difference (pilot minus
bayesian) and the median paired cost ratio with 95% bootstrap intervals (2,000 resamples
of worlds).
"""

import sys

import numpy as np
import pandas as pd

d = pd.read_csv(sys.argv[1])
split = float(sys.argv[2])
base, pilot = "bayesian:p=0.95", "bayesian_pilot:p=0.95+w=16"
w = d[d.strategy == base].merge(d[d.strategy == pilot], on="world", suffixes=("", "_p"))
rng = np.random.default_rng(0)
for name, sub in (("all", w), ("poorly identified", w[w.alpha_spread > split]),
                  ("well identified", w[w.alpha_spread <= split]),
                  ("pilot bought", w[w.pilots_p > 0])):
    fail = (~sub.met_run_p).astype(float).to_numpy() - (~sub.met_run).astype(float).to_numpy()
    ratio = (sub.ratio_p / sub.ratio).to_numpy()
    idx = rng.integers(0, len(sub), (2000, len(sub)))
    f_ci = np.quantile(fail[idx].mean(1), [0.025, 0.975])
    r_ci = np.quantile(np.median(ratio[idx], 1), [0.025, 0.975])
    print(f"{name:18s} n={len(sub):3d}  fail bayesian {(~sub.met_run).mean():.1%} pilot "
          f"{(~sub.met_run_p).mean():.1%}  diff {fail.mean():+.1%} [{f_ci[0]:+.1%}, "
          f"{f_ci[1]:+.1%}]  median cost bayesian {sub.ratio.median():.2f}x pilot "
          f"{sub.ratio_p.median():.2f}x  paired ratio {np.median(ratio):.3f} "
          f"[{r_ci[0]:.3f}, {r_ci[1]:.3f}]  pilots bought {(sub.pilots_p > 0).mean():.0%}")
