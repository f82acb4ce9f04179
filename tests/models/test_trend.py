"""Population trend: pooled curve parameters linear in the log of the fixed size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim2real.models.data.contract import load_curves
from sim2real.models.data.design import make_design
from sim2real.models.errors import SpecError
from sim2real.models.families import trend
from sim2real.models.inference.build import build_model, population_trend
from sim2real.models.inference.spec import ModelSpec


def _table(levels: tuple[int, ...]) -> pd.DataFrame:
    rows = [("t", "dft", n, m, s, float(0.3 + (1.0 + 4 * m ** -0.5) * n ** -0.3), "MAE")
            for m in levels for n in (100, 300, 1000, 3000) for s in range(2)]
    rows += [("t", "none", 0, m, s, float(0.3 + 5 * m ** -0.4), "MAE")
             for m in (25, 50, 100, 200) for s in range(2)]
    return pd.DataFrame(rows, columns=["task", "sim_source", "n_sim", "n_real", "seed",
                                       "error", "metric"])


def test_covariate_is_centred_per_population_and_zero_without_a_fixed_size() -> None:
    v = trend.covariate(np.log([25.0, 100.0, 400.0, np.nan, 10.0, 10.0]),
                        np.array([0, 0, 0, 1, 2, 2]))
    np.testing.assert_allclose(v, [-np.log(4), 0.0, np.log(4), 0.0, 0.0, 0.0], atol=1e-12)
    assert trend.varying_pools(v, np.array([0, 0, 0, 1, 2, 2])).tolist() == [0]


def test_spec_field_validates_resolves_and_round_trips() -> None:
    assert ModelSpec().resolved_trend == "none"                      # opt-in
    assert ModelSpec(trend="size").resolved_trend == "size"
    assert ModelSpec(family="edt", trend="size").resolved_trend == "none"   # surfaces
    assert ModelSpec(family="auto", trend="size").resolved_trend == "none"  # until resolved
    assert ModelSpec.from_dict({"family": "power_law_floor"}).trend == "none"   # old files
    spec = ModelSpec(trend="size")
    assert ModelSpec.from_dict(spec.to_dict()) == spec
    assert {"log_alpha_trend", "logit_f_trend"} <= set(spec.resolved_priors())
    assert "log_alpha_trend" not in ModelSpec(trend="none").resolved_priors()
    with pytest.raises(SpecError, match="unknown trend 'slope'"):
        ModelSpec(trend="slope").validate()


def test_trend_term_exists_only_where_fixed_sizes_differ() -> None:
    two = make_design(load_curves(_table((50, 400))), "curve")
    size = ModelSpec(trend="size")
    v = population_trend(two, size)
    on_sim = two.refs["curve"]["on_sim"] > 0
    assert np.allclose(v[~on_sim], 0.0) and np.allclose(sorted(v[on_sim]),
                                                        [-np.log(8) / 2, np.log(8) / 2])
    model = build_model(two, size)
    assert model.named_vars_to_dims["log_alpha_trend"] == ("pool",)
    assert population_trend(two, ModelSpec()) is None
    assert "log_alpha_trend" not in build_model(two, ModelSpec()).named_vars
    one = make_design(load_curves(_table((50,))), "curve")
    assert population_trend(one, size) is None
    assert "log_alpha_trend" not in build_model(one, size).named_vars


def test_the_slope_moves_the_population_mean_along_the_covariate() -> None:
    import pymc as pm

    design = make_design(load_curves(_table((25, 100, 400, 1600))), "curve")
    model = build_model(design, ModelSpec(discrepancy="none", trend="size"))
    prior = pm.sample_prior_predictive(draws=400, model=model, random_seed=3,
                                       var_names=["log_alpha", "log_alpha_trend"]).prior
    v = population_trend(design, ModelSpec(trend="size"))
    k = int(np.argmax(v))
    slope = prior["log_alpha_trend"].values.reshape(400, -1)
    pool = design.pools["curve"][1][k]
    alpha = prior["log_alpha"].values.reshape(400, -1)[:, k]
    # the largest-n_real curve's exponent follows its population's slope
    assert np.corrcoef(alpha, slope[:, pool])[0, 1] > 0.4
