"""Declarative priors: small validated objects with defaults users can override.

A :class:`Prior` names a PyMC distribution and its parameters. It is checked when the model
is built (unknown distribution, missing or extra parameter, non-positive scale, a real-line
prior where a positive one is required) and turned into a PyMC variable only then.

Examples
--------
>>> p = Prior("Normal", mu=-1.0, sigma=0.5)
>>> p.validate("log_alpha_mu")
>>> p.to_dict()
{'distribution': 'Normal', 'mu': -1.0, 'sigma': 0.5}
>>> Prior.from_dict({"distribution": "HalfNormal", "sigma": 0.3}).params
{'sigma': 0.3}
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sim2real.models.errors import SpecError

# distribution -> (required parameters, parameters that must be > 0, positive support?)
_DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...], bool]] = {
    "Normal": (("mu", "sigma"), ("sigma",), False),
    "StudentT": (("nu", "mu", "sigma"), ("nu", "sigma"), False),
    "HalfNormal": (("sigma",), ("sigma",), True),
    "HalfCauchy": (("beta",), ("beta",), True),
    "HalfStudentT": (("nu", "sigma"), ("nu", "sigma"), True),
    "Exponential": (("lam",), ("lam",), True),
    "Gamma": (("alpha", "beta"), ("alpha", "beta"), True),
    "LogNormal": (("mu", "sigma"), ("sigma",), True),
}


@dataclass(frozen=True, init=False)
class Prior:
    """A prior distribution by PyMC name and keyword parameters.

    Parameters
    ----------
    distribution : str
        One of ``Normal, StudentT, HalfNormal, HalfCauchy, HalfStudentT, Exponential, Gamma,
        LogNormal``.
    **params : float
        The distribution's parameters, e.g. ``mu=0, sigma=1``.
    """

    distribution: str
    params: dict[str, float] = field(default_factory=dict)

    def __init__(self, distribution: str, **params: float) -> None:
        object.__setattr__(self, "distribution", distribution)
        object.__setattr__(self, "params", dict(params))

    @property
    def positive(self) -> bool:
        """Whether the distribution's support is the positive half-line."""
        return _DISTRIBUTIONS.get(self.distribution, ((), (), False))[2]

    def validate(self, name: str, *, positive: bool = False) -> None:
        """Check the prior; raise :class:`SpecError` naming ``name`` and the fix."""
        if self.distribution not in _DISTRIBUTIONS:
            raise SpecError(f"prior '{name}': unknown distribution '{self.distribution}'. "
                            f"Fix: use one of {sorted(_DISTRIBUTIONS)}.")
        required, must_be_positive, _ = _DISTRIBUTIONS[self.distribution]
        missing = [p for p in required if p not in self.params]
        extra = [p for p in self.params if p not in required]
        if missing or extra:
            raise SpecError(f"prior '{name}': {self.distribution} takes parameters "
                            f"{list(required)}; missing {missing}, unexpected {extra}. "
                            f"Fix: write {self.distribution}("
                            f"{', '.join(p + '=...' for p in required)}).")
        for key, value in self.params.items():
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise SpecError(f"prior '{name}': parameter {key}={value!r} must be a finite "
                                f"number. Fix: write a plain number, e.g. {key}=1.")
            if key in must_be_positive and value <= 0:
                raise SpecError(f"prior '{name}': parameter {key}={value} must be > 0. "
                                f"Fix: give a positive {key}, e.g. {key}=1.")
        if positive and not self.positive:
            raise SpecError(f"prior '{name}' is a scale and needs a positive distribution; "
                            f"got {self.distribution}. Fix: use HalfNormal, Exponential, "
                            "Gamma, LogNormal, HalfCauchy or HalfStudentT.")

    def create(self, name: str, dims: str | tuple[str, ...] | None = None) -> Any:
        """Create the PyMC random variable (inside a model context)."""
        import pymc as pm

        return getattr(pm, self.distribution)(name, dims=dims, **self.params)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON / TOML friendly)."""
        return {"distribution": self.distribution, **self.params}

    @classmethod
    def parse(cls, text: str) -> Prior:
        """A prior from its call form, e.g. ``"Normal(mu=-2, sigma=1)"`` (command line).

        Examples
        --------
        >>> Prior.parse("HalfNormal(sigma=0.5)")
        Prior(distribution='HalfNormal', params={'sigma': 0.5})
        """
        match = re.fullmatch(r"\s*([A-Za-z]+)\s*\((.*)\)\s*", text)
        usage = "Fix: write it as Distribution(name=value, ...), e.g. Normal(mu=-2, sigma=1)."
        if match is None:
            raise SpecError(f"prior '{text}' is not of the form Distribution(...). {usage}")
        params: dict[str, float] = {}
        for item in filter(None, (part.strip() for part in match.group(2).split(","))):
            key, sep, value = (x.strip() for x in item.partition("="))
            if not (sep and key.isidentifier() and _is_number(value)):
                raise SpecError(f"prior '{text}': cannot read '{item}'. {usage}")
            params[key] = float(value)
        return cls(match.group(1), **params)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Prior:
        """Inverse of :meth:`to_dict`."""
        if "distribution" not in data:
            raise SpecError(f"prior {dict(data)!r}: missing 'distribution'.")
        params = {k: float(v) for k, v in data.items() if k != "distribution"}
        return cls(str(data["distribution"]), **params)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


#: Names whose prior must have positive support.
POSITIVE_PRIORS = frozenset({"logit_f_sigma", "log_alpha_sigma", "sigma", "nu"})


def resolve_priors(overrides: Mapping[str, Prior] | None,
                   defaults: Mapping[str, Prior],
                   what: str = "the model") -> dict[str, Prior]:
    """Merge user overrides into the defaults and validate every prior.

    Parameters
    ----------
    overrides : Mapping[str, Prior], optional
        User priors by name; each name must be one of ``defaults``.
    defaults : Mapping[str, Prior]
        The model family's default priors (:attr:`models.families.base.Family.priors`).
    what : str
        Model name used in error messages.

    Examples
    --------
    >>> base = {"sigma": Prior("HalfNormal", sigma=0.3)}
    >>> p = resolve_priors({"sigma": Prior("HalfNormal", sigma=0.1)}, base)
    >>> p["sigma"].params["sigma"]
    0.1
    >>> resolve_priors({"beta": Prior("Normal", mu=0.0, sigma=1.0)}, base, "the power law")
    Traceback (most recent call last):
    ...
    sim2real.models.errors.SpecError: unknown prior 'beta' for the power law. Fix: use one of ...
    """
    base = defaults
    merged = dict(base)
    for name, prior in (overrides or {}).items():
        if name not in base:
            raise SpecError(f"unknown prior '{name}' for {what}. Fix: use one of "
                            f"{sorted(base)}.")
        if not isinstance(prior, Prior):
            raise SpecError(f"prior '{name}' must be a Prior, got {type(prior).__name__}.")
        merged[name] = prior
    for name, prior in merged.items():
        prior.validate(name, positive=name in POSITIVE_PRIORS or name.endswith("_sigma"))
    return merged
