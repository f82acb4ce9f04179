"""Posterior object (power law with a floor, hand-built draws): closed-form predictions,
lookups, closed forms along a route, torch gradients, model checks, persistence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim2real.models.errors import InputDataError, UnknownCurveError
from sim2real.models.posterior.base import Posterior, quantile_names
from sim2real.models.posterior.storage import load_posterior
from sim2real.planner.protocols import ErrorModel


def test_error_draws_match_the_closed_form(hand_built_posterior: Callable[..., Any]) -> None:
    post = hand_built_posterior()
    assert isinstance(post, ErrorModel)
    sizes = np.array([5.0, 50.0, 5000.0])
    scratch = post.error_draws("t", "none", 0, sizes)
    assert scratch.shape == (post.n_draws, 3)
    np.testing.assert_allclose(scratch[0], 0.2 + 2.0 * sizes ** -0.5, rtol=1e-10)
    transfer = post.error_draws("t", "dft", sizes * 100, 20)
    np.testing.assert_allclose(transfer[0], 0.1 + 1.0 * (sizes * 100) ** -0.3, rtol=1e-10)


def test_point_parameters_and_closed_forms(hand_built_posterior: Callable[..., Any]) -> None:
    post = hand_built_posterior()
    p = post.point_parameters("t", "none", 0, 30)
    assert set(p) == {"log_c", "log_a", "alpha", "scale", "x_ref"}
    c = p["scale"] * np.exp(p["log_c"])
    d = p["scale"] * np.exp(p["log_a"] + p["alpha"] * np.log(p["x_ref"]))
    np.testing.assert_allclose([c[0], d[0], p["alpha"][0]], [0.2, 2.0, 0.5])
    np.testing.assert_allclose(post.route_floor("t", "none", 0, 30), 0.2)
    # 0.2 + 2 m^-0.5 = 0.4  ->  m = 100 ; below the floor: unreachable
    np.testing.assert_allclose(post.route_size_to_reach("t", "none", 0, 30, 0.4), 100.0)
    assert np.isinf(post.route_size_to_reach("t", "none", 0, 30, 0.15)).all()
    # along the transfer curve the route varies n_sim: 0.1 + n^-0.3 = 0.2 -> n = 10^(10/3)
    np.testing.assert_allclose(post.route_size_to_reach("t", "dft", 1000, 20, 0.2),
                               10 ** (1 / 0.3), rtol=1e-10)


def test_torch_inputs_give_differentiable_outputs(
        hand_built_posterior: Callable[..., Any]) -> None:
    torch = pytest.importorskip("torch")
    post = hand_built_posterior()
    n = torch.tensor([1000.0], dtype=torch.float64, requires_grad=True)
    out = post.error_draws("t", "dft", n, torch.tensor([20.0], dtype=torch.float64))
    assert isinstance(out, torch.Tensor) and out.shape == (post.n_draws, 1)
    out.mean().backward()
    # d/dn (0.1 + n^-0.3) = -0.3 n^-1.3
    np.testing.assert_allclose(n.grad.item(), -0.3 * 1000.0 ** -1.3, rtol=1e-8)


def test_unknown_task_source_or_axis_are_clear_errors(
        hand_built_posterior: Callable[..., Any]) -> None:
    post = hand_built_posterior()
    with pytest.raises(UnknownCurveError, match="no curve for task 'x'"):
        post.error_draws("x", "none", 0, 10)
    with pytest.raises(UnknownCurveError, match="n_real=20 \\(varying n_sim\\)"):
        post.error_draws("t", "dft", 1000, 40)
    with pytest.raises(InputDataError, match="must be > 0"):
        post.error_draws("t", "none", 0, 0)


def test_predict_columns_and_quantiles(hand_built_posterior: Callable[..., Any]) -> None:
    post = hand_built_posterior(jitter=0.01)
    queries = pd.DataFrame({"task": ["t", "t"], "sim_source": ["none", "dft"],
                            "n_sim": [0, 3000], "n_real": [30, 20]})
    out = post.predict(queries, [0.05, 0.5, 0.95])
    assert list(out.columns) == ["task", "sim_source", "n_sim", "n_real", "mean", "q05",
                                 "q50", "q95", "extrapolation", "extrapolated"]
    assert out["extrapolation"].tolist() == [1.0, 1.0]   # both inside their curves
    assert (out["q05"] < out["q50"]).all() and (out["q50"] < out["q95"]).all()
    np.testing.assert_allclose(out["q50"], [0.2 + 2 * 30 ** -0.5, 0.1 + 3000 ** -0.3],
                               rtol=0.05)


def test_quantile_names_validation() -> None:
    assert quantile_names([0.1, 0.9]) == ["q10", "q90"]
    with pytest.raises(InputDataError):
        quantile_names([1.5])
    with pytest.raises(InputDataError):
        quantile_names([0.125])


def test_netcdf_round_trip_is_self_describing(hand_built_posterior: Callable[..., Any],
                                              tmp_path: Path) -> None:
    post = hand_built_posterior(jitter=0.01)
    path = post.to_netcdf(tmp_path / "sub" / "post.nc")
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    loaded = Posterior.from_netcdf(path)
    pd.testing.assert_frame_equal(loaded.data.table, post.data.table)
    assert loaded.spec == post.spec and loaded.sampler == post.sampler
    np.testing.assert_allclose(loaded.error_draws("t", "none", 0, [7.0]),
                               post.error_draws("t", "none", 0, [7.0]))


def test_loading_a_non_posterior_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.nc"
    bad.write_bytes(b"not netcdf")
    with pytest.raises(InputDataError, match="not a sim2real posterior"):
        load_posterior(bad)
    with pytest.raises(InputDataError, match="not found"):
        Posterior.from_netcdf(tmp_path / "missing.nc")


def test_pointwise_log_likelihood_matches_scipy(
        hand_built_posterior: Callable[..., Any]) -> None:
    from scipy import stats

    post = hand_built_posterior()
    ll = post.pointwise_log_likelihood()
    assert ll.shape == (2, 50, len(post.data.table))
    err = post.data.table["error"].to_numpy()
    # exact laws, sigma 0.05 on log error: density of the error = N(0 | 0, 0.05) / error
    np.testing.assert_allclose(ll[0, 0], stats.norm.logpdf(0.0, 0, 0.05) - np.log(err),
                               atol=1e-6)


def test_observations_and_replicated_data(hand_built_posterior: Callable[..., Any]) -> None:
    post = hand_built_posterior()
    obs = post.observations()
    table = post.data.table
    assert list(obs.columns) == ["curve_id", "task", "sim_source", "n_sim", "n_real", "seed",
                                 "error"]
    expected = post.data.curves["curve_id"].to_numpy()[table["curve"].to_numpy()]
    assert obs["curve_id"].tolist() == expected.tolist()
    rep = post.posterior_predictive(seed=3)
    assert rep.shape == (post.n_draws, len(table))
    # exact laws with sigma 0.05: replicated log errors scatter around the observed ones
    resid = np.log(rep) - np.log(table["error"].to_numpy())
    assert abs(float(resid.mean())) < 0.01 and float(resid.std()) == pytest.approx(0.05,
                                                                                    rel=0.1)
    np.testing.assert_array_equal(post.posterior_predictive(seed=3), rep)


def test_summary_reports_the_laws_in_error_units(
        hand_built_posterior: Callable[..., Any]) -> None:
    s = hand_built_posterior(jitter=0.001).summary().set_index(["curve_id", "parameter"])
    assert list(s.columns) == ["level", "mean", "sd", "lower", "upper", "r_hat", "ess_bulk"]
    for cid, law in {"t|none|n_sim=0": (0.2, 2.0, 0.5),
                     "t|dft|n_real=20": (0.1, 1.0, 0.3)}.items():
        for name, truth in zip(("C", "D", "alpha"), law, strict=True):
            assert s.loc[(cid, name), "mean"] == pytest.approx(truth, rel=0.02)
        assert s.loc[(cid, "sigma"), "mean"] == pytest.approx(0.05, rel=0.05)
