"""Adapter used by the golden tests: build the PyMC model of a family on a table.

This is the only place the golden tests touch the model-building API, so a refactor of the
model layer changes this file and nothing else in the golden tests.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

FAMILIES = ("power_law_floor", "power_law", "broken_power_law", "exp_saturation", "edt",
            "additive")
LIKELIHOODS = ("normal", "student_t")


def build(family: str, likelihood: str, table: pd.DataFrame) -> Any:
    """The PyMC model of ``family`` with ``likelihood`` on ``table`` (default priors)."""
    from models.contract import load_curves

    data = load_curves(table)
    if family in ("edt", "additive"):
        from models.surface import SurfaceSpec, build_surface_model, make_surface_design

        return build_surface_model(make_surface_design(data),
                                   SurfaceSpec(form=family, likelihood=likelihood))
    from models.curve_forms import FormSpec, build_form_model
    from models.design import make_design

    return build_form_model(make_design(data), FormSpec(form=family, likelihood=likelihood))


def load(path: str) -> Any:
    """Load any posterior file (the public loader)."""
    from models.storage import load_any_posterior

    return load_any_posterior(path)
