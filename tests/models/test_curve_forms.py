"""Single-axis curve families: formulas, specs, a tiny fit with predictions."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from sim2real.models.errors import InputDataError, SpecError, UnknownCurveError
from sim2real.models.families import CURVE_FAMILIES, DEFAULT_FAMILY, get_family
from sim2real.models.families.ops import NUMPY_OPS
from sim2real.models.families.priors import Prior
from sim2real.models.families.simulate import simulate_curve_table
from sim2real.models.inference.fit import fit
from sim2real.models.inference.spec import ModelSpec, SamplerConfig
from sim2real.models.posterior.base import Posterior
from sim2real.models.posterior.storage import load_posterior
from sim2real.planner.protocols import ErrorModel

BROKEN = {"log_c": np.log(0.05), "log_a": np.log(1.0), "alpha": 0.2, "alpha2": 0.9,
          "log_xb": 0.0}


def log_error(name: str, lx: float | np.ndarray, p: dict[str, float]) -> np.ndarray:
    """``log(E / scale)`` of curve family ``name`` at ``lx = log(x / x_ref)``."""
    return np.asarray(get_family(name).log_error(NUMPY_OPS, {"lx": lx}, p))


def _slope(name: str, p: dict[str, float], lx: float) -> float:
    h = 1e-4
    hi = log_error(name, lx + h, {**p, "log_c": -np.inf})
    lo = log_error(name, lx - h, {**p, "log_c": -np.inf})
    return float((hi - lo) / (2 * h))


@pytest.mark.parametrize("name", [f for f in CURVE_FAMILIES if f != "power_law"])
def test_floored_families_equal_c_plus_a_at_the_reference_size(name: str) -> None:
    p = {**BROKEN, "gamma": 0.7, "log_xs": 0.5, "log_x0": 0.3}
    assert float(np.exp(log_error(name, 0.0, p))) == pytest.approx(1.05)


def test_broken_power_law_has_two_regimes() -> None:
    assert _slope("broken_power_law", BROKEN, -8.0) == pytest.approx(-0.2, abs=1e-3)
    assert _slope("broken_power_law", BROKEN, 8.0) == pytest.approx(-0.9, abs=1e-3)


def test_exp_saturation_and_power_law_shapes() -> None:
    p = {"log_c": np.log(0.1), "log_a": np.log(0.9), "gamma": 1.0, "log_xs": 0.0}
    far = np.exp(log_error("exp_saturation", 5.0, p))
    assert float(far) == pytest.approx(0.1, rel=1e-6)      # saturates at the floor
    y = log_error("power_law", np.log(4.0), {"log_e": 0.0, "alpha": 0.5})
    assert float(np.exp(y)) == pytest.approx(0.5)


def test_spec_validation_per_family() -> None:
    with pytest.raises(SpecError, match="unknown model family 'sigmoid'"):
        ModelSpec(family="sigmoid").validate()
    with pytest.raises(SpecError, match="logit_f_mu"):   # power_law has no floor
        ModelSpec(family="power_law",
                  priors={"logit_f_mu": Prior("Normal", mu=0, sigma=1)}).validate()
    spec = ModelSpec("exp_saturation", "student_t",
                     {"log_xs_mu": Prior("Normal", mu=1.0, sigma=1.0)})
    spec.validate()
    assert ModelSpec.from_dict(spec.to_dict()) == spec
    assert ModelSpec.from_dict({"form": "broken_power_law"}).family == "broken_power_law"


def test_default_family_is_the_production_model() -> None:
    assert DEFAULT_FAMILY == "power_law_floor"
    assert ModelSpec().model_family is get_family("power_law_floor")
    assert [p.name for p in get_family(DEFAULT_FAMILY).params] == ["log_e", "logit_f",
                                                                  "log_alpha"]


@pytest.fixture(scope="module")
def tiny_broken() -> Posterior:
    table = simulate_curve_table("broken_power_law",
                                 [{"C": 0.05, "A": 0.5, "alpha": 0.2, "alpha2": 0.8,
                                   "xb": 200.0},
                                  {"C": 0.1, "A": 0.4, "alpha": 0.3, "alpha2": 0.7,
                                   "xb": 150.0}], seeds=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        post = fit(table, ModelSpec("broken_power_law", discrepancy="none"),
                   SamplerConfig(draws=150, tune=150, chains=2, seed=2))
    assert isinstance(post, Posterior) and post.family.name == "broken_power_law"
    return post


def test_tiny_broken_fit_predicts(tiny_broken: Posterior, tmp_path: Path) -> None:
    assert isinstance(tiny_broken, ErrorModel)
    d = tiny_broken.error_draws("task0", "none", 0.0, [25.0, 1600.0])
    assert d.shape == (tiny_broken.n_draws, 2) and np.all(d[:, 1] < d[:, 0])
    truth_25 = 0.05 + 0.5 * np.exp(log_error(
        "broken_power_law", np.log(25 / 200.0),
        {"log_c": -np.inf, "log_a": 0.0, "alpha": 0.2, "alpha2": 0.8,
         "log_xb": np.log(200.0 / 200.0)}))
    assert float(d[:, 0].mean()) == pytest.approx(float(truth_25), rel=0.1)
    back = load_posterior(tiny_broken.to_netcdf(tmp_path / "b.nc"))
    assert back.spec == tiny_broken.spec
    np.testing.assert_allclose(back.error_draws("task0", "none", 0.0, 300.0),
                               tiny_broken.error_draws("task0", "none", 0.0, 300.0))
    ll = tiny_broken.pointwise_log_likelihood()
    assert ll.shape == (2, 150, len(tiny_broken.data.table)) and np.isfinite(ll).all()
    assert set(tiny_broken.summary()["parameter"]) == {"C", "A", "alpha", "alpha2", "xb",
                                                       "sigma", "sigma_slope", "split_sigma"}


def test_tiny_broken_fit_torch_gradient(tiny_broken: Posterior) -> None:
    torch = pytest.importorskip("torch")
    m = torch.tensor([100.0], dtype=torch.float64, requires_grad=True)
    tiny_broken.error_draws("task0", "none", torch.tensor([0.0]), m).mean().backward()
    h = 1e-3
    fd = (tiny_broken.error_draws("task0", "none", 0.0, 100.0 * (1 + h)).mean()
          - tiny_broken.error_draws("task0", "none", 0.0, 100.0 * (1 - h)).mean()) / (0.2)
    assert float(m.grad[0]) == pytest.approx(float(fd), rel=1e-3)


def test_tiny_broken_fit_rejects_unmeasured_points(tiny_broken: Posterior) -> None:
    with pytest.raises(UnknownCurveError, match="no curve for task 'task0' with sim_source"):
        tiny_broken.error_draws("task0", "mp", 100.0, 10.0)
    with pytest.raises(InputDataError, match="> 0"):
        tiny_broken.error_draws("task0", "none", 0.0, 0.0)


def test_broken_power_law_has_no_closed_form_size_to_reach(tiny_broken: Posterior) -> None:
    assert tiny_broken.route_size_to_reach("task0", "none", 0.0, 100.0, 0.1) is None
    floor = tiny_broken.route_floor("task0", "none", 0.0, 100.0)
    assert floor is not None and floor.shape == (tiny_broken.n_draws,)
    assert np.all(floor < tiny_broken.error_draws("task0", "none", 0.0, 1e6)[:, 0])
