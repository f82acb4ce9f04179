"""Frozen specifications: what model to fit (:class:`ModelSpec`) and how (:class:`SamplerConfig`).

One spec for every model: its ``family`` field (a name in :data:`models.families.FAMILIES`)
chooses the variant; nothing else does.

Examples
--------
>>> spec = ModelSpec(likelihood="student_t")
>>> spec.validate()
>>> ModelSpec.from_dict(spec.to_dict()) == spec
True
>>> ModelSpec.from_dict({"form": "edt"}).family          # files written by release 0.1
'edt'
>>> SamplerConfig(draws=200, tune=200, chains=2, seed=1).resolved_target_accept(n_curves=3)
0.99
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sim2real.models.errors import SpecError
from sim2real.models.families import AUTO, DEFAULT_FAMILY, Family, get_family, resolve_family
from sim2real.models.families import discrepancy as disc
from sim2real.models.families import noise as noise_mod
from sim2real.models.families import replicates as rep
from sim2real.models.families import trend as trend_mod
from sim2real.models.families.priors import Prior, resolve_priors

LIKELIHOODS = ("normal", "student_t")
POOLINGS = ("auto", "all", "route")
BACKENDS = ("nutpie", "pymc")


@dataclass(frozen=True)
class ModelSpec:
    """What to fit.

    Attributes
    ----------
    family : str
        Model family (:data:`models.families.FAMILIES`); default ``"power_law_floor"``,
        E = C + D x^(-alpha). ``"auto"``: the planning model the data supports (the joint
        surface E(n_sim, n_real) where a transfer route has more than one ``n_real``
        level, else the default curve family), chosen by :meth:`resolve`.
    likelihood : str
        ``"normal"`` or ``"student_t"`` on log error.
    priors : Mapping[str, Prior]
        Overrides of the family's default priors (only the ones you change; the
        discrepancy scale is ``disc_sigma``).
    discrepancy : str
        Model discrepancy (:mod:`models.families.discrepancy`): ``"gp"`` a pooled-scale
        Gaussian-process deviation from the form along log size, so predictive intervals
        widen with extrapolation distance (curve families only); ``"none"`` the bare form;
        ``"auto"`` (default) ``gp`` on curve families and ``none`` on surfaces. Files
        written before the discrepancy existed read as ``"none"``.
    discrepancy_length : float
        Correlation length of the kernel in natural-log size units.
    noise : str
        Replicate noise (:mod:`models.families.noise`): ``"size"`` log sigma linear in log
        size with partially pooled slopes; ``"constant"`` one sigma per noise group;
        ``"auto"`` (default) ``size``. Files written before the option read as
        ``"constant"``.
    replicates : str
        Replicate structure (:mod:`models.families.replicates`): ``"split"`` runs of one
        (task, seed) share an offset (they share the seed's test split); ``"independent"``
        replicates are independent given the curve; ``"auto"`` (default) ``split``. Files
        written before the option read as ``"independent"``.
    pooling : str
        Populations of the pooled curve parameters: ``"route"`` one per route (scratch
        curves, and the transfer curves of each source), each with the family's default
        hyperpriors; ``"all"`` one population for every curve; ``"auto"`` (default)
        ``route`` on curve families (surfaces: ``all``, they separate the routes by
        level already). Files written before the option read as ``"all"``.
    trend : str
        Population trend (:mod:`models.families.trend`): ``"size"`` the population mean of
        every pooled curve parameter is linear in the log of the curve's fixed size (a
        transfer curve's ``n_real``; curve families only, opt-in); ``"none"`` (default) a
        constant mean. Files written before the option read as ``"none"``.
    """

    family: str = DEFAULT_FAMILY
    likelihood: str = "normal"
    priors: Mapping[str, Prior] = field(default_factory=dict)
    discrepancy: str = "auto"
    discrepancy_length: float = disc.DEFAULT_LENGTH
    noise: str = "auto"
    replicates: str = "auto"
    pooling: str = "auto"
    trend: str = "none"

    @property
    def resolved_trend(self) -> str:
        """``"size"`` or ``"none"``: the population trend the model is built with."""
        if self.trend == "size" and self.family != AUTO \
                and self.model_family.layout == "curve":
            return "size"
        return "none"

    @property
    def resolved_pooling(self) -> str:
        """``"route"`` or ``"all"``: the populations the curve parameters are pooled in."""
        if self.pooling in ("route", "auto") and self.family != AUTO \
                and self.model_family.layout == "curve":
            return "route"
        return "all"

    @property
    def resolved_replicates(self) -> str:
        """``"split"`` or ``"independent"``: the replicate structure of the model."""
        return rep.resolve(self.replicates)

    @property
    def resolved_noise(self) -> str:
        """``"size"`` or ``"constant"``: the noise model the fit is built with."""
        return noise_mod.resolve(self.noise)

    @property
    def resolved_discrepancy(self) -> str:
        """``"gp"`` or ``"none"``: the discrepancy the model is built with (``"auto"``
        while the family itself is still ``"auto"``)."""
        if self.discrepancy != "auto":
            return self.discrepancy
        if self.family == AUTO:
            return "auto"
        return "gp" if self.model_family.layout == "curve" else "none"

    @property
    def model_family(self) -> Family:
        """The :class:`~models.families.base.Family` object of :attr:`family`."""
        return get_family(self.family)

    def resolve(self, data: Any) -> ModelSpec:
        """This spec with ``family="auto"`` replaced by the family ``data`` supports
        (:func:`models.families.resolve_family`); unchanged otherwise."""
        if self.family != AUTO:
            return self
        return replace(self, family=resolve_family(AUTO, data))

    def validate(self) -> None:
        """Raise :class:`SpecError` if any field is invalid (``family="auto"``: the
        priors are checked once :meth:`resolve` has chosen the family)."""
        for name, kinds in (("discrepancy", disc.KINDS), ("noise", noise_mod.KINDS),
                            ("replicates", rep.KINDS), ("pooling", POOLINGS),
                            ("trend", trend_mod.KINDS),
                            ("likelihood", LIKELIHOODS)):
            if getattr(self, name) not in kinds:
                raise SpecError(f"unknown {name} '{getattr(self, name)}'. Fix: use one of "
                                f"{list(kinds)}.")
        if not self.discrepancy_length > 0:
            raise SpecError(f"discrepancy_length = {self.discrepancy_length} must be > 0. "
                            "Fix: a length in natural-log size units, e.g. 2.")
        if self.family == AUTO:
            return
        if get_family(self.family).layout != "curve" and self.discrepancy == "gp":
            raise SpecError(f"family '{self.family}' is a surface; the 'gp' discrepancy is "
                            "available on curve families only. Fix: discrepancy='auto' or "
                            "'none', or a curve family.")
        self.resolved_priors()

    def resolved_priors(self) -> dict[str, Prior]:
        """The family's defaults merged with the overrides, validated."""
        defaults = dict(self.model_family.priors)
        if self.resolved_discrepancy == "gp":
            defaults.update(disc.PRIORS)
        if self.resolved_noise == "size":
            defaults.update(noise_mod.PRIORS)
        if self.resolved_replicates == "split":
            defaults.update(rep.PRIORS)
        if self.resolved_trend == "size":
            defaults.update(trend_mod.priors_for(self.model_family.pooled))
        return resolve_priors(self.priors, defaults, f"family '{self.family}'")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored inside saved posteriors)."""
        return {"family": self.family, "likelihood": self.likelihood,
                "priors": {k: v.to_dict() for k, v in self.priors.items()},
                "discrepancy": self.discrepancy,
                "discrepancy_length": self.discrepancy_length, "noise": self.noise,
                "replicates": self.replicates, "pooling": self.pooling, "trend": self.trend}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSpec:
        """Inverse of :meth:`to_dict` (also reads release-0.1 specs, which said ``form``)."""
        priors = {k: Prior.from_dict(v) for k, v in dict(data.get("priors", {})).items()}
        family = data.get("family", data.get("form", DEFAULT_FAMILY))
        return cls(family=str(family), likelihood=str(data.get("likelihood", "normal")),
                   priors=priors, discrepancy=str(data.get("discrepancy", "none")),
                   discrepancy_length=float(data.get("discrepancy_length",
                                                     disc.DEFAULT_LENGTH)),
                   noise=str(data.get("noise", "constant")),
                   replicates=str(data.get("replicates", "independent")),
                   pooling=str(data.get("pooling", "all")),
                   trend=str(data.get("trend", "none")))

    def __hash__(self) -> int:
        return hash((self.family, self.likelihood, self.discrepancy,
                     self.discrepancy_length, self.noise, self.replicates, self.pooling,
                     self.trend,
                     tuple(sorted(
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
        (few curves leave the population scales weakly identified). Under route pooling
        the count is that of the smallest population (``fit.sampler_population_size``).
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
            raise SpecError(f"target_accept={self.target_accept} must be in [0.5, 1). "
                            "Fix: pass e.g. --target-accept 0.95 (raise it towards 0.99 "
                            "on divergences).")
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
