"""Size-dependent replicate noise (:mod:`models.families.noise`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from sim2real.models.errors import SpecError
from sim2real.models.families.simulate import simulate_curve_table
from sim2real.models.inference.spec import ModelSpec, SamplerConfig


def test_spec_noise_field() -> None:
    assert ModelSpec().resolved_noise == "size"
    assert ModelSpec(noise="constant").resolved_noise == "constant"
    assert ModelSpec.from_dict({"family": "power_law_floor"}).noise == "constant"
    spec = ModelSpec(noise="size")
    assert ModelSpec.from_dict(spec.to_dict()) == spec
    assert "sigma_slope_mu" in spec.resolved_priors()
    assert "sigma_slope_mu" not in ModelSpec(noise="constant").resolved_priors()
    with pytest.raises(SpecError, match="unknown noise 'loud'"):
        ModelSpec(noise="loud").validate()


def _with_slope(post: Any, slope: float) -> Any:
    """The hand-built posterior with a given noise slope on every curve."""
    from sim2real.models.posterior.base import Posterior

    idata = post.idata.copy()
    shape = idata.posterior["sigma"].shape
    idata.posterior["sigma_slope"] = (("chain", "draw", "curve"), np.full(shape, slope))
    return Posterior(idata=idata, data=post.data, spec=ModelSpec(noise="size"),
                     sampler=post.sampler, diagnostics=post.diagnostics)


def test_noise_draws_follow_the_slope(hand_built_posterior: Callable[..., Any]) -> None:
    post = _with_slope(hand_built_posterior(), -0.5)
    k = post.design.coords["curve"].index("t|none|n_sim=0")   # scratch curve: n_real axis
    x_ref = post.design.refs["curve"]["x_ref"][k]
    at_ref = post.noise_draws("t", "none", 0, x_ref)
    assert at_ref == pytest.approx(np.full(post.n_draws, 0.05))
    far = post.noise_draws("t", "none", 0, 16 * x_ref)
    assert far == pytest.approx(at_ref * 16 ** -0.5)
    flat = hand_built_posterior().noise_draws("t", "none", 0, 16 * x_ref)
    assert flat == pytest.approx(at_ref)                      # no slope stored: constant


def test_log_likelihood_uses_the_row_noise(hand_built_posterior: Callable[..., Any]) -> None:
    from scipy import stats

    post = _with_slope(hand_built_posterior(), 0.7)
    d = post.design
    sigma = 0.05 * np.exp(0.7 * d.inputs["lx"])
    want = (stats.norm.logpdf(d.y, post.mean_log_error(), sigma)
            - np.log(d.row_scale * np.exp(d.y)))
    got = post.pointwise_log_likelihood().reshape(post.n_draws, -1)
    assert got == pytest.approx(want)
    summary = post.summary()
    slopes = summary.loc[summary["parameter"] == "sigma_slope", "mean"]
    assert len(slopes) == 2 and slopes.to_numpy() == pytest.approx([0.7, 0.7])


def test_simulated_noise_slope() -> None:
    table = simulate_curve_table("power_law", [{"E_ref": 1.0, "alpha": 0.5}],
                                 sizes=(10, 1000), seeds=400, sigma=0.1, sigma_slope=-0.5)
    sd = np.log(table["error"]).groupby(table["n_real"]).std()
    assert sd[10] / sd[1000] == pytest.approx(10.0, rel=0.2)


@pytest.mark.slow
def test_fit_recovers_a_falling_noise() -> None:
    """Noise falling as size^-0.6: the slope is found, and the constant fit is worse."""
    from sim2real.models.evaluation.compare import compare_posteriors
    from sim2real.models.inference.fit import fit

    law = {"C": 0.1, "A": 0.5, "alpha": 0.5}
    table = simulate_curve_table("power_law_floor", [law, {**law, "alpha": 0.4}],
                                 sizes=(25, 50, 100, 200, 400, 800, 1600), seeds=4,
                                 sigma=0.05, sigma_slope=-0.6, rng_seed=3)
    sampler = SamplerConfig(draws=300, tune=400, chains=2, seed=5)
    post = fit(table, ModelSpec(discrepancy="none"), sampler)
    slope = post.idata.posterior["sigma_slope_mu"].values.reshape(-1)
    lo, hi = np.quantile(slope, [0.05, 0.95])
    assert lo < -0.6 < hi and hi < -0.2
    flat = fit(table, ModelSpec(discrepancy="none", noise="constant"), sampler)
    ranked = compare_posteriors({"size": post, "constant": flat}).table
    assert ranked["form"].iloc[0] == "size"
    assert ranked["d_loo"].iloc[1] > 2 * ranked["dse"].iloc[1]
