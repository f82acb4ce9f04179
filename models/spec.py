"""Frozen specifications: what model to fit (:class:`ModelSpec`) and how (:class:`SamplerConfig`).

Examples
--------
>>> spec = ModelSpec(likelihood="student_t")
>>> spec.validate()
>>> ModelSpec.from_dict(spec.to_dict()) == spec
True
>>> SamplerConfig(draws=200, tune=200, chains=2, seed=1).resolved_target_accept(n_curves=3)
0.99
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from models.errors import SpecError
from models.priors import Prior, resolve_priors

FORMS = ("power_law_floor",)
LIKELIHOODS = ("normal", "student_t")
BACKENDS = ("nutpie", "pymc")


@dataclass(frozen=True)
class ModelSpec:
    """What to fit.

    Attributes
    ----------
    form : str
        Curve form; ``"power_law_floor"``: E(x) = C + A (x / x_ref)^(-alpha), i.e.
        E = C + D x^(-alpha) with log D = log A + alpha log x_ref.
    likelihood : str
        ``"normal"`` or ``"student_t"`` on log error.
    priors : Mapping[str, Prior]
        Overrides of :data:`models.priors.DEFAULT_PRIORS` (only the ones you change).
    """

    form: str = "power_law_floor"
    likelihood: str = "normal"
    priors: Mapping[str, Prior] = field(default_factory=dict)

    def validate(self) -> None:
        """Raise :class:`SpecError` if any field is invalid."""
        if self.form not in FORMS:
            raise SpecError(f"unknown form '{self.form}'. Fix: use one of {list(FORMS)}.")
        if self.likelihood not in LIKELIHOODS:
            raise SpecError(f"unknown likelihood '{self.likelihood}'. Fix: use one of "
                            f"{list(LIKELIHOODS)}.")
        resolve_priors(self.priors)

    def resolved_priors(self) -> dict[str, Prior]:
        """Defaults merged with the overrides, validated."""
        return resolve_priors(self.priors)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored inside saved posteriors)."""
        return {"form": self.form, "likelihood": self.likelihood,
                "priors": {k: v.to_dict() for k, v in self.priors.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSpec:
        """Inverse of :meth:`to_dict`."""
        priors = {k: Prior.from_dict(v) for k, v in dict(data.get("priors", {})).items()}
        return cls(form=str(data.get("form", "power_law_floor")),
                   likelihood=str(data.get("likelihood", "normal")), priors=priors)

    def __hash__(self) -> int:
        return hash((self.form, self.likelihood, tuple(sorted(
            (k, str(v.to_dict())) for k, v in self.priors.items()))))


@dataclass(frozen=True)
class SamplerConfig:
    """How to sample.

    Attributes
    ----------
    draws, tune, chains : int
        NUTS draws and tuning steps per chain, number of chains.
    seed : int
        Random seed (sampling is reproducible for a fixed seed and backend).
    target_accept : float or None
        NUTS target acceptance; ``None`` picks 0.99 below 5 curves, 0.95 below 20, else 0.9
        (few curves leave the population scales weakly identified).
    backend : str
        ``"nutpie"`` (default, fastest) or ``"pymc"`` (PyMC's own NUTS).
    progress : bool
        Show a progress bar while sampling.
    """

    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    seed: int = 20251125
    target_accept: float | None = None
    backend: str = "nutpie"
    progress: bool = False

    def validate(self) -> None:
        """Raise :class:`SpecError` if any option is out of range."""
        for name in ("draws", "tune", "chains"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < (0 if name == "tune" else 1):
                raise SpecError(f"sampler option {name}={value!r} must be a positive integer.")
        if self.target_accept is not None and not 0.5 <= self.target_accept < 1:
            raise SpecError(f"target_accept={self.target_accept} must be in [0.5, 1).")
        if self.backend not in BACKENDS:
            raise SpecError(f"unknown backend '{self.backend}'. Fix: use one of "
                            f"{list(BACKENDS)}.")

    def resolved_target_accept(self, n_curves: int) -> float:
        """The target acceptance actually used for ``n_curves`` curves."""
        if self.target_accept is not None:
            return self.target_accept
        if n_curves < 5:
            return 0.99
        return 0.95 if n_curves < 20 else 0.9

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"draws": self.draws, "tune": self.tune, "chains": self.chains,
                "seed": self.seed, "target_accept": self.target_accept,
                "backend": self.backend}
