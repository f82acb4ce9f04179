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

from models.errors import SpecError
from models.families import (
    additive,
    broken_power_law,
    edt,
    edt_negative,
    exp_saturation,
    onset_power_law,
    power_law,
    power_law_floor,
)
from models.families.base import Family, Param

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


__all__ = ["CURVE_FAMILIES", "DEFAULT_FAMILY", "FAMILIES", "SURFACE_FAMILIES", "Family",
           "Param", "get_family"]
