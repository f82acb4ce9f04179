"""Draws of a family's parameters from its prior (no data), in the posterior's layout.

Used to tell whether the data identify a quantity: a floor whose posterior spread is close
to its prior spread is "not identified by the data" (:meth:`Posterior.prior_view`).

Examples
--------
>>> from sim2real.models.examples import example_path
>>> from sim2real.models.inference.fit import as_curve_data
>>> from sim2real.models.inference.spec import ModelSpec
>>> ds = prior_dataset(as_curve_data(example_path("synthetic")), ModelSpec(), draws=20)
>>> sorted(ds.sizes)[:2], ds.sizes["draw"]
(['chain', 'curve'], 20)
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from sim2real.models.data.contract import CurveData
from sim2real.models.data.design import make_design
from sim2real.models.inference.build import build_model
from sim2real.models.inference.spec import ModelSpec


def prior_dataset(data: CurveData, spec: ModelSpec, draws: int = 500, seed: int = 0) -> Any:
    """``xarray.Dataset`` (chain, draw, level) of the formula parameters and ``sigma``
    sampled from the priors of ``spec`` on the design of ``data``."""
    import pymc as pm

    family = spec.model_family
    model = build_model(make_design(data, family.layout), spec)
    log = logging.getLogger("pymc")
    level = log.level
    log.setLevel(logging.WARNING)   # no "Sampling: [...]" line in the user's terminal
    names = [*family.uses, "sigma", *(n for n in ("disc", "disc_sigma", "sigma_slope",
                                                 "split_effect", "split_sigma")
                                      if n in model.named_vars)]
    try:
        with model, warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The effect of Potentials")
            prior = pm.sample_prior_predictive(draws=draws, random_seed=seed,
                                               var_names=names)
    finally:
        log.setLevel(level)
    return prior.prior
