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


def test_noise_draws_vectorised_and_differentiable(
        hand_built_posterior: Callable[..., Any]) -> None:
    import torch

    post = _with_slope(hand_built_posterior(), -0.5)
    k = post.design.coords["curve"].index("t|none|n_sim=0")
    x_ref = post.design.refs["curve"]["x_ref"][k]
    sizes = np.array([1.0, 4.0, 16.0]) * x_ref
    many = post.noise_draws("t", "none", 0, sizes)
    assert many.shape == (post.n_draws, 3)
    for j, m in enumerate(sizes):                      # one formula: matches the scalar call
        assert many[:, j] == pytest.approx(post.noise_draws("t", "none", 0, float(m)))
    m = torch.tensor(sizes, dtype=torch.float64, requires_grad=True)
    out = post.noise_draws("t", "none", 0, m)
    assert isinstance(out, torch.Tensor) and out.shape == (post.n_draws, 3)
    out.sum().backward()
    assert m.grad is not None and bool((m.grad < 0).all())     # noise falls with size


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


# ------------------------------------------------------------------ split offsets
def test_spec_replicates_field() -> None:
    assert ModelSpec().resolved_replicates == "split"
    assert ModelSpec.from_dict({"family": "power_law_floor"}).replicates == "independent"
    assert "split_sigma" in ModelSpec().resolved_priors()
    with pytest.raises(SpecError, match="unknown replicates 'paired'"):
        ModelSpec(replicates="paired").validate()


def _with_split(post: Any, offsets: np.ndarray, scale: float) -> Any:
    from sim2real.models.posterior.base import Posterior

    idata = post.idata.copy()
    chains, draws = idata.posterior.sizes["chain"], idata.posterior.sizes["draw"]
    idata.posterior = idata.posterior.assign_coords(split=post.design.coords["split"])
    idata.posterior["split_effect"] = (("chain", "draw", "split"),
                                       np.broadcast_to(offsets, (chains, draws, len(offsets))))
    idata.posterior["split_sigma"] = (("chain", "draw"), np.full((chains, draws), scale))
    return Posterior(idata=idata, data=post.data, spec=ModelSpec(replicates="split"),
                     sampler=post.sampler, diagnostics=post.diagnostics)


def test_split_offsets_shift_rows_and_widen_a_new_run(
        hand_built_posterior: Callable[..., Any]) -> None:
    base = hand_built_posterior()
    assert base.design.coords["split"] == ["t|0", "t|1"]
    post = _with_split(base, np.array([0.1, -0.2]), 0.12)
    seed = base.data.table["seed"].to_numpy()
    shift = post.mean_log_error() - base.mean_log_error()
    assert shift == pytest.approx(np.broadcast_to(np.where(seed == 0, 0.1, -0.2),
                                                  shift.shape))
    # a new run: new split, so its scatter adds the offsets' spread to the noise
    assert post.noise_draws("t", "none", 0, 40) == pytest.approx(
        np.full(post.n_draws, np.hypot(0.05, 0.12)))
    # the expected error (mean curve) does not move with the fitted offsets
    assert np.asarray(post.error_draws("t", "none", 0, [40.0])) == pytest.approx(
        np.asarray(base.error_draws("t", "none", 0, [40.0])))
    assert "split_sigma" in set(post.summary()["parameter"])


def test_split_likelihood_is_the_row_likelihood() -> None:
    """The model's likelihood (cells grouped by split) equals one Normal term per row."""
    from scipy import stats

    from sim2real.models.data.contract import load_curves
    from sim2real.models.data.design import make_design
    from sim2real.models.families.ops import NUMPY_OPS
    from sim2real.models.inference.build import build_model, row_parameters

    table = simulate_curve_table("power_law_floor", [{"C": 0.1, "A": 0.5, "alpha": 0.5}],
                                 seeds=3, sigma=0.05, split_sigma=0.1, rng_seed=2)
    spec = ModelSpec(discrepancy="none", noise="constant", replicates="split")
    design = make_design(load_curves(table), "curve")
    model = build_model(design, spec)
    point = {k: np.full(np.shape(v), 0.2) for k, v in model.initial_point().items()}
    got = float(model.compile_logp(vars=[model["y_bar"], *model.potentials],
                                   jacobian=False)(point))
    outs = model.replace_rvs_by_values(model.deterministics)    # at the point, not random
    values = dict(zip([v.name for v in model.deterministics],
                      model.compile_fn(outs, inputs=model.value_vars,
                                       on_unused_input="ignore")(point), strict=True))
    sig = np.exp(point["sigma_log__"])[0]                  # HalfNormal: log-transformed
    fam = spec.model_family
    rows = np.arange(len(design.y))
    p = row_parameters(fam.levels_of(), {k: np.asarray(values[k]) for k in fam.uses},
                       design.index, rows, fam.uses)
    mu = fam.log_error(NUMPY_OPS, design.inputs, p) + values["split_effect"][
        design.index["split"]]
    want = float(stats.norm.logpdf(design.y, mu, sig).sum())
    assert got == pytest.approx(want, rel=1e-9)


@pytest.mark.slow
def test_fit_recovers_split_offsets() -> None:
    """Shared split offsets of sd 0.1 are found; the noise is not inflated by them."""
    from sim2real.models.inference.fit import fit

    law = {"C": 0.1, "A": 0.5, "alpha": 0.5}
    table = simulate_curve_table("power_law_floor", [law, {**law, "alpha": 0.4},
                                                     {**law, "C": 0.2}],
                                 seeds=5, sigma=0.03, split_sigma=0.1, rng_seed=4)
    post = fit(table, ModelSpec(discrepancy="none", noise="constant"),
               SamplerConfig(draws=400, tune=600, chains=2, seed=5))
    scale = post.idata.posterior["split_sigma"].values.reshape(-1)
    lo, hi = np.quantile(scale, [0.05, 0.95])
    assert lo < 0.1 < hi
    sigma = post.idata.posterior["sigma"].values.reshape(-1, 3)
    assert np.median(sigma) < 0.05
