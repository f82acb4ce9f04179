"""Write small posterior files in the release-0.1 formats and their predictions.

Run once with the 0.1 code (before the one-family refactor); ``tests/models/test_golden.py``
checks that the current code still loads them and predicts the same error draws.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
QUERIES = {"curve": [("bandgap_synth", "none", 0.0, 300.0), ("bandgap_synth", "dft_a", 3000.0,
                                                             None)],
           "sim2real_curve_form": [("chi_synth", "none", 0.0, 100.0)],
           "sim2real_surface": [("bandgap_synth", "dft_a", 3000.0, 100.0),
                                ("bandgap_synth", "none", 0.0, 100.0)]}


def main() -> None:
    from sim2real.models.curve_forms import FormSpec, fit_form
    from sim2real.models.inference.fit import fit_curves
    from sim2real.models.inference.spec import SamplerConfig
    from sim2real.models.surface import SurfaceSpec, fit_surface

    table = pd.read_csv(HERE / "curves.csv")
    cfg = SamplerConfig(draws=30, tune=100, chains=2, seed=3)
    posts = {"curve": fit_curves(table, sampler=cfg),
             "sim2real_curve_form": fit_form(table, FormSpec("exp_saturation"), cfg),
             "sim2real_surface": fit_surface(table, SurfaceSpec("edt"), cfg)}
    out = {}
    for kind, post in posts.items():
        path = HERE / f"legacy_{kind}.nc"
        post.to_netcdf(path)
        preds = []
        for task, src, ns, nr in QUERIES[kind]:
            if nr is None:
                nr = float(table.loc[(table.sim_source == src), "n_real"].max())
            draws = np.asarray(post.error_draws(task, src, ns, nr))[:, 0]
            preds.append({"query": [task, src, ns, nr], "mean": float(draws.mean()),
                          "q10": float(np.quantile(draws, 0.1))})
        out[kind] = preds
    (HERE / "legacy_predictions.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
