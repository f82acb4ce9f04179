"""The noise model on the project's real curves: size-dependent noise and split offsets.

For each dataset, the default curve model (``power_law_floor`` with its discrepancy) is
fitted on all the curves four times: the default (``noise="size"``: log sigma linear in log
size, :mod:`models.families.noise`; ``replicates="split"``: one offset per (task, seed),
:mod:`models.families.replicates`), constant noise, independent replicates, both
(the model of release 0.2), and route pooling (``pooling="route"``: scratch and each
source's transfer curves in their own populations). The fits are ranked by PSIS-LOO
(:func:`models.evaluation.compare.compare_posteriors`; the likelihood is conditional on the
split offsets). Prints, per dataset, each variant's elpd difference to the default with its
standard error, the posterior of the population slope ``sigma_slope_mu`` and of
``split_sigma`` (5%, 50%, 95%), and the diagnostics. The run-level coverage of the
extrapolation backtest is measured by ``benchmarks/extrapolation.py --noise ...
--replicates ...``.

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


VARIANTS = {"default": ("size", "split", "all"), "constant noise": ("constant", "split", "all"),
            "independent": ("size", "independent", "all"),
            "release 0.2": ("constant", "independent", "all"),
            "route pooling": ("size", "split", "route")}


def _interval(post: object, name: str) -> str:
    draws = post.idata.posterior[name].values.reshape(-1)  # type: ignore[attr-defined]
    lo, mid, hi = np.quantile(draws, [0.05, 0.5, 0.95])
    return f"{mid:.3f} [{lo:.3f}, {hi:.3f}]"


def compare_noise(path: Path, sampler: SamplerConfig,
                  variants: list[str]) -> list[dict[str, object]]:
    """One dataset: fit every variant, rank by PSIS-LOO against the default."""
    posts, seconds = {}, {}
    for label in variants:
        noise, replicates, pooling = VARIANTS[label]
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            posts[label] = fit(path, ModelSpec(noise=noise, replicates=replicates,
                                               pooling=pooling), sampler)
        seconds[label] = time.perf_counter() - start
    table = compare_posteriors(posts).table.set_index("form")
    best = float(table["elpd_loo"].max())
    ref = float(table.loc["default", "elpd_loo"])
    rows = []
    for label, post in posts.items():
        rows.append({"variant": label, "elpd - default": float(table.loc[label, "elpd_loo"])
                     - ref, "d_loo to best": best - float(table.loc[label, "elpd_loo"]),
                     "dse": float(table.loc[label, "dse"]),
                     "slope_mu": _interval(post, "sigma_slope_mu")
                     if "sigma_slope_mu" in post.idata.posterior else "-",
                     "split_sigma": _interval(post, "split_sigma")
                     if "split_sigma" in post.idata.posterior else "-",
                     "max_rhat": post.diagnostics.max_rhat,
                     "divergences": post.diagnostics.divergences,
                     "fit_s": seconds[label]})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default=",".join(DEFAULT))
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--tune", type=int, default=500)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--variants", default="default,constant noise,independent,release 0.2",
                        help=f"comma-separated, from {list(VARIANTS)} (must include default)")
    args = parser.parse_args()
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    sampler = SamplerConfig(draws=args.draws, tune=args.tune, chains=args.chains,
                            seed=args.seed)
    print(f"NUTS (nutpie) {args.chains} chains x {args.draws} draws, {args.tune} tuning; "
          "default model (power_law_floor + discrepancy), all sizes")
    start = time.perf_counter()
    rows = []
    for name in (n.strip() for n in args.datasets.split(",") if n.strip()):
        rows += [{"dataset": name, **r} for r in compare_noise(DATASETS[name], sampler,
                                                                   variants)]
        print(f"{name}: done ({time.perf_counter() - start:.0f} s)", flush=True)
    frame = pd.DataFrame(rows)
    with pd.option_context("display.width", 250, "display.max_columns", 20,
                           "display.float_format", "{:.2f}".format):
        print("\nPSIS-LOO per variant (elpd - default > 0: the variant fits better; dse: "
              "se of its difference to the best)")
        print(frame.to_string(index=False))
    print(f"\ntotal wall time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
