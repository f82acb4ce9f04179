"""Prior sensitivity by importance reweighting (models.evaluation.sensitivity): unit weights
for an unchanged prior, a closed-form reweighting, k-hat flags, the moves rule, and the
log densities against PyMC's."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest

from sim2real.models.evaluation import sensitivity as sens
from sim2real.models.evaluation.sensitivity import (
    ALTERNATIVES,
    DecisionDraws,
    PriorAlternative,
    Query,
    prior_sensitivity,
    reweight,
)
from sim2real.models.families.priors import _DISTRIBUTIONS, Prior
from sim2real.models.inference.spec import ModelSpec
from tests.conftest import make_idata, make_simple_table

DEFAULT = ModelSpec().resolved_priors()        # the hand-built posteriors' priors
QUERY = Query("t", "dft", 1e5, 20.0, target=0.12)


def posterior(draws: int = 2000, hyper: tuple[float, float] = (-0.5, 0.3),
              tie_alpha: bool = False, seed: int = 1) -> Any:
    """A power-law-floor Posterior of the simple table, 2 chains, with ``log_alpha_mu``
    draws ~ N(hyper); ``tie_alpha``: every curve's exponent is exp(log_alpha_mu), so the
    expected error depends on the hyperparameter."""
    from sim2real.models.data.contract import load_curves
    from sim2real.models.data.design import make_design
    from sim2real.models.inference.diagnostics import compute_diagnostics
    from sim2real.models.inference.spec import SamplerConfig
    from sim2real.models.posterior.base import Posterior

    data = load_curves(make_simple_table())
    design = make_design(data, "curve")
    ids, refs = design.coords["curve"], design.refs["curve"]
    laws = {"t|none|n_sim=0": (0.2, 2.0, 0.5), "t|dft|n_real=20": (0.1, 1.0, 0.3)}
    log_c = [np.log(laws[c][0] / refs["scale"][k]) for k, c in enumerate(ids)]
    log_a = [np.log(laws[c][1] / refs["scale"][k]) - laws[c][2] * np.log(refs["x_ref"][k])
             for k, c in enumerate(ids)]
    idata = make_idata(ids, {"log_c": np.array(log_c), "log_a": np.array(log_a),
                             "alpha": np.array([laws[c][2] for c in ids]),
                             "sigma": np.full(len(ids), 0.05)}, draws=draws, jitter=0.01)
    rng = np.random.default_rng(seed)
    mu = hyper[0] + hyper[1] * rng.standard_normal((2, draws))
    post = idata.posterior
    post["log_alpha_mu"] = (("chain", "draw"), mu)
    if tie_alpha:
        alpha = np.broadcast_to(np.exp(mu)[..., None], post["alpha"].shape).copy()
        post["alpha"] = (post["alpha"].dims, alpha)
    return Posterior(idata=idata, data=data, spec=ModelSpec(),
                     sampler=SamplerConfig(draws=draws, chains=2),
                     diagnostics=compute_diagnostics(idata))


def exponent_alternative(prior: Prior, name: str = "alt") -> PriorAlternative:
    return PriorAlternative(name, "test", {"log_alpha_mu": prior})


def test_an_alternative_equal_to_the_default_leaves_every_weight_exactly_one() -> None:
    post = posterior(draws=200)
    same = exponent_alternative(Prior("Normal", **DEFAULT["log_alpha_mu"].params), "same")
    changed, w = reweight(post, same)
    assert changed == {}
    assert np.array_equal(w.weights, np.ones(400)) and math.isnan(w.khat) and w.reliable
    assert w.ess == 400
    table = prior_sensitivity(post, [QUERY], [same])
    assert set(table["quantity"]) == {"expected_error", "p_expected", "p_run"}
    for col in ("value", "lo", "hi"):
        ref = table["default" if col == "value" else f"default_{col}"]
        np.testing.assert_array_equal(table[col].to_numpy(), ref.to_numpy())
    assert (table["change"] == 0).all() and not table["moves"].any()
    assert (table["priors"] == "").all()


def test_shifted_normal_moves_the_weighted_mean_by_the_analytic_amount() -> None:
    # draws ~ N(m, s^2); prior N(a, b^2) -> N(a + d, b^2) multiplies the density by
    # exp(d (theta - a) / b^2): the posterior mean moves by s^2 d / b^2, the sd stays s
    s, d, b = 0.3, 0.5, DEFAULT["log_alpha_mu"].params["sigma"]
    post = posterior(draws=4000, hyper=(-0.5, s))
    alt = PriorAlternative("shifted", "test", shift={"log_alpha_mu": d})
    changed, w = reweight(post, alt)
    assert changed["log_alpha_mu"].params == pytest.approx(
        {"mu": DEFAULT["log_alpha_mu"].params["mu"] + d, "sigma": b})
    theta = post.idata.posterior["log_alpha_mu"].values.reshape(-1)
    shift = np.average(theta, weights=w.weights) - theta.mean()
    expected = s**2 * d / b**2
    mc_error = s / math.sqrt(w.ess)
    assert abs(shift - expected) < 4 * mc_error, (shift, expected, mc_error)
    sd = math.sqrt(np.average((theta - np.average(theta, weights=w.weights))**2,
                              weights=w.weights))
    assert sd == pytest.approx(theta.std(), rel=0.05)
    assert w.reliable and 0 < w.khat < 0.5 and w.ess > 3000


def test_an_absurd_alternative_is_flagged_unreliable_and_given_no_numbers() -> None:
    post = posterior(draws=1000)
    absurd = exponent_alternative(Prior("Normal", mu=1.5, sigma=0.05), "absurd")
    _, w = reweight(post, absurd)
    assert w.khat > sens.PARETO_K_MAX and not w.reliable
    table = prior_sensitivity(post, [QUERY], [absurd])
    assert not table["reliable"].any() and not table["moves"].any()
    assert table[["value", "lo", "hi", "change"]].isna().all().all()
    assert table["default"].notna().all()


def test_moves_rule_for_errors_and_probabilities() -> None:
    assert sens.error_moves(0.51, 0.40, 0.50) and sens.error_moves(0.39, 0.40, 0.50)
    assert not sens.error_moves(0.50, 0.40, 0.50) and not sens.error_moves(0.45, 0.40, 0.50)
    # the binomial MC width 2 * 1.645 sqrt(p (1 - p) / ESS) when it exceeds 0.05 ...
    assert sens.probability_threshold(0.5, 100.0) == pytest.approx(2 * 1.645 * 0.05)
    assert sens.probability_moves(0.5, 0.67, 100.0) and not sens.probability_moves(
        0.5, 0.66, 100.0)
    # ... else 0.05
    assert sens.probability_threshold(0.5, 1e6) == 0.05
    assert sens.probability_moves(0.5, 0.56, 1e6) and not sens.probability_moves(
        0.5, 0.54, 1e6)
    assert sens.probability_threshold(0.3, 0.0) == math.inf


def test_a_prior_the_error_depends_on_moves_the_decision_and_a_mild_one_does_not() -> None:
    post = posterior(draws=2000, hyper=(np.log(0.3), 0.3), tie_alpha=True)
    q = QUERY.draws(post)
    target = float(np.median(q.expected))
    query = dataclasses.replace(QUERY, target=target)
    strong = exponent_alternative(Prior("Normal", mu=-2.0, sigma=0.15), "strong")
    mild = PriorAlternative("mild", "test", shift={"log_alpha_mu": -0.1})
    table = prior_sensitivity(post, [query], [strong, mild]).set_index(
        ["alternative", "quantity"])
    err = table.loc[("strong", "expected_error")]
    assert err["reliable"] and err["moves"]
    assert err["value"] > err["default_hi"]          # smaller exponents: larger error
    p = table.loc[("strong", "p_expected")]
    assert p["default"] == pytest.approx(0.5, abs=0.01)
    assert p["moves"] and p["value"] < p["default"] - p["threshold"]
    assert not table.loc["mild"]["moves"].any()


def test_alternatives_apply_only_to_priors_the_spec_and_the_draws_have() -> None:
    default = ModelSpec().resolved_priors()
    half = ALTERNATIVES["half_scales"].applied(default)
    assert set(half) == {"logit_f_sigma", "log_alpha_sigma", "sigma_slope_sigma"}
    assert half["log_alpha_sigma"].params == {
        "sigma": 0.5 * default["log_alpha_sigma"].params["sigma"]}
    wide = ALTERNATIVES["wide_exponents"].applied(default)
    assert list(wide) == ["log_alpha_mu"] and wide["log_alpha_mu"].params == {
        "mu": default["log_alpha_mu"].params["mu"],
        "sigma": 2 * default["log_alpha_mu"].params["sigma"]}
    # relative to the fitted priors: a user's override is what gets perturbed
    user = ModelSpec(priors={"logit_f_mu": Prior("Normal", mu=0.5, sigma=0.2)})
    assert ALTERNATIVES["low_floors"].applied(user.resolved_priors())["logit_f_mu"].params \
        == {"mu": -1.5, "sigma": 0.2}
    assert ALTERNATIVES["low_floors"].applied(
        ModelSpec(family="power_law").resolved_priors()) == {}
    edt = ALTERNATIVES["slow_exponents"].applied(ModelSpec(family="edt").resolved_priors())
    assert set(edt) == {"log_beta_mu", "log_a_t_mu"}
    # the hand-built draws have no noise slopes: only the priors with draws are reweighted
    changed, _ = reweight(posterior(draws=100), ALTERNATIVES["half_scales"])
    assert set(changed) == {"logit_f_sigma", "log_alpha_sigma"}


def test_prior_densities_match_pymc() -> None:
    import pymc as pm

    params = {"Normal": {"mu": -0.5, "sigma": 0.7}, "StudentT": {"nu": 4.0, "mu": 0.3,
                                                                 "sigma": 0.8},
              "HalfNormal": {"sigma": 0.3}, "HalfCauchy": {"beta": 0.4},
              "HalfStudentT": {"nu": 3.0, "sigma": 0.5}, "Exponential": {"lam": 2.0},
              "Gamma": {"alpha": 2.0, "beta": 0.1}, "LogNormal": {"mu": -1.0, "sigma": 0.6}}
    assert set(params) == set(_DISTRIBUTIONS)
    x = np.array([0.05, 0.3, 1.7, 12.0])
    for name, p in params.items():
        ours = sens.prior_distribution(Prior(name, **p)).logpdf(x)
        theirs = pm.logp(getattr(pm, name).dist(**p), x).eval()
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, err_msg=name)


def test_weighted_quantile_and_run_draws() -> None:
    x = np.random.default_rng(3).normal(size=501)
    q = [0.05, 0.5, 0.95]
    np.testing.assert_allclose(sens.weighted_quantile(x, q), np.quantile(x, q,
                                                                         method="hazen"))
    # integer weights = repeated draws
    w = np.arange(1.0, 502.0) % 3
    np.testing.assert_allclose(sens.weighted_quantile(x, 0.5, w),
                               np.quantile(np.repeat(x, w.astype(int)), 0.5,
                                           method="hazen"), atol=0.02)
    post = posterior(draws=100)
    a, b = QUERY.draws(post, seed=5), QUERY.draws(post, seed=5)
    assert a.run is not None and b.run is not None and np.array_equal(a.run, b.run)
    sigma = post.noise_draws("t", "dft", 1e5, 20.0)
    eps = np.random.default_rng(5).standard_normal(200)
    np.testing.assert_allclose(np.log(a.run / a.expected), sigma * eps)


def test_callable_queries_and_draw_count_check() -> None:
    post = posterior(draws=100)
    e = QUERY.draws(post).expected
    table = prior_sensitivity(post, lambda p: [DecisionDraws("mine", e, None, 0.2)])
    assert set(table["query"]) == {"mine"}
    assert set(table["quantity"]) == {"expected_error", "p_expected"}
    assert set(table["alternative"]) == set(ALTERNATIVES)
    with pytest.raises(ValueError, match="weights for 50 draws"):
        prior_sensitivity(post, lambda p: [DecisionDraws("thin", e[::4])])


def test_the_baseline_is_the_priors_the_file_was_fitted_with(tmp_path: Any) -> None:
    import json

    from sim2real.models.evaluation.sensitivity import fitted_priors
    from sim2real.models.posterior.base import Posterior
    from sim2real.models.posterior.files import PRIORS_ATTR

    post = posterior(draws=100)
    assert fitted_priors(post) == (DEFAULT, "fit")
    loaded = Posterior.from_netcdf(post.to_netcdf(tmp_path / "a.nc"))
    assert fitted_priors(loaded) == (DEFAULT, "file")
    # a file fitted under other defaults: reweighting starts from its own priors
    now = DEFAULT["log_alpha_mu"].params
    older = Prior("Normal", mu=now["mu"] + 1.0, sigma=0.75 * now["sigma"])
    attrs = loaded.idata.posterior.attrs
    attrs[PRIORS_ATTR] = json.dumps({**{k: v.to_dict() for k, v in DEFAULT.items()},
                                     "log_alpha_mu": older.to_dict()})
    back = exponent_alternative(older, "back")
    assert reweight(loaded, back)[0] == {}
    assert reweight(loaded, back, defaults=DEFAULT)[0] == {"log_alpha_mu": older}
    again = Posterior.from_netcdf(loaded.to_netcdf(tmp_path / "b.nc"))   # kept on re-save
    assert fitted_priors(again)[0]["log_alpha_mu"] == older
    del attrs[PRIORS_ATTR]                            # a file written before priors were stored
    changed, _ = reweight(loaded, back)
    assert fitted_priors(loaded)[1] == "assumed" and changed == {"log_alpha_mu": older}
