"""Stand-in (importance sampling) against the real hierarchical posterior on the same worlds.

Usage: python benchmarks/results/compare_mcmc_is.py MCMC_CSV IS_CSV [IS_CSV ...]
(per-world CSVs of ``planner_regret.py --csv``; rows of ``bayesian:p=0.95``).
"""

import sys

import numpy as np
import pandas as pd

m = pd.read_csv(sys.argv[1])
d = pd.concat([pd.read_csv(f) for f in sys.argv[2:]])
d = d[(d.strategy == "bayesian:p=0.95") & d.world.isin(m.world)]
for name, x in (("is", d), ("mcmc", m)):
    print(name, len(x), f"median ratio {x.ratio.median():.2f}",
          f"run fail {(~x.met_run).mean():.1%}", f"exp fail {(~x.met_expected).mean():.1%}",
          f"1-E[p_run] {1 - x.p_run.mean():.3f}")
j = d[["world", "met_run", "ratio"]].merge(m[["world", "met_run", "ratio"]], on="world",
                                           suffixes=("_is", "_mcmc"))
print("both fail", ((~j.met_run_is) & (~j.met_run_mcmc)).sum(),
      "is only", ((~j.met_run_is) & j.met_run_mcmc).sum(),
      "mcmc only", (j.met_run_is & (~j.met_run_mcmc)).sum())
print(f"mcmc/is cost ratio median {np.median(j.ratio_mcmc / j.ratio_is):.2f}")
