"""Regenerate a case study's model-fit outputs: fit, parameters, PPC, exchange rates, plan.

One command per study (from the project root)::

    .venv/bin/python -m sim2real.case_studies.run_study band_gap
    .venv/bin/python -m sim2real.case_studies.run_study chi_parameter

Fits ``case_studies/<study>/curves.csv`` with the default model of ``sim2real fit``
(``--family auto``: the joint surface E(n_sim, n_real) where a database is measured at more
than one ``n_real``, else the curve default) and sampler (4 chains x 1000 draws, default
seed; NUTS target acceptance 0.99 for a surface), saves the posterior to
``.cache/<study>/posterior.nc`` (large, not committed) and writes small, committed outputs
to ``case_studies/<study>/results/``:

* ``parameters.csv``: alpha, floor C, coefficient D and noise sigma per curve, mean and
  94% interval, R-hat and bulk ESS of alpha;
* ``ppc.csv``: per curve, the share of measured errors inside the 50% / 90% posterior
  predictive intervals and the mean log residual (measured vs posterior median);
* ``residuals.csv``: per curve and size, the measured mean over seeds vs the posterior
  median (and 90% interval) of the expected error;
* ``exchange.csv`` and ``required_sizes.csv``: ``sim2real exchange`` and the size to reach
  the target per route;
* ``plan.json``: ``sim2real plan --flip-points`` with the study's costs, budget and
  target (:data:`PLANS`);
* ``price_plans.json``: the same plan at other experiment prices (:data:`PRICE_SCAN`
  simulations per experiment), to show where the recommendation flips;
* ``fit.json``: sampler settings, diagnostics and wall times.

Examples
--------
>>> sorted(PLANS)
['band_gap', 'chi_parameter']
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim2real.case_studies.data import PROJECT_ROOT
from sim2real.models.data.io import atomic_write_text, write_table_atomic
from sim2real.models.inference.fit import as_curve_data, fit
from sim2real.models.inference.spec import ModelSpec, SamplerConfig
from sim2real.models.posterior.storage import load_posterior

#: Planning settings per study: price per sample, batch budget, target error.
PLANS: dict[str, dict[str, Any]] = {
    "band_gap": {"costs": {"mp": 1.0, "oqmd": 1.0, "aflow": 1.0, "real": 100.0},
                 "budget": 300_000.0, "targets": {"band_gap": 0.53}},
    "chi_parameter": {"costs": {"cosmo": 1.0, "real": 100.0}, "budget": 50_000.0,
                      "targets": {"chi": 0.20}},
}


def ppc_table(post: Any, seed: int = 0) -> pd.DataFrame:
    """Posterior predictive check per curve: interval coverage and mean log residual.

    Examples
    --------
    >>> ppc_table(post)  # doctest: +SKIP
    """
    rep = post.posterior_predictive(seed=seed)                       # (S, N)
    obs = post.data.table["error"].to_numpy(float)
    q = np.quantile(rep, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    frame = pd.DataFrame({"curve_id": post.observations()["curve_id"].to_numpy(),
                          "in50": (obs >= q[1]) & (obs <= q[3]),
                          "in90": (obs >= q[0]) & (obs <= q[4]),
                          "log_resid": np.log(obs) - np.log(q[2])})
    out = frame.groupby("curve_id", sort=False).agg(
        n=("in50", "size"), cov50=("in50", "mean"), cov90=("in90", "mean"),
        mean_log_resid=("log_resid", "mean"), max_abs_log_resid=("log_resid",
                                                                 lambda r: r.abs().max()))
    total = pd.DataFrame({"n": [len(frame)], "cov50": [frame["in50"].mean()],
                          "cov90": [frame["in90"].mean()],
                          "mean_log_resid": [frame["log_resid"].mean()],
                          "max_abs_log_resid": [frame["log_resid"].abs().max()]},
                         index=pd.Index(["all"], name="curve_id"))
    return pd.concat([out, total]).reset_index()


def residual_table(post: Any) -> pd.DataFrame:
    """Per curve and size: measured mean error over seeds vs the posterior median curve.

    ``log_resid`` = log(measured mean) - log(posterior median of the expected error);
    a run of same-signed residuals along a curve is lack of fit of the curve form.
    """
    table = post.data.table.copy()
    curves = post.data.curves
    table["curve_id"] = post.observations()["curve_id"].to_numpy()
    table["axis"] = curves["axis"].to_numpy()[table["curve"].to_numpy()]
    table["size"] = np.where(table["axis"] == "n_sim", table["n_sim"], table["n_real"])
    rows = []
    for (cid, size), g in table.groupby(["curve_id", "size"], sort=False):
        first = g.iloc[0]
        draws = post.error_draws(str(first["task"]), str(first["sim_source"]),
                                 float(first["n_sim"]), float(first["n_real"]))[:, 0]
        median = float(np.median(draws))
        rows.append({"curve_id": cid, "size": int(size), "n": len(g),
                     "measured_mean": float(g["error"].mean()), "posterior_median": median,
                     "q05": float(np.quantile(draws, 0.05)),
                     "q95": float(np.quantile(draws, 0.95)),
                     "log_resid": float(np.log(g["error"].mean()) - np.log(median))})
    return pd.DataFrame(rows).sort_values(["curve_id", "size"]).reset_index(drop=True)


#: Experiment prices (simulations per experiment) of ``price_plans.json``.
PRICE_SCAN = (10.0, 1000.0)


def plan_json(post: Any, settings: dict[str, Any], posterior: Path,
              flips: bool = True) -> dict[str, Any]:
    """The ``sim2real plan`` payload for ``settings`` (default objective and seed)."""
    from sim2real.planner.optim.config import merge_settings
    from sim2real.planner.workflow import plan_from_settings

    merged = merge_settings({}, budget=settings["budget"], costs=dict(settings["costs"]),
                            targets=dict(settings["targets"]))
    return plan_from_settings(post, merged, posterior, flips=flips)[0]


def price_plans(post: Any, settings: dict[str, Any], posterior: Path) -> dict[str, Any]:
    """The study's plan at each experiment price of :data:`PRICE_SCAN` (database prices
    kept), without flip points."""
    out = {}
    for price in PRICE_SCAN:
        costs = {k: (price if k == "real" else v) for k, v in settings["costs"].items()}
        payload = plan_json(post, {**settings, "costs": costs}, posterior, flips=False)
        out[f"{price:g}"] = {"costs": costs, "allocation": payload["allocation"],
                             "total_cost": payload["total_cost"],
                             "expected_error": payload["expected_error"],
                             "p_target": payload["p_target"],
                             "p_target_expected": payload.get("p_target_expected", {}),
                             "probability_of": payload.get("probability_of", "expected")}
    return out


def run(study: str, posterior: Path | None = None, refit: bool = True) -> Path:
    """Fit (or load) the study's posterior and write its ``results/`` folder."""
    from sim2real.planner.decisions import exchange_table, required_size_table

    folder = PROJECT_ROOT / "case_studies" / study
    out = folder / "results"
    posterior = posterior or PROJECT_ROOT / ".cache" / study / "posterior.nc"
    start = time.perf_counter()
    refitted = refit or not posterior.is_file()
    post: Any
    if refitted:
        data = as_curve_data(folder / "curves.csv")
        spec = ModelSpec(family="auto").resolve(data)
        surface = spec.model_family.layout == "surface"
        post = fit(data, spec, SamplerConfig(target_accept=0.99 if surface else None))
        post.to_netcdf(posterior)
    else:
        post = load_posterior(posterior)
    fit_seconds = time.perf_counter() - start
    settings = PLANS[study]
    write_table_atomic(post.summary(), out / "parameters.csv")
    write_table_atomic(ppc_table(post), out / "ppc.csv")
    write_table_atomic(residual_table(post), out / "residuals.csv")
    write_table_atomic(exchange_table(post), out / "exchange.csv")
    write_table_atomic(required_size_table(post, settings["targets"]),
                       out / "required_sizes.csv")
    start = time.perf_counter()
    payload = plan_json(post, settings, posterior)
    payload["provenance"]["posterior"] = str(posterior.relative_to(PROJECT_ROOT)) \
        if posterior.is_relative_to(PROJECT_ROOT) else str(posterior)
    atomic_write_text(json.dumps(payload, indent=2, default=float) + "\n", out / "plan.json")
    scan = price_plans(post, settings, posterior)
    atomic_write_text(json.dumps(scan, indent=2, default=float) + "\n",
                      out / "price_plans.json")
    attrs = post.idata.posterior.attrs
    fit_info = {"sampler": post.sampler.to_dict(), "spec": post.spec.to_dict(),
                "diagnostics": asdict(post.diagnostics),
                "compile_seconds": attrs.get("sim2real_compile_seconds"),
                "sampling_seconds": attrs.get("sim2real_sampling_seconds"),
                "fit_wall_seconds": round(fit_seconds, 1) if refitted else None,
                "plan_seconds": round(time.perf_counter() - start, 1)}
    atomic_write_text(json.dumps(fit_info, indent=2, default=float) + "\n", out / "fit.json")
    return out


def main() -> None:
    """Command line:
    ``python -m sim2real.case_studies.run_study STUDY [--posterior P] [--no-refit]``."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("study", choices=sorted(PLANS))
    p.add_argument("--posterior", type=Path, default=None,
                   help="posterior path (default .cache/<study>/posterior.nc)")
    p.add_argument("--no-refit", action="store_true", help="reuse an existing posterior")
    args = p.parse_args()
    out = run(args.study, args.posterior, refit=not args.no_refit)
    print(f"results written to {out}")


if __name__ == "__main__":
    main()
