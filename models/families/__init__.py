"""The registry of model families: every curve form and surface is one :class:`Family`.

============================  =======  ===========================================
name                          layout   formula
============================  =======  ===========================================
``power_law_floor`` (default) curve    ``E = C + D x^-alpha``
``power_law``                 curve    ``E = D x^-alpha``
``broken_power_law``          curve    ``C + D x^-alpha`` bending to ``alpha2`` at ``x_b``
``exp_saturation``            curve    ``E = C + D exp(-(x / x_s)^gamma)``
``onset_power_law``           curve    ``E = C + D (1 + x / x0)^-alpha``
``edt``                       surface  ``E = C + A (m + T(n, m))^-beta``
``edt_negative``              surface  EDT times a negative-transfer bump at small n_sim
``additive``                  surface  ``E = C + A m^-beta + G (1 + n/n0)^-alpha``
============================  =======  ===========================================

Examples
--------
>>> sorted(FAMILIES) == sorted(CURVE_FAMILIES + SURFACE_FAMILIES)
True
>>> get_family("edt").layout
'surface'
"""

from __future__ import annotations

from sim2real.models.data.contract import NO_SOURCE, CurveData
from sim2real.models.data.design import check_surface_support
from sim2real.models.errors import InputDataError, SpecError
from sim2real.models.families import (
    additive,
    broken_power_law,
    edt,
    edt_negative,
    exp_saturation,
    onset_power_law,
    power_law,
    power_law_floor,
)
from sim2real.models.families.base import Family, Param

FAMILIES: dict[str, Family] = {m.FAMILY.name: m.FAMILY for m in (
    power_law_floor, power_law, broken_power_law, exp_saturation, onset_power_law, edt,
    edt_negative, additive)}
DEFAULT_FAMILY = "power_law_floor"
#: Single-axis families (one curve per measured curve) and two-axis surfaces.
CURVE_FAMILIES = tuple(n for n, f in FAMILIES.items() if f.layout == "curve")
SURFACE_FAMILIES = tuple(n for n, f in FAMILIES.items() if f.layout == "surface")


def get_family(name: str) -> Family:
    """The registered family ``name``; :class:`SpecError` with the choices otherwise."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise SpecError(f"unknown model family '{name}'. Fix: use one of "
                        f"{list(FAMILIES)}.") from None


__all__ = ["AUTO", "CURVE_FAMILIES", "DEFAULT_FAMILY", "FAMILIES", "JOINT_FAMILY",
           "SURFACE_FAMILIES", "Family", "Param", "get_family", "resolve_family"]


#: ``family="auto"``: the joint surface where the data has an n_sim x n_real grid.
AUTO = "auto"
JOINT_FAMILY = "edt_negative"


def resolve_family(name: str, data: CurveData) -> str:
    """``name``, or for ``"auto"`` the planning model the data supports.

    ``auto`` picks the joint surface :data:`JOINT_FAMILY` (one model of E(n_sim, n_real) per
    task, so experiments improve every route that fine-tunes on them) when every task has a
    transfer route measured at more than one ``n_real`` level and the table supports a
    surface; otherwise the single-axis default :data:`DEFAULT_FAMILY`.

    Examples
    --------
    >>> import pandas as pd
    >>> from sim2real.models.data.contract import load_curves
    >>> df = pd.DataFrame({"task": "t", "sim_source": "none", "n_sim": 0,
    ...                    "n_real": [10, 100, 1000], "seed": 0, "error": [2.0, 1.0, 0.5],
    ...                    "metric": "MAE"})
    >>> resolve_family("auto", load_curves(df))
    'power_law_floor'
    """
    if name != AUTO:
        get_family(name)
        return name
    t = data.table
    transfer = t[t["sim_source"] != NO_SOURCE]
    levels = transfer.groupby(["task", "sim_source"])["n_real"].nunique()
    tasks_with_grid = {task for (task, _), n in levels.items() if n > 1}
    if transfer.empty or tasks_with_grid != set(t["task"]):
        return DEFAULT_FAMILY
    try:
        check_surface_support(data, sorted(set(t["task"])),
                              sorted({(a, b) for a, b in levels.index}))
    except InputDataError:
        return DEFAULT_FAMILY
    return JOINT_FAMILY
