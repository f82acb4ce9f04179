"""The report's records: frozen, JSON-ready dataclasses of every section, and
:func:`to_jsonable`.

Shared by :mod:`planner.report.content` (which builds them) and
:mod:`planner.report.decision` (section 1), so neither imports the other's module for its
types. :meth:`ReportContent.to_dict` is report.json (schema
``planner/report/report_schema.json``).

Examples
--------
>>> q = Quantiles(q05=1.0, q50=2.0, q95=float("inf"))
>>> to_jsonable(q)
{'q05': 1.0, 'q50': 2.0, 'q95': None}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

import numpy as np

from sim2real.planner.report.checks import LooSummary, PpcSummary
from sim2real.planner.report.studies import StudyPoint

SCHEMA_VERSION = "1.2"


@dataclass(frozen=True)
class Quantiles:
    """5/50/95% posterior quantiles (``inf`` allowed: never / nothing transfers)."""

    q05: float
    q50: float
    q95: float


@dataclass(frozen=True)
class BatchLine:
    """One source of the recommended batch."""

    source: str
    kind: str
    count: int
    unit_cost: float
    cost: float


@dataclass(frozen=True)
class TaskOutcome:
    """A task's error now and after the batch (``mean``, ``q05``, ``q50``, ``q95``)."""

    task: str
    metric: str
    target: float | None
    current: dict[str, float]
    after: dict[str, float]
    p_target: float | None
    p_target_expected: float | None = None
    probability_of: str = "expected"


@dataclass(frozen=True)
class Decision:
    """Section 1: what to buy, what it buys and how sure we are."""

    objective: str
    required_probability: float | None
    budget: float
    total_cost: float
    batch: tuple[BatchLine, ...]
    tasks: tuple[TaskOutcome, ...]
    p_all_targets: float | None
    rounds: tuple[dict[str, int], ...]
    exchange: ExchangeHeadline | None
    exchange_sentence: str
    warnings: tuple[str, ...]
    next_measurement: str | None = None
    schedule: dict[str, Any] | None = None


@dataclass(frozen=True)
class ExchangeHeadline:
    """The exchange rate quoted in the decision summary (marginal, at the current size)."""

    task: str
    sim_source: str
    n_sim: float
    rate: Quantiles
    price_ratio: float | None
    verdict: str


@dataclass(frozen=True)
class CurveBand:
    """Section 2: one measured curve, its replicates and posterior bands on a size grid."""

    curve_id: str
    task: str
    sim_source: str
    axis: str
    fixed: float
    metric: str
    planner_curve: bool
    measured_max: float
    planned_size: float | None
    sizes: tuple[float, ...]
    errors: tuple[float, ...]
    grid: tuple[float, ...]
    mean: tuple[float, ...]
    q05: tuple[float, ...]
    q25: tuple[float, ...]
    q75: tuple[float, ...]
    q95: tuple[float, ...]


@dataclass(frozen=True)
class RequiredSize:
    """Section 3: size on one route to reach the task's target."""

    task: str
    route: str
    axis: str
    target: float
    current_size: float
    p_unreachable: float
    size: Quantiles
    additional_q50: float
    note: str


@dataclass(frozen=True)
class ExchangeRate:
    """Section 4: exchange rates of one database at one size."""

    task: str
    sim_source: str
    n_sim: float
    n_real: float
    current: bool
    m_eq: Quantiles
    average_rate: Quantiles
    marginal_rate: Quantiles
    marginal_method: str
    extrapolation: Quantiles | None = None
    p_no_transfer: float = 0.0
    p_m_eq_infinite: float = 0.0
    extrapolated: bool = False


@dataclass(frozen=True)
class FlipRecord:
    """Price flip point of one (experiment, database) pair (plan.json ``flip_points``):
    the experiment price, in simulations, where the batch switches from experiments to
    simulations, and the 90% interval of the marginal rate there."""

    experiment: str
    database: str
    ratio: float | None
    below: str
    above: str
    rate: Quantiles
    current_ratio: float
    note: str = ""


#: What the prior-sensitivity section says for a model that is not a fitted Posterior.
PRIOR_SENSITIVITY_UNAVAILABLE = ("Not available for this model: the prior sensitivity "
                                 "needs a fitted Posterior (its priors and draws).")


