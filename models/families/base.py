"""The one abstraction every learning-curve model is an instance of: :class:`Family`.

A family is a formula plus its parameters:

* ``name`` and ``layout`` (``"curve"``: one learning curve per measured curve, along its
  varying size; ``"surface"``: one surface E(n_sim, n_real) per task, parameters at the task
  and (task, database) levels);
* ``params``: the sampled parameters (:class:`Param`: level, partially pooled or not,
  stored exponentiated under another name) and ``derive``, the deterministic ones built
  from them (e.g. the floor ``log_c`` from ``log_e`` and the floor fraction);
* ``log_error(ops, x, p)``: ``log(E / scale)`` at the scale-free inputs ``x`` (``lx`` for
  curves; ``lm`` and ``u`` for surfaces), written once for NumPy, torch and PyTensor
  through :mod:`models.families.ops`;
* default priors (validated by :meth:`Family.check`), a ``display`` table for summaries and
  optional closed forms along the primary size (``log_floor``, ``log_size_to_reach``).

Families are registered in :mod:`models.families` (``FAMILIES``); nothing downstream
branches on a family's name.

Examples
--------
>>> from sim2real.models.families import get_family
>>> fam = get_family("power_law_floor")
>>> fam.layout, [p.name for p in fam.params]
('curve', ['log_e', 'logit_f', 'log_alpha'])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim2real.models.errors import SpecError
from sim2real.models.families.ops import Ops
from sim2real.models.families.priors import Prior

LAYOUTS = {"curve": ("curve",), "surface": ("task", "pair")}
#: Priors every family has (per noise group; Student-t degrees of freedom).
NOISE_PRIORS: dict[str, Prior] = {"sigma": Prior("HalfNormal", sigma=0.3),
                                  "nu": Prior("Gamma", alpha=2.0, beta=0.1)}


@dataclass(frozen=True)
class Param:
    """A sampled parameter of a family.

    Attributes
    ----------
    name : str
        Variable name (``log_alpha``...).
    level : str
        ``"curve"``, ``"task"`` or ``"pair"`` (the coordinate it has one value per).
    pooled : bool
        Partially pooled, non-centered: ``name = name_mu + name_sigma * name_z``, with priors
        ``name_mu`` and ``name_sigma``; otherwise one prior ``name`` per level entry.
    exp_as : str or None
        Also store ``exp(name)`` under this name (``log_alpha`` -> ``alpha``).
    """

    name: str
    level: str
    pooled: bool = True
    exp_as: str | None = None

    @property
    def prior_names(self) -> tuple[str, ...]:
        """The priors this parameter needs."""
        return (f"{self.name}_mu", f"{self.name}_sigma") if self.pooled else (self.name,)


def no_derived(ops: Ops, p: Mapping[str, Any]) -> dict[str, Any]:
    """A family without deterministic parameters."""
    return {}


Display = Callable[[Mapping[str, np.ndarray], Mapping[str, float]], np.ndarray]


@dataclass(frozen=True)
class Family:
    """A registered model family (see the module docstring).

    ``display`` maps a label to ``(level, f(draws, refs))`` where ``draws`` are the stored
    parameter draws of one level entry and ``refs`` its reference sizes and error scale
    (``x_ref, scale`` for curves; ``m_ref, scale`` per task, plus ``n_ref`` per pair).
    ``log_floor(p)`` is ``log(floor / scale)`` as the primary size (``x``; ``n_real`` from
    scratch for surfaces) grows without bound (``-inf``: no floor);
    ``log_size_to_reach(log_error, p)`` the primary ``log(size / ref)`` at which the error
    reaches ``log_error`` (``inf`` if never). ``log_sim_floor(x, p)`` (surfaces) is
    ``log(floor / scale)`` along a database route, ``n_sim`` growing without bound at the
    inputs ``x`` of the point (its ``lm``).
    """

    name: str
    layout: str
    description: str
    params: tuple[Param, ...]
    uses: tuple[str, ...]
    log_error: Callable[[Ops, Mapping[str, Any], Mapping[str, Any]], Any]
    priors: Mapping[str, Prior]
    derive: Callable[[Ops, Mapping[str, Any]], dict[str, Any]] = no_derived
    derived_levels: Mapping[str, str] = field(default_factory=dict)
    display: Mapping[str, tuple[str, Display]] = field(default_factory=dict)
    log_floor: Callable[[Mapping[str, np.ndarray]], np.ndarray] | None = None
    log_size_to_reach: Callable[[np.ndarray, Mapping[str, np.ndarray]], np.ndarray] | None = None
    log_sim_floor: Callable[[Mapping[str, Any], Mapping[str, np.ndarray]], np.ndarray] | None = None

    def __post_init__(self) -> None:
        self.check()

    # ------------------------------------------------------------------ checks
    def check(self) -> None:
        """Raise :class:`SpecError` if the family is inconsistent (run at registration)."""
        if self.layout not in LAYOUTS:
            raise SpecError(f"family '{self.name}': unknown layout '{self.layout}'.")
        levels = LAYOUTS[self.layout]
        for p in self.params:
            if p.level not in levels:
                raise SpecError(f"family '{self.name}': parameter '{p.name}' has level "
                                f"'{p.level}', not one of {levels}.")
        needed = {n for p in self.params for n in p.prior_names} | set(NOISE_PRIORS)
        if set(self.priors) != needed:
            raise SpecError(f"family '{self.name}': default priors {sorted(self.priors)} do "
                            f"not match its parameters {sorted(needed)}.")
        known = set(self.levels_of())
        missing = [u for u in self.uses if u not in known]
        if missing:
            raise SpecError(f"family '{self.name}': formula uses unknown {missing}.")

    def levels_of(self) -> dict[str, str]:
        """Level of every stored parameter (sampled, exponentiated and derived)."""
        out = {p.name: p.level for p in self.params}
        out.update({p.exp_as: p.level for p in self.params if p.exp_as})
        out.update(self.derived_levels)
        return out

    @property
    def pooled(self) -> tuple[str, ...]:
        """Names of the partially pooled parameters."""
        return tuple(p.name for p in self.params if p.pooled)

    def diagnostic_vars(self, names: Any) -> list[str]:
        """Variables whose R-hat / ESS are checked, among ``names`` (present in a posterior).

        The formula's parameters, the unpooled sampled ones, every population mean and
        scale, the noise and ``nu``: the same list at fit time and on reload.
        """
        want = [*self.uses, *(p.name for p in self.params if not p.pooled),
                *(n for p in self.params if p.pooled for n in p.prior_names),
                *(f"{p.name}_trend" for p in self.params if p.pooled), "sigma", "nu",
                "disc_sigma", "sigma_slope", "sigma_slope_mu", "sigma_slope_sigma", "split_sigma"]
        seen: list[str] = []
        for n in want:
            if n in names and n not in seen:
                seen.append(n)
        return seen
