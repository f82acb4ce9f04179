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

from collections.abc import Mapping
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
        Per task, probability that the error after the batch is <= target: of a training
        run at the bought sizes when ``probability_of == "run"`` (expected error times
        the model's run-to-run noise), of the expected error when ``"expected"``.
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
    p_target_expected : dict[str, float]
        Per task, posterior probability that the *expected* error is <= target (equal to
        ``p_target`` when ``probability_of == "expected"``).
    probability_of : str
        What ``p_target`` (and the optimized objective) is a probability of: ``"run"``
        or ``"expected"`` (also ``"expected"`` for models without a noise model).
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
    p_target_expected: dict[str, float] = field(default_factory=dict)
    probability_of: str = "expected"

    @property
    def p_all_targets(self) -> float | None:
        """P(every task meets its target) if stored in provenance, else ``None``."""
        value = self.provenance.get("p_all_targets")
        return None if value is None else float(value)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (the ``plan.json`` layout)."""
        return asdict(self)

    def to_frame(self, costs: Mapping[str, float] | None = None) -> Any:
        """The batch as a pandas DataFrame, one row per source.

        Columns: ``source``, ``count`` (new samples), ``unit_cost``, ``cost`` (count x
        unit cost, plus a set-up cost paid), ``share`` (of the batch's total cost).
        Unit costs come from ``costs`` or the settings in ``provenance`` (as
        :func:`planner.api.plan` stores them); ``NaN`` when unknown.

        Examples
        --------
        >>> r = PlanResult("expected_error", {"mp": 1000, "real:gap": 10}, 3000.0, 5000.0,
        ...                {}, {})
        >>> r.to_frame({"mp": 1.0, "real:gap": 200.0})["cost"].tolist()
        [1000.0, 2000.0]
        """
        import pandas as pd

        prices = dict(costs or self.provenance.get("settings", {}).get("costs", {}))
        setup = self.provenance.get("setup_paid", {})
        rows = [{"source": name, "count": int(n),
                 "unit_cost": float(prices.get(name, float("nan"))),
                 "cost": n * float(prices.get(name, float("nan"))) + setup.get(name, 0.0)}
                for name, n in self.allocation.items()]
        frame = pd.DataFrame(rows, columns=["source", "count", "unit_cost", "cost"])
        total = frame["cost"].sum()
        frame["share"] = frame["cost"] / total if total > 0 else 0.0
        return frame

    def plot(self) -> Any:
        """A matplotlib Figure of the batch and the error it buys (see
        :func:`planner.plots.plan_figure`)."""
        from sim2real.planner.plots import plan_figure

        return plan_figure(self)