@dataclass(frozen=True)
class PriorAlternativeCheck:
    """Section 7: one alternative prior set and how well the draws represent it.

    ``priors``: the changed priors (``name=Distribution(...)``, ``; ``-separated; empty when
    none applies to the model); ``khat``: Pareto k-hat of its importance weights (``None``:
    no reweighting needed); ``reliable``: k-hat <= 0.7 (else refit with ``refit``).
    """

    name: str
    description: str
    priors: str
    applicable: bool
    khat: float | None
    ess: float
    reliable: bool
    refit: str


@dataclass(frozen=True)
class PriorSensitivityRow:
    """Section 7: one decision quantity of one task under one alternative.

    ``quantity``: ``expected_error`` (median, 90% interval), ``p_expected`` or ``p_run``
    (probabilities of meeting the target), ``label`` its wording; ``value``/``lo``/``hi``
    under the alternative (``None`` when it is unreliable); ``threshold``: the change that
    moves a probability.
    """

    alternative: str
    task: str
    quantity: str
    label: str
    target: float | None
    default: float
    default_lo: float | None
    default_hi: float | None
    value: float | None
    lo: float | None
    hi: float | None
    change: float | None
    threshold: float | None
    moves: bool


@dataclass(frozen=True)
class PriorSensitivity:
    """Section 7: the recommended batch's decision quantities under alternative priors."""

    available: bool
    note: str
    alternatives: tuple[PriorAlternativeCheck, ...] = ()
    rows: tuple[PriorSensitivityRow, ...] = ()
    warning: str = ""

    @property
    def moved(self) -> tuple[PriorSensitivityRow, ...]:
        """The rows whose quantity moves."""
        return tuple(r for r in self.rows if r.moves)


@dataclass(frozen=True)
class DiagnosticsContent:
    """Section 8: MCMC diagnostics, PSIS-LOO, posterior predictive check, comparison."""

    mcmc: dict[str, Any]
    loo: LooSummary | None
    ppc: PpcSummary | None
    comparison: tuple[dict[str, Any], ...] | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return not self.problems


@dataclass(frozen=True)
class DataSummary:
    """Section 9: the input data."""

    origin: str
    n_rows: int
    tasks: tuple[str, ...]
    metrics: dict[str, str]
    curves: tuple[dict[str, Any], ...]
    #: population label -> the curves (or tasks) whose pooled parameters share it
    pooled: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Reproducibility:
    """Section 9: versions, seeds and the command line."""

    command: str
    created: str
    versions: dict[str, str]
    sampler: dict[str, Any]
    optimizer_seed: int
    posterior: str
    posterior_sha256: str


@dataclass(frozen=True)
class ReportContent:
    """Everything the report shows, in section order."""

    title: str
    decision: Decision
    curves: tuple[CurveBand, ...]
    required_sizes: tuple[RequiredSize, ...]
    exchange: tuple[ExchangeRate, ...]
    frontier: tuple[StudyPoint, ...]
    frontier_objective: str
    sensitivity: tuple[StudyPoint, ...]
    diagnostics: DiagnosticsContent
    data: DataSummary
    assumptions: tuple[str, ...]
    reproducibility: Reproducibility
    flips: tuple[FlipRecord, ...] = ()
    prior_sensitivity: PriorSensitivity = field(
        default_factory=lambda: PriorSensitivity(False, PRIOR_SENSITIVITY_UNAVAILABLE))
    schema_version: str = SCHEMA_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tasks(self) -> tuple[str, ...]:
        """Tasks of the report (decision order)."""
        return tuple(t.task for t in self.decision.tasks)

    @property
    def red_flags(self) -> tuple[str, ...]:
        """Every failed check and decision warning, and the prior-sensitivity warning
        (shown at the top of the report)."""
        prior = (self.prior_sensitivity.warning,) if self.prior_sensitivity.warning else ()
        return (*self.diagnostics.problems, *self.decision.warnings, *prior)

    def to_dict(self) -> dict[str, Any]:
        """report.json: JSON-ready (non-finite numbers become ``null``)."""
        out = to_jsonable(self)
        out["red_flags"] = list(self.red_flags)
        out["diagnostics"]["ok"] = self.diagnostics.ok
        return out


def to_jsonable(obj: Any) -> Any:
    """Dataclasses, mappings, sequences and NumPy scalars -> JSON types (inf/NaN -> None)."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return float(obj) if math.isfinite(float(obj)) else None
    return obj


def quantiles(row: Mapping[str, Any], prefix: str) -> Quantiles:
    """:class:`Quantiles` from ``prefix_q05/q50/q95`` entries of a table row."""
    return Quantiles(*(float(row[f"{prefix}_q{q}"]) for q in ("05", "50", "95")))
