"""Planning-time check of the regret benchmark (``planner_regret.py --timing``).

Plans for 10 sources x 4,000 draws (5 databases, 5 tasks) on point draws and on the same
draws as a fitted-family :class:`~models.posterior.base.Posterior` (what ``sim2real plan``
runs on). Moved here unchanged from ``planner_regret.py`` (issue 13).
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

from sim2real.models.evaluation.point_draws import CurveDraws, PowerLawDraws
from sim2real.planner.acquisition import expected_error, min_cost_with_probability
from sim2real.planner.optim.optimizer import plan_batch
from sim2real.planner.optim.problem import PlanProblem, Source, operating_point_from_table
from sim2real.planner.optim.sequential import plan_next_round


def as_posterior(curves: dict[tuple[str, str], CurveDraws], table: pd.DataFrame,
                 chains: int = 2) -> Any:
    """The power-law-floor :class:`~models.posterior.base.Posterior` of ``table`` whose
    draws are exactly ``curves`` (same draws as the point model, in the family's units)."""
    import arviz as az

    from sim2real.models.data.contract import load_curves
    from sim2real.models.data.design import make_design
    from sim2real.models.inference.diagnostics import compute_diagnostics
    from sim2real.models.inference.spec import ModelSpec, SamplerConfig
    from sim2real.models.posterior.base import Posterior

    data = load_curves(table)
    design = make_design(data, "curve")
    refs, info = design.refs["curve"], data.curves
    n = len(next(iter(curves.values())).c)
    shape = (chains, n // chains, len(info))
    post = {k: np.empty(shape) for k in ("log_c", "log_a", "alpha", "sigma")}
    for k, row in info.iterrows():
        p = curves[(str(row["task"]), str(row["sim_source"]))]
        scale, x_ref = float(refs["scale"][k]), float(refs["x_ref"][k])
        post["log_c"][..., k] = np.log(p.c / scale).reshape(shape[:2])
        post["log_a"][..., k] = (np.log(p.d / scale) - p.alpha * np.log(x_ref)).reshape(
            shape[:2])
        post["alpha"][..., k] = p.alpha.reshape(shape[:2])
        post["sigma"][..., k] = 0.05
    idata = az.from_dict(posterior=post, coords=design.coords,
                         sample_stats={"diverging": np.zeros(shape[:2], dtype=bool)},
                         dims={k: ["curve"] for k in post})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        diagnostics = compute_diagnostics(idata, var_names=list(post))
    return Posterior(idata=idata, data=data, spec=ModelSpec(),
                     sampler=SamplerConfig(draws=shape[1], chains=chains),
                     diagnostics=diagnostics)


def timing(draws: int = 4000, repeats: int = 3) -> None:
    """Plan for 10 sources x ``draws`` draws (5 databases, 5 tasks), on point draws and on
    the same draws as a fitted-family Posterior (what ``sim2real plan`` runs on)."""
    rng = np.random.default_rng(0)
    curves = {}

    def jitter(c: float, d: float, a: float, n_real: float | None = None) -> CurveDraws:
        c_, d_, a_ = (v * np.exp(0.1 * rng.standard_normal(draws)) for v in (c, d, a))
        return CurveDraws(c_, d_, a_, n_real)

    for i in range(5):
        t = f"t{i}"
        curves[(t, "none")] = jitter(0.05, 2.0, 0.5)
        for j in range(5):
            if j <= 1 or i == 0:
                curves[(t, f"db{j}")] = jitter(0.08, 3.0, 0.4, 50.0)
    rows = []
    for (t, s) in curves:
        for x in (10.0, 20.0, 50.0) if s == "none" else (100.0, 300.0, 1000.0):
            e = 0.05 + 2.0 * x ** -0.5 if s == "none" else 0.08 + 3.0 * x ** -0.4
            rows.append((t, s, 0.0 if s == "none" else x, x if s == "none" else 50.0, 0,
                         e, "MAE"))
    table = pd.DataFrame(rows, columns=["task", "sim_source", "n_sim", "n_real", "seed",
                                        "error", "metric"])
    op = operating_point_from_table(table)
    src = tuple(Source(f"db{j}", 1.0) for j in range(5)) + tuple(
        Source(f"real:t{i}", 100.0) for i in range(5))
    prob = PlanProblem(src, 50_000.0, op, targets={f"t{i}": 0.15 for i in range(5)})
    models = {"point draws": PowerLawDraws(curves), "posterior": as_posterior(curves, table)}
    for label, model in models.items():
        for obj in (expected_error(), min_cost_with_probability(0.9)):
            secs = []
            for r in range(repeats):
                t0 = time.perf_counter()
                plan_batch(model, prob, obj, seed=r)
                secs.append(time.perf_counter() - t0)
            print(f"timing {obj.name} ({label}): 10 sources x {draws} draws: "
                  f"{', '.join(f'{s:.2f}' for s in secs)} s (max {max(secs):.2f} s)")
        secs = []
        for r in range(repeats):
            t0 = time.perf_counter()
            plan_next_round(model, prob, 0.95, remaining=3, seed=r)
            secs.append(time.perf_counter() - t0)
        print(f"timing sequential round (3 left, {label}): 10 sources x {draws} draws: "
              f"{', '.join(f'{s:.2f}' for s in secs)} s (max {max(secs):.2f} s)")
