"""The GP model discrepancy (default on curve families): algebra, spec field, a tiny fit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim2real.models.errors import SpecError
from sim2real.models.families.discrepancy import Knots, eps_draws, kernel
from sim2real.models.inference.fit import fit
from sim2real.models.inference.spec import ModelSpec, SamplerConfig
from sim2real.models.posterior.base import Posterior


def _knots() -> Knots:
    curve = np.array([0, 0, 0, 0, 1, 1, 1])
    lx = np.array([-1.0, -1.0, 0.0, 1.0, -0.5, 0.5, 1.5])
    return Knots.build(curve, lx, 2, ell=1.5)


def test_knots_pad_share_replicates_and_invert_the_kernel() -> None:
    k = _knots()
    assert k.lx.shape == (2, 3) and k.mask.sum() == 6
    assert k.row_knot.tolist() == [0, 0, 1, 2, 3, 4, 5]
    corr = kernel(np, np.abs(k.lx[0][:, None] - k.lx[0][None, :]), 1.5)
    np.testing.assert_allclose(k.chol[0] @ k.chol[0].T, corr, atol=1e-7)
    np.testing.assert_allclose(k.inv[0] @ corr, np.eye(3), atol=1e-6)


def test_query_is_the_fitted_value_at_knots_and_widens_with_distance() -> None:
    k = _knots()
    rng = np.random.default_rng(0)
    s = 4000
    tau = np.full(s, 0.2)
    z = rng.standard_normal((s, 2, 3))
    delta = np.stack([k.values(z[i], tau[i]) for i in range(s)])
    eps = eps_draws(s, 2, seed=1)
    at = k.query(np.zeros(3, dtype=int), k.lx[0], delta, tau, eps)
    np.testing.assert_allclose(at, delta[:, 0, :], atol=0.01)      # jitter only
    far = k.query(np.zeros(4, dtype=int), np.array([1.5, 3.0, 6.0, 50.0]), delta, tau, eps)
    # conditional spread grows with the distance past the last knot, towards tau
    resid = far - delta[:, 0, 2:3]
    sd = resid.std(0)
    assert np.all(np.diff(sd) > 0) and sd[0] < 0.1 and sd[-1] > 0.25
    assert far[:, -1].std() == pytest.approx(0.2, rel=0.05)          # saturates at tau


def test_query_is_differentiable_in_torch() -> None:
    torch = pytest.importorskip("torch")
    k = _knots()
    delta = np.full((3, 2, 3), 0.05) * k.mask
    tau, eps = np.full(3, 0.1), eps_draws(3, 2)
    x = torch.tensor([0.3, 2.0], dtype=torch.float64, requires_grad=True)
    out = k.query(np.array([0, 0]), x, torch.as_tensor(delta), torch.as_tensor(tau),
                  torch.as_tensor(eps))
    out.sum().backward()
    h = 1e-6

    def f(v: np.ndarray) -> float:
        return float(k.query(np.array([0, 0]), v, delta, tau, eps).sum())
    fd = [(f(np.array([0.3 + h * (i == 0), 2.0 + h * (i == 1)]))
           - f(np.array([0.3 - h * (i == 0), 2.0 - h * (i == 1)]))) / (2 * h) for i in range(2)]
    np.testing.assert_allclose(x.grad.numpy(), fd, rtol=1e-4, atol=1e-8)


def test_spec_field_validates_and_round_trips() -> None:
    spec = ModelSpec(discrepancy="gp", discrepancy_length=1.0)
    spec.validate()
    assert ModelSpec.from_dict(spec.to_dict()) == spec
    assert ModelSpec.from_dict({"family": "power_law_floor"}).discrepancy == "none"
    assert "disc_sigma" in spec.resolved_priors()
    assert ModelSpec().resolved_discrepancy == "gp"                  # the default: auto
    assert ModelSpec(family="edt").resolved_discrepancy == "none"     # surfaces: none yet
    assert ModelSpec(family="auto").resolved_discrepancy == "auto"    # until resolved
    assert "disc_sigma" not in ModelSpec(discrepancy="none").resolved_priors()
    with pytest.raises(SpecError, match="discrepancy"):
        ModelSpec(discrepancy="wiggly").validate()
    with pytest.raises(SpecError, match="surface"):
        ModelSpec(family="edt", discrepancy="gp").validate()
    with pytest.raises(SpecError, match="> 0"):
        ModelSpec(discrepancy="gp", discrepancy_length=0.0).validate()


@pytest.fixture(scope="module")
def gp_post() -> Posterior:
    rng = np.random.default_rng(3)
    sizes = 50 * 2 ** np.arange(5)
    rows = [("t", "none", 0, int(n), s, float((0.2 + 3 * n ** -0.4)
                                             * np.exp(rng.normal(0, 0.03))), "MAE")
            for n in sizes for s in range(3)]
    table = pd.DataFrame(rows, columns=["task", "sim_source", "n_sim", "n_real", "seed",
                                        "error", "metric"])
    return fit(table, ModelSpec(discrepancy="gp"),
               SamplerConfig(draws=150, tune=150, chains=2, seed=2))


def test_fitted_discrepancy_widens_predictions_and_survives_a_file(
        gp_post: Posterior, tmp_path: Path) -> None:
    assert {"disc", "disc_sigma"} <= set(gp_post.idata.posterior.data_vars)
    e = gp_post.error_draws("t", "none", 0, np.array([800.0, 8000.0, 8e5]))
    spread = np.log(e).std(0)
    assert spread[0] < spread[1] < spread[2]
    # no closed-form inversion with a discrepancy: callers invert on a grid
    assert gp_post.route_size_to_reach("t", "none", 0, 800.0, 0.3) is None
    floor = gp_post.route_floor("t", "none", 0, 800.0)
    assert floor is not None
    np.testing.assert_allclose(np.quantile(floor, [0.1, 0.9]),
                               np.quantile(gp_post.error_draws("t", "none", 0, 1e200)[:, 0],
                                           [0.1, 0.9]), rtol=0.03)  # tiny alphas
    ll = gp_post.pointwise_log_likelihood()
    assert np.isfinite(ll).all()
    back = Posterior.from_netcdf(gp_post.to_netcdf(tmp_path / "gp.nc"))
    assert back.spec.discrepancy == "gp"
    np.testing.assert_array_equal(back.error_draws("t", "none", 0, 8000.0),
                                  gp_post.error_draws("t", "none", 0, 8000.0))
