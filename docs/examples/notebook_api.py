# %% [markdown]
# # sim2real-planner from Python (a notebook written as a script)
#
# Fit the embedded band-gap learning curves, plan the next batch under a budget, look at
# it as a table and a figure, and write the decision report. Each `# %%` block is a
# notebook cell (Jupyter, VS Code and jupytext open the file as a notebook); run it as a
# script with `python docs/examples/notebook_api.py [OUT_DIR]`. The sampler settings are
# tiny so that it runs in well under a minute: use the defaults (4 chains x 1000 draws)
# for numbers you rely on.

# %%
import sys
import tempfile
from pathlib import Path

import pandas as pd

import sim2real.planner as s2r
from sim2real.models.examples import example_path

df = pd.read_csv(example_path("band_gap"))   # any table of the data contract works
df.head()

# %% Fit the default family (power law with a floor) with a quick sampler.
post = s2r.fit(df, draws=150, chains=2, target_accept=0.95, seed=1)

# %% Plan: a simulation costs 1, an experiment 300; the target is a band-gap MAE of 0.55.
costs = {"mp": 1, "oqmd": 1, "aflow": 1, "real:band_gap": 300}
result = s2r.plan(post, budget=200_000, costs=costs, targets={"band_gap": 0.55}, seed=0)
batch = result.to_frame()      # source, count, unit_cost, cost, share
batch  # noqa: B018  (a notebook shows the last expression of a cell)

# %% The batch and the error it buys (a matplotlib Figure: shown inline in a notebook).
fig = result.plot()

# %% The decision report (report.html, report.json, plan.json, posterior.nc). Small
# frontier and price-sensitivity studies keep it quick; drop the two arguments for the
# defaults.
out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()) / "report"
rep = s2r.report(post, out, result, budgets=[50_000, 200_000], ratio_factors=(0.3, 3.0))
figures = rep.figures()        # each displays itself as SVG in a notebook
print(batch.to_string(index=False))
print(f"P(all targets met) = {result.p_all_targets:.2f}")
print(f"{len(figures)} figures; report written to {rep.html}")
