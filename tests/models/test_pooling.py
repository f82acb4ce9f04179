"""Pooling by route: scratch and each source's transfer curves get their own populations."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sim2real.models.data.contract import load_curves
from sim2real.models.data.design import make_design
from sim2real.models.errors import SpecError
from sim2real.models.inference.build import build_model
from sim2real.models.inference.spec import ModelSpec


def test_spec_pooling_field() -> None:
    assert ModelSpec().pooling == "auto"
    assert ModelSpec().resolved_pooling == "route"                              # the default
    assert ModelSpec(pooling="all").resolved_pooling == "all"
    assert ModelSpec(pooling="route").resolved_pooling == "route"
    assert ModelSpec(family="auto").resolved_pooling == "all"                   # until resolved
    assert ModelSpec(family="edt").resolved_pooling == "all"
    assert ModelSpec(family="edt", pooling="route").resolved_pooling == "all"   # surfaces
    assert ModelSpec.from_dict({"family": "power_law_floor"}).pooling == "all"
    spec = ModelSpec(pooling="route")
    assert ModelSpec.from_dict(spec.to_dict()) == spec
    with pytest.raises(SpecError, match="unknown pooling 'tasks'"):
        ModelSpec(pooling="tasks").validate()


def test_design_lists_the_route_of_every_curve(simple_table: pd.DataFrame) -> None:
    design = make_design(load_curves(simple_table), "curve")
    labels, index = design.pools["curve"]
    assert labels == ["scratch", "transfer:dft"]
    route = [labels[i] for i in index]
    assert route == ["scratch" if "|none|" in c else "transfer:dft"
                     for c in design.coords["curve"]]


def test_route_pooling_gives_each_route_its_population(simple_table: pd.DataFrame) -> None:
    import pymc as pm

    table = simple_table.copy()
    table["error"] *= np.exp(np.random.default_rng(0).normal(0, 0.05, len(table)))
    design = make_design(load_curves(table), "curve")
    one = build_model(design, ModelSpec(discrepancy="none", pooling="all"))
    by_route = build_model(design, ModelSpec(discrepancy="none"))         # the default
    assert one.named_vars_to_dims.get("log_alpha_mu") is None
    assert by_route.named_vars_to_dims["log_alpha_mu"] == ("pool",)
    assert list(by_route.coords["pool"]) == ["scratch", "transfer:dft"]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The effect of Potentials")
        prior = pm.sample_prior_predictive(draws=400, model=by_route, random_seed=1,
                                           var_names=["log_alpha_mu", "log_alpha"]).prior
    mu = prior["log_alpha_mu"].values.reshape(400, 2)
    # the two routes' population means are drawn independently from the same prior
    assert abs(np.corrcoef(mu[:, 0], mu[:, 1])[0, 1]) < 0.15
    k = design.pools["curve"][1]
    alpha = prior["log_alpha"].values.reshape(400, -1)
    assert np.corrcoef(alpha[:, 0], mu[:, k[0]])[0, 1] > 0.5


def test_route_pooling_samples_for_its_smallest_population() -> None:
    from sim2real.models.examples import example_path
    from sim2real.models.inference.fit import sampler_population_size
    from sim2real.models.inference.spec import SamplerConfig

    design = make_design(load_curves(example_path("synthetic")), "curve")
    routes = ModelSpec(pooling="route")
    smallest = sampler_population_size(design, routes)
    assert smallest == min(np.bincount(design.pools["curve"][1]))
    assert sampler_population_size(design, ModelSpec(pooling="all")) == design.n_groups
    assert SamplerConfig().resolved_target_accept(smallest) == 0.99
    assert SamplerConfig().resolved_target_accept(design.n_groups) == 0.95
