"""Adapter used by the golden tests: build the PyMC model of a family on a table.

This is the only place the golden tests touch the model-building API, so a refactor of the
model layer changes this file and nothing else in the golden tests.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

FAMILIES = ("power_law_floor", "power_law", "broken_power_law", "exp_saturation",
            "onset_power_law", "edt", "edt_negative", "additive")
#: Recorded after the discrepancy was added (the names above pin the bare forms), and
#: after the size-dependent noise (``+size``; every other key pins constant noise) and
#: the split offsets (``+split``; every other key pins independent replicates) and route
#: pooling (``+route``; every other key pins one population) and the population trend
#: (``+trend``; every other key pins none).
DISCREPANCY = ("power_law_floor+gp", "onset_power_law+gp", "power_law_floor+gp+size",
               "edt+size", "power_law_floor+gp+size+split", "edt+size+split",
               "power_law_floor+gp+size+split+route",
               "power_law_floor+gp+size+split+route+trend")
LIKELIHOODS = ("normal", "student_t")


def build(family: str, likelihood: str, table: pd.DataFrame) -> Any:
    """The PyMC model of ``family`` with ``likelihood`` on ``table`` (default priors)."""
    from sim2real.models.data.contract import load_curves
    from sim2real.models.data.design import make_design
    from sim2real.models.inference.build import build_model
    from sim2real.models.inference.spec import ModelSpec

    family, *options = family.split("+")
    if "trend" in options:      # a second n_real level, so the trend term exists
        extra = table[table["sim_source"] == "dft_a"].assign(
            n_real=400, error=lambda t: 0.9 * t["error"])
        table = pd.concat([table, extra], ignore_index=True)
    spec = ModelSpec(family=family, likelihood=likelihood,
                     discrepancy="gp" if "gp" in options else "none",
                     noise="size" if "size" in options else "constant",
                     replicates="split" if "split" in options else "independent",
                     pooling="route" if "route" in options else "all",
                     trend="size" if "trend" in options else "none")
    return build_model(make_design(load_curves(table), spec.model_family.layout), spec)


def load(path: str) -> Any:
    """Load any posterior file (the public loader)."""
    from sim2real.models.posterior.storage import load_posterior

    return load_posterior(path)
