"""Result objects returned by the optimizer and the baselines (pure data, JSON-ready).

Examples
--------
>>> r = PlanResult(
...     objective="expected_error", allocation={"mp": 1000, "real:gap": 10},
...     total_cost=1100.0, budget=1200.0,
...     expected_error={"gap": ErrorSummary(mean=0.4, q05=0.3, q50=0.4, q95=0.5)},
...     p_target={"gap": 0.8}, targets={"gap": 0.45},
... )
>>> r.to_dict()["allocation"]["mp"]
1000
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ErrorSummary:
    """Posterior summary of one task's expected error after a batch."""

    mean: float
    q05: float
    q50: float
    q95: float


@dataclass(frozen=True)
class PlanResult:
    """A recommended batch (or one round of a multi-round plan) and what it buys.

    Attributes
    ----------
    objective : str
        Name of the objective that was optimized (or of the baseline strategy).
    allocation : dict[str, int]
        Source name (as given to ``--cost``) -> integer number of new samples.
    total_cost : float
        Cost of ``allocation``; never above ``budget``.
    budget : float
        Total budget the batch had to respect.
    expected_error : dict[str, ErrorSummary]
        Per task, posterior summary of the expected error after the batch.
    p_target : dict[str, float]
        Per task, posterior probability that the error after the batch is <= target.
    targets : dict[str, float]
        Per task target error (tasks without a target are absent).
    rounds : list[dict[str, int]]
        For multi-round plans, the allocation of every round (first = ``allocation``).
    provenance : dict[str, Any]
        Settings and the posterior the plan came from (file, hash, seed, draws...).
    current_error : dict[str, ErrorSummary]
        Per task, posterior summary of the error at the current operating point.
    utility : float | None
        Exact value of the objective's utility at ``allocation`` (higher is better).
    """

    objective: str
    allocation: dict[str, int]
    total_cost: float
    budget: float
    expected_error: dict[str, ErrorSummary]
    p_target: dict[str, float]
    targets: dict[str, float] = field(default_factory=dict)
    rounds: list[dict[str, int]] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    current_error: dict[str, ErrorSummary] = field(default_factory=dict)
    utility: float | None = None

    @property
    def p_all_targets(self) -> float | None:
        """P(every task meets its target) if stored in provenance, else ``None``."""
        value = self.provenance.get("p_all_targets")
        return None if value is None else float(value)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (the ``plan.json`` layout)."""
        return asdict(self)
