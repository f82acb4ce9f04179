"""Simulation-based calibration (slow): 90% intervals of alpha and C cover the truth 85-95%.

Run with ``make test-slow``. Each of >= 50 datasets draws every parameter from the default
priors, simulates 3 curves x 6 sizes x 3 replicates, and refits with NUTS. Datasets the
load-time sanity check refuses (errors more than 1e6 x the curve median: a prior draw with
a huge exponent and no floor) are drawn again, so the check is of the prior restricted to
tables the tool accepts.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
import pytest

from sim2real.models.families import get_family
from sim2real.models.inference.fit import fit
from sim2real.models.inference.spec import ModelSpec, SamplerConfig

DEFAULT_PRIORS = get_family("power_law_floor").priors

N_DATASETS = int(os.environ.get("SIM2REAL_SBC_DATASETS", "50"))
SIZES = np.round(np.geomspace(20, 2000, 6)).astype(int)


def _draw(name: str, rng: np.random.Generator, size: int | None = None) -> np.ndarray:
    import pymc as pm

    prior = DEFAULT_PRIORS[name]
    dist = getattr(pm, prior.distribution).dist(**prior.params, size=size)
    return np.asarray(pm.draw(dist, random_seed=rng))


def simulate_from_prior(rng: np.random.Generator, k: int = 3,
                        seeds: int = 3) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """One dataset from the prior (errors on a unit scale) and its true alpha and C."""
    x_ref = float(np.exp(np.log(SIZES).mean()))
    log_e = _draw("log_e", rng, k)
    logit_f = _draw("logit_f_mu", rng) + _draw("logit_f_sigma", rng) * rng.standard_normal(k)
    alpha = np.exp(_draw("log_alpha_mu", rng) + _draw("log_alpha_sigma", rng)
                   * rng.standard_normal(k))
    sigma = _draw("sigma", rng, k)
    log_c = log_e - np.logaddexp(0, -logit_f)
    log_a = log_e - np.logaddexp(0, logit_f)
    rows = []
    for i in range(k):
        mu = np.logaddexp(log_c[i], log_a[i] - alpha[i] * np.log(SIZES / x_ref))
        for s in range(seeds):
            err = np.exp(mu + sigma[i] * rng.standard_normal(len(SIZES)))
            rows += [(f"task{i}", "none", 0, int(n), s, float(e), "MAE")
                     for n, e in zip(SIZES, err, strict=True)]
    df = pd.DataFrame(rows, columns=["task", "sim_source", "n_sim", "n_real", "seed", "error",
                                     "metric"])
    return df, {"alpha": alpha, "C": np.exp(log_c)}


def accepted_dataset(rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """A prior dataset that passes the load-time sanity checks (redrawn until it does)."""
    from sim2real.models.data.contract import load_curves
    from sim2real.models.errors import InputDataError

    for _ in range(100):
        df, truth = simulate_from_prior(rng)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                load_curves(df)
        except InputDataError:
            continue
        return df, truth
    raise AssertionError("100 prior datasets in a row were refused by the sanity checks")


def test_accepted_dataset_redraws_refused_tables() -> None:
    df, truth = accepted_dataset(np.random.default_rng(0))
    assert len(df) == 3 * 6 * 3 and set(truth) == {"alpha", "C"}


@pytest.mark.slow
def test_ninety_percent_intervals_cover_85_to_95_percent() -> None:
    rng = np.random.default_rng(2025)
    hits: dict[str, list[bool]] = {"alpha": [], "C": []}
    for i in range(N_DATASETS):
        df, truth = accepted_dataset(rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # SBC of the bare form: the data come from its generative process, which has
            # no discrepancy, constant noise and independent replicates (the SBC of the
            # default model is not done yet, issue 11)
            post = fit(df, ModelSpec(discrepancy="none", noise="constant",
                                     replicates="independent"),
                       SamplerConfig(draws=500, tune=700, chains=2, seed=i))
        for k in range(len(truth["alpha"])):
            p = post.point_parameters(f"task{k}", "none", 0, int(SIZES[0]))
            # data were simulated on a unit error scale; the fit rescales by the task median
            c = p["scale"] * np.exp(p["log_c"])
            for name, draws in (("alpha", p["alpha"]), ("C", c)):
                lo, hi = np.quantile(draws, [0.05, 0.95])
                hits[name].append(bool(lo <= truth[name][k] <= hi))
    coverage = {name: float(np.mean(v)) for name, v in hits.items()}
    print(f"SBC: {N_DATASETS} datasets x 3 curves, 90% interval coverage: {coverage}")
    for name, value in coverage.items():
        assert 0.85 <= value <= 0.95, (name, value)
