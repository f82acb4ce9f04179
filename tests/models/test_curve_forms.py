"""Alternative single-axis forms: formulas, specs, a tiny fit with predictions."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from models.curve_forms import (
    CURVE_FORMS,
    FormSpec,
    fit_form,
    form_log_error,
    simulate_curve_table,
)
from models.errors import InputDataError, SpecError, UnknownCurveError
from models.form_posterior import FormPosterior
from models.priors import Prior
from models.spec import ModelSpec, SamplerConfig
from models.surface_forms import NUMPY_OPS
from planner.protocols import ErrorModel

BROKEN = {"log_c": np.log(0.05), "log_a": np.log(1.0), "alpha": 0.2, "alpha2": 0.9,
          "log_xb": 0.0}


def _slope(form: str, p: dict[str, float], lx: float) -> float:
    h = 1e-4
    hi = form_log_error(form, NUMPY_OPS, lx + h, {**p, "log_c": -np.inf})
    lo = form_log_error(form, NUMPY_OPS, lx - h, {**p, "log_c": -np.inf})
    return float((hi - lo) / (2 * h))


@pytest.mark.parametrize("form", [f for f in CURVE_FORMS if f != "power_law"])
def test_floored_forms_equal_c_plus_a_at_the_reference_size(form: str) -> None:
    p = {**BROKEN, "gamma": 0.7, "log_xs": 0.5}
    assert float(np.exp(form_log_error(form, NUMPY_OPS, 0.0, p))) == pytest.approx(1.05)


def test_broken_power_law_has_two_regimes() -> None:
    assert _slope("broken_power_law", BROKEN, -8.0) == pytest.approx(-0.2, abs=1e-3)
    assert _slope("broken_power_law", BROKEN, 8.0) == pytest.approx(-0.9, abs=1e-3)


def test_exp_saturation_and_power_law_shapes() -> None:
    p = {"log_c": np.log(0.1), "log_a": np.log(0.9), "gamma": 1.0, "log_xs": 0.0}
    far = np.exp(form_log_error("exp_saturation", NUMPY_OPS, 5.0, p))
    assert float(far) == pytest.approx(0.1, rel=1e-6)      # saturates at the floor
    y = form_log_error("power_law", NUMPY_OPS, np.log(4.0), {"log_e": 0.0, "alpha": 0.5})
    assert float(np.exp(y)) == pytest.approx(0.5)


def test_torch_and_numpy_agree() -> None:
    torch = pytest.importorskip("torch")
    from models.surface_forms import torch_ops

    p = {**BROKEN, "gamma": 0.7, "log_xs": 0.5}
    lx = np.linspace(-2, 2, 5)
    for form in CURVE_FORMS:
        pp = {**p, "log_e": 0.1}
        ref = form_log_error(form, NUMPY_OPS, lx, pp)
        got = form_log_error(form, torch_ops(), torch.as_tensor(lx),
                             {k: torch.as_tensor(v, dtype=torch.float64) for k, v in pp.items()})
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-12)


def test_form_spec_validation() -> None:
    with pytest.raises(SpecError, match="unknown curve form"):
        FormSpec(form="sigmoid").validate()
    with pytest.raises(SpecError, match="logit_f_mu"):
        FormSpec(form="power_law", priors={"logit_f_mu": Prior("Normal", mu=0, sigma=1)}
                 ).validate()
    spec = FormSpec("exp_saturation", "student_t",
                    {"log_xs_mu": Prior("Normal", mu=1.0, sigma=1.0)})
    spec.validate()
    assert FormSpec.from_dict(spec.to_dict()) == spec


@pytest.fixture(scope="module")
def tiny_broken() -> FormPosterior:
    table = simulate_curve_table("broken_power_law",
                                 [{"C": 0.05, "A": 0.5, "alpha": 0.2, "alpha2": 0.8,
                                   "xb": 200.0},
                                  {"C": 0.1, "A": 0.4, "alpha": 0.3, "alpha2": 0.7,
                                   "xb": 150.0}], seeds=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        post = fit_form(table, FormSpec("broken_power_law"),
                        SamplerConfig(draws=150, tune=150, chains=2, seed=2))
    assert isinstance(post, FormPosterior)
    return post


def test_tiny_broken_fit_predicts(tiny_broken: FormPosterior, tmp_path: Path) -> None:
    assert isinstance(tiny_broken, ErrorModel)
    d = tiny_broken.error_draws("task0", "none", 0.0, [25.0, 1600.0])
    assert d.shape == (tiny_broken.n_draws, 2) and np.all(d[:, 1] < d[:, 0])
    truth_25 = 0.05 + 0.5 * np.exp(form_log_error(
        "broken_power_law", NUMPY_OPS, np.log(25 / 200.0),
        {"log_c": -np.inf, "log_a": 0.0, "alpha": 0.2, "alpha2": 0.8,
         "log_xb": np.log(200.0 / 200.0)}))
    assert float(d[:, 0].mean()) == pytest.approx(float(truth_25), rel=0.1)
    back = FormPosterior.from_netcdf(tiny_broken.to_netcdf(tmp_path / "b.nc"))
    np.testing.assert_allclose(back.error_draws("task0", "none", 0.0, 300.0),
                               tiny_broken.error_draws("task0", "none", 0.0, 300.0))
    ll = tiny_broken.pointwise_log_likelihood()
    assert ll.shape == (2, 150, len(tiny_broken.data.table)) and np.isfinite(ll).all()
    assert set(tiny_broken.summary()["parameter"]) == {"C", "A", "alpha", "alpha2", "xb",
                                                       "sigma"}


def test_tiny_broken_fit_torch_gradient(tiny_broken: FormPosterior) -> None:
    torch = pytest.importorskip("torch")
    m = torch.tensor([100.0], dtype=torch.float64, requires_grad=True)
    tiny_broken.error_draws("task0", "none", torch.tensor([0.0]), m).mean().backward()
    h = 1e-3
    fd = (tiny_broken.error_draws("task0", "none", 0.0, 100.0 * (1 + h)).mean()
          - tiny_broken.error_draws("task0", "none", 0.0, 100.0 * (1 - h)).mean()) / (0.2)
    assert float(m.grad[0]) == pytest.approx(float(fd), rel=1e-3)


def test_tiny_broken_fit_rejects_unmeasured_points(tiny_broken: FormPosterior) -> None:
    with pytest.raises(UnknownCurveError, match="no measured curve"):
        tiny_broken.error_draws("task0", "mp", 100.0, 10.0)
    with pytest.raises(InputDataError, match="> 0"):
        tiny_broken.error_draws("task0", "none", 0.0, 0.0)


def test_default_form_is_the_production_model(monkeypatch: pytest.MonkeyPatch) -> None:
    import models.fit

    seen = {}

    def fake_fit(data: object, spec: ModelSpec, sampler: object) -> str:
        seen["spec"] = spec
        return "curve posterior"

    monkeypatch.setattr(models.fit, "fit_curves", fake_fit)
    prior = {"sigma": Prior("HalfNormal", sigma=0.1)}
    assert fit_form("curves.csv", FormSpec(likelihood="student_t", priors=prior)) == \
        "curve posterior"
    assert seen["spec"] == ModelSpec(form="power_law_floor", likelihood="student_t",
                                     priors=prior)
