"""Contract of every registered model family (one parametrized test per requirement).

For each family in :data:`models.families.FAMILIES`: the registration checks pass; its
formula gives the same numbers in NumPy, torch (float64) and PyTensor; and a posterior of a
table simulated from it -- built from *prior* draws of the family's PyMC model, so no MCMC
runs here -- supports everything the planner and the reports use (error draws in NumPy and
differentiable torch, predictions, LOO terms, replicated data, closed forms, summary, files).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim2real.models.data.contract import load_curves
from sim2real.models.data.design import make_design
from sim2real.models.evaluation.backtest import posterior_forecast
from sim2real.models.families import CURVE_FAMILIES, FAMILIES, SURFACE_FAMILIES, Family, get_family
from sim2real.models.families.base import LAYOUTS
from sim2real.models.families.ops import NUMPY_OPS, Ops, pytensor_ops, torch_ops
from sim2real.models.families.priors import resolve_priors
from sim2real.models.families.simulate import simulate_curve_table, simulate_surface_table
from sim2real.models.inference.build import build_model
from sim2real.models.inference.diagnostics import compute_diagnostics
from sim2real.models.inference.spec import ModelSpec, SamplerConfig
from sim2real.models.posterior.base import Posterior
from sim2real.models.posterior.storage import load_posterior
from sim2real.planner.protocols import ErrorModel

NAMES = sorted(FAMILIES)
CHAINS, DRAWS = 2, 40
#: Scale-free inputs at which the three libraries are compared (u = 0: from scratch).
INPUTS = {"curve": {"lx": np.array([-3.0, -1.0, 0.0, 0.7, 2.5])},
          "surface": {"lm": np.array([-1.5, -0.3, 0.0, 0.4, 2.0]),
                      "u": np.array([0.0, 0.01, 1.0, 3.0, 50.0])}}
#: A route of each layout: (task, sim_source, n_sim, n_real) with two query points, and
#: which sizes vary along it. Curve points are above the reference size (200): far below
#: it, some prior draws of ``exp_saturation`` overflow (a tiny saturation size ``x_s``).
ROUTES = {"curve": ("task0", "none", np.zeros(2), np.array([250.0, 1000.0]), ("n_real",)),
          "surface": ("task", "db", np.array([50.0, 5000.0]), np.array([40.0, 80.0]),
                      ("n_sim", "n_real"))}
#: The from-scratch route of each layout (closed forms along n_real).
SCRATCH = {"curve": ("task0", "none"), "surface": ("task", "none")}
SUMMARY_COLUMNS = ["level", "curve_id", "parameter", "mean", "sd", "lower", "upper", "r_hat",
                   "ess_bulk"]


def simulated_table(name: str) -> pd.DataFrame:
    """A small contract table simulated from family ``name`` with plausible parameters."""
    if name in SURFACE_FAMILIES:
        return simulate_surface_table(
            name, {"C": 0.1, "A": 0.5, "beta": 0.5, "G": 0.2},
            sources={"db": {"k": 1.0, "a": 0.5, "b": 0.1, "alpha": 0.5, "n0": 100.0}},
            n_real=(25, 50, 100, 200), seeds=1)
    law = {"C": 0.1, "A": 0.5, "E_ref": 0.6, "alpha": 0.5, "alpha2": 0.9, "xb": 200.0,
           "gamma": 1.0, "xs": 200.0}
    return simulate_curve_table(name, [law, {**law, "C": 0.2, "alpha": 0.4}], seeds=2)


def prior_posterior(table: pd.DataFrame, spec: ModelSpec, chains: int = CHAINS,
                    draws: int = DRAWS, seed: int = 0) -> Posterior:
    """A :class:`Posterior` whose draws are prior draws of ``spec``'s PyMC model on ``table``.

    Every sampled and deterministic variable of the model is drawn (``chains x draws``),
    with the model's own dims and coordinates, so the object is shaped exactly like a
    fitted one; the sample statistics say "no divergence".
    """
    import arviz as az
    import pymc as pm

    data = load_curves(table)
    design = make_design(data, spec.model_family.layout)
    model = build_model(design, spec)
    names = [v.name for v in (*model.free_RVs, *model.deterministics)]
    with model, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The effect of Potentials")
        prior = pm.sample_prior_predictive(draws=chains * draws, random_seed=seed,
                                           var_names=names,
                                           compile_kwargs={"mode": "FAST_COMPILE"}).prior
    post = {n: prior[n].values.reshape(chains, draws, *prior[n].shape[2:]) for n in names}
    idata = az.from_dict(
        posterior=post, coords=design.coords,
        dims={n: list(model.named_vars_to_dims.get(n, ())) for n in names},
        sample_stats={"diverging": np.zeros((chains, draws), dtype=bool)})
    diagnostics = compute_diagnostics(
        idata, var_names=spec.model_family.diagnostic_vars(idata.posterior))
    return Posterior(idata=idata, data=data, spec=spec,
                     sampler=SamplerConfig(draws=draws, tune=0, chains=chains, seed=seed),
                     diagnostics=diagnostics)


@pytest.fixture(scope="module", params=[*((n, "normal") for n in NAMES),
                                        ("power_law_floor", "student_t")],
                ids=lambda c: c[0] if c[1] == "normal" else f"{c[0]}-{c[1]}")
def prior_post(request: pytest.FixtureRequest) -> Posterior:
    """Prior-draw posterior of each family on a table simulated from it (plus one
    Student-t likelihood)."""
    name, likelihood = request.param
    return prior_posterior(simulated_table(name), ModelSpec(family=name,
                                                            likelihood=likelihood,
                                                            discrepancy="none"))


# ------------------------------------------------------------------ registry
@pytest.mark.parametrize("name", NAMES)
def test_family_is_registered_consistently(name: str) -> None:
    fam = get_family(name)
    fam.check()
    assert fam.name == name and fam.layout in ("curve", "surface")
    assert (name in CURVE_FAMILIES) == (fam.layout == "curve")
    resolve_priors(None, fam.priors, name)          # every default prior validates
    assert set(fam.uses) <= set(fam.levels_of())
    assert fam.display and all(lv in LAYOUTS[fam.layout] for lv, _ in fam.display.values())
    assert ModelSpec(family=name).model_family is fam


def _formula(fam: Family, ops: Ops, raw: dict[str, Any], x: dict[str, Any]) -> Any:
    """``log_error`` from the sampled parameters, as the builder composes it."""
    p = dict(raw)
    for par in fam.params:
        if par.exp_as:
            p[par.exp_as] = ops.exp(p[par.name])
    p.update(fam.derive(ops, p))
    return fam.log_error(ops, x, {k: p[k] for k in fam.uses})


@pytest.mark.parametrize("name", NAMES)
def test_log_error_is_the_same_in_numpy_torch_and_pytensor(name: str) -> None:
    torch = pytest.importorskip("torch")
    import pytensor
    import pytensor.tensor as pt

    fam = get_family(name)
    rng = np.random.default_rng(7)
    x = INPUTS[fam.layout]
    raw = {p.name: rng.normal(0.0, 0.6, 5) for p in fam.params}
    ref = np.asarray(_formula(fam, NUMPY_OPS, raw, x))
    assert ref.shape == (5,) and np.isfinite(ref).all()

    as_t = {k: torch.as_tensor(v, dtype=torch.float64) for k, v in {**raw, **x}.items()}
    got_torch = _formula(fam, torch_ops(), {k: as_t[k] for k in raw}, {k: as_t[k] for k in x})
    assert got_torch.dtype == torch.float64
    np.testing.assert_allclose(got_torch.numpy(), ref, rtol=1e-12, atol=1e-12)

    sym = {k: pt.dvector(k) for k in (*raw, *x)}
    out = _formula(fam, pytensor_ops(), {k: sym[k] for k in raw}, {k: sym[k] for k in x})
    fn = pytensor.function(list(sym.values()), out)
    got_pt = fn(*({**raw, **x}[k] for k in sym))
    np.testing.assert_allclose(got_pt, ref, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ posterior contract
def test_error_draws_agree_in_numpy_and_torch_and_are_differentiable(
        prior_post: Posterior) -> None:
    torch = pytest.importorskip("torch")
    assert isinstance(prior_post, ErrorModel)
    task, src, n_sim, n_real, varying = ROUTES[prior_post.family.layout]
    draws = prior_post.error_draws(task, src, n_sim, n_real)
    assert isinstance(draws, np.ndarray) and draws.shape == (CHAINS * DRAWS, 2)
    assert np.isfinite(draws).all() and (draws > 0).all()
    sizes = {"n_sim": torch.tensor(n_sim, dtype=torch.float64, requires_grad=True),
             "n_real": torch.tensor(n_real, dtype=torch.float64, requires_grad=True)}
    out = prior_post.error_draws(task, src, sizes["n_sim"], sizes["n_real"])
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    np.testing.assert_allclose(out.detach().numpy(), draws, rtol=1e-12)
    out.mean(0).sum().backward()
    h = 1e-6
    for axis in varying:
        grad = sizes[axis].grad
        assert grad is not None
        for q in range(2):
            up = {"n_sim": n_sim.copy(), "n_real": n_real.copy()}
            down = {"n_sim": n_sim.copy(), "n_real": n_real.copy()}
            up[axis][q] *= 1 + h
            down[axis][q] *= 1 - h
            fd = (prior_post.error_draws(task, src, up["n_sim"], up["n_real"]).mean(0).sum()
                  - prior_post.error_draws(task, src, down["n_sim"], down["n_real"])
                  .mean(0).sum()) / (2 * h * {"n_sim": n_sim, "n_real": n_real}[axis][q])
            assert float(grad[q]) == pytest.approx(float(fd), rel=1e-4, abs=1e-12)


# a few prior draws of exp_saturation put x_s far below the smallest size: E overflows there
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_predict_and_model_checks_have_the_documented_shapes(prior_post: Posterior) -> None:
    task, src, n_sim, n_real, _ = ROUTES[prior_post.family.layout]
    queries = pd.DataFrame({"task": task, "sim_source": src, "n_sim": n_sim,
                            "n_real": n_real})
    pred = prior_post.predict(queries, [0.1, 0.5, 0.9])
    assert list(pred.columns) == ["task", "sim_source", "n_sim", "n_real", "mean", "q10",
                                  "q50", "q90", "extrapolation", "extrapolated"]
    assert (pred["q10"] <= pred["q50"]).all() and (pred["q50"] <= pred["q90"]).all()
    np.testing.assert_allclose(pred["mean"],
                               prior_post.error_draws(task, src, n_sim, n_real).mean(0))
    n_rows = len(prior_post.data.table)
    ll = prior_post.pointwise_log_likelihood()
    assert ll.shape == (CHAINS, DRAWS, n_rows) and np.isfinite(ll).all()
    rep = prior_post.posterior_predictive(seed=1)
    # prior draws are heavy-tailed: a Student-t draw of the noise can over/underflow exp()
    assert rep.shape == (CHAINS * DRAWS, n_rows) and not (rep < 0).any()
    assert ((rep > 0) & np.isfinite(rep)).mean() > 0.9
    obs = prior_post.observations()
    assert len(obs) == n_rows and obs["curve_id"].isin(
        prior_post.design.coords[prior_post.design.noise_level]).all()
    np.testing.assert_allclose(obs["error"], prior_post.data.table["error"])


def test_backtest_forecasts_along_every_measured_curve(prior_post: Posterior) -> None:
    curves = prior_post.data.curves
    rng = np.random.default_rng(0)
    for cid, size_max in zip(curves["curve_id"], curves["size_max"], strict=True):
        sizes = np.array([2.0, 4.0]) * float(size_max)
        f = posterior_forecast(prior_post, cid, sizes, rng)
        assert f.log_draws is not None and f.log_draws.shape == (CHAINS * DRAWS, 2)
        assert np.isfinite(f.log_draws).all() and np.isfinite(f.point).all()
    if prior_post.nu_draws is not None:
        assert prior_post.nu_draws.shape == (CHAINS * DRAWS,)


def test_summary_lists_the_family_display_labels(prior_post: Posterior) -> None:
    fam, design = prior_post.family, prior_post.design
    s = prior_post.summary()
    assert list(s.columns) == SUMMARY_COLUMNS
    noise = ["sigma_slope"] if prior_post.spec.resolved_noise == "size" else []
    noise += ["split_sigma"] if prior_post.spec.resolved_replicates == "split" else []
    assert set(s["parameter"]) == {*fam.display, "sigma", *noise}
    for label, (level, _) in fam.display.items():
        rows = s[s["parameter"] == label]
        assert set(rows["level"]) == {level}
        assert sorted(rows["curve_id"]) == sorted(design.coords[level])
    # prior draws are heavy-tailed (a mean may lie outside the 94% interval)
    assert (s["lower"] <= s["upper"]).all() and (s["sd"] >= 0).all()


def test_closed_forms_along_the_primary_size(prior_post: Posterior) -> None:
    fam = prior_post.family
    task, src = SCRATCH[fam.layout]
    floor = prior_post.route_floor(task, src, 0.0, 100.0)
    reach = prior_post.route_size_to_reach(task, src, 0.0, 100.0, 0.3)
    assert (floor is None) == (fam.log_floor is None)
    assert (reach is None) == (fam.log_size_to_reach is None)
    sizes = np.geomspace(200.0, 1e6, 7)
    errors = prior_post.error_draws(task, src, 0.0, sizes)
    if floor is not None:
        assert floor.shape == (CHAINS * DRAWS,) and (errors >= floor[:, None]).all()
    if reach is not None:
        ok = np.isfinite(reach) & (reach > 1e-3) & (reach < 1e9)
        assert ok.sum() >= 5, "too few draws reach the target to test the inversion"
        # draw s evaluated at its own size to reach the target: the diagonal
        at = prior_post.error_draws(task, src, 0.0, reach[ok])[np.flatnonzero(ok),
                                                                np.arange(ok.sum())]
        np.testing.assert_allclose(at, 0.3, rtol=1e-8)
        assert (floor is None) or np.all(np.isinf(reach) == (floor >= 0.3))


def test_files_round_trip_with_identical_draws(prior_post: Posterior, tmp_path: Path) -> None:
    task, src, n_sim, n_real, _ = ROUTES[prior_post.family.layout]
    path = prior_post.to_netcdf(tmp_path / "post.nc")
    back = load_posterior(path)
    assert isinstance(back, Posterior) and back.family is prior_post.family
    assert back.spec == prior_post.spec and back.sampler == prior_post.sampler
    pd.testing.assert_frame_equal(back.data.table, prior_post.data.table)
    np.testing.assert_array_equal(back.error_draws(task, src, n_sim, n_real),
                                  prior_post.error_draws(task, src, n_sim, n_real))
    assert Posterior.from_netcdf(path).family.name == prior_post.family.name
