"""Frozen specification of a planning problem: sources, budget, targets, operating point.

Sources are the acquisition channels of the next batch: a computational database by its
``sim_source`` name (shared by every task that pre-trains on it) or real experiments of one
task, named ``real:<task>``.

Examples
--------
>>> op = OperatingPoint(n_sim={("gap", "mp"): 1000}, curve_n_real={("gap", "mp"): 50},
...                     n_real={"gap": 50})
>>> prob = PlanProblem(sources=(Source("mp", 1.0), Source("real:gap", 100.0)),
...                    budget=1000.0, targets={"gap": 0.3}, operating=op)
>>> prob.tasks
('gap',)
>>> prob.source("real:gap").task
'gap'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from sim2real.models.errors import InputDataError, PlanningError

NO_SOURCE = "none"
REAL_PREFIX = "real:"


@dataclass(frozen=True)
class Source:
    """One acquisition source with its price and bounds on the number of new samples.

    Attributes
    ----------
    name : str
        ``sim_source`` name, or ``real:<task>`` for experiments of a task.
    cost : float
        Cost of one sample (> 0).
    min, max : int | None
        Bounds on the number of new samples in the batch (``min`` defaults to 0).
    granularity : int
        Samples are bought in multiples of this (>= 1).
    budget : float | None
        Optional cap on the money spent on this source (set-up cost included).
    setup : float
        Fixed cost paid once when the batch buys any sample of this source (>= 0; a
        licence, an instrument set-up, a new simulation workflow). A source with
        ``min > 0`` is always bought, so its set-up cost is always paid.
    """

    name: str
    cost: float
    min: int = 0
    max: int | None = None
    granularity: int = 1
    budget: float | None = None
    setup: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.cost) and self.cost > 0):
            raise PlanningError(f"source '{self.name}': cost must be a positive number, "
                                f"got {self.cost}. Fix: give a finite price > 0, e.g. "
                                f"--cost {self.name}=1.5.")
        if self.granularity < 1:
            raise PlanningError(f"source '{self.name}': granularity must be >= 1.")
        if self.min < 0 or (self.max is not None and self.max < self.min):
            raise PlanningError(f"source '{self.name}': need 0 <= min <= max, got "
                                f"min={self.min}, max={self.max}.")
        if self.budget is not None and not (math.isfinite(self.budget) and self.budget >= 0):
            raise PlanningError(f"source '{self.name}': per-source budget must be a number "
                                f">= 0, got {self.budget}.")
        if not (math.isfinite(self.setup) and self.setup >= 0):
            raise PlanningError(f"source '{self.name}': set-up cost must be a number >= 0, "
                                f"got {self.setup}.")
        if self.max is not None and self.lower() > self.max:
            raise PlanningError(f"source '{self.name}': min {self.min} rounded up to its "
                                f"granularity {self.granularity} is {self.lower()}, above "
                                f"its max {self.max}. Fix: lower min or raise max.")
        need = self.minimum_cost()
        if self.budget is not None and need > self.budget + 1e-9:
            raise PlanningError(
                f"source '{self.name}': its own budget {self.budget:g} cannot buy its minimum "
                f"of {self.lower()} samples at {self.cost:g} each"
                + (f" plus its set-up cost {self.setup:g}" if self.setup else "")
                + f" (= {need:g}). Fix: raise its budget to at least {need:g} or lower its "
                "min.")

    @property
    def is_real(self) -> bool:
        """True for experiment sources (``real:<task>``)."""
        return self.name.startswith(REAL_PREFIX)

    @property
    def task(self) -> str | None:
        """The task of an experiment source, ``None`` for a database."""
        return self.name[len(REAL_PREFIX):] if self.is_real else None

    def upper(self, total_budget: float) -> int:
        """Largest affordable count: min of max, per-source and total budget (each less the
        set-up cost), on the grid."""
        cap = (total_budget - self.setup) / self.cost
        if self.budget is not None:
            cap = min(cap, (self.budget - self.setup) / self.cost)
        if self.max is not None:
            cap = min(cap, float(self.max))
        return max(0, math.floor(cap / self.granularity + 1e-9) * self.granularity)

    def minimum_cost(self) -> float:
        """Money the source's minimum costs: ``lower() x cost`` (+ set-up when > 0)."""
        n = self.lower()
        return n * self.cost + (self.setup if n > 0 else 0.0)

    def lower(self) -> int:
        """Smallest allowed count, rounded up to the granularity grid."""
        return math.ceil(self.min / self.granularity) * self.granularity


@dataclass(frozen=True)
class OperatingPoint:
    """Current sizes: per (task, database) ``n_sim``, the ``n_real`` its curve was measured
    at, and per task the current number of real samples."""

    n_sim: Mapping[tuple[str, str], float]
    curve_n_real: Mapping[tuple[str, str], float]
    n_real: Mapping[str, float]

    def databases(self, task: str) -> list[str]:
        """Databases available to ``task``."""
        return sorted(s for (t, s) in self.n_sim if t == task)

    @property
    def tasks(self) -> list[str]:
        """Every task with a current operating point."""
        return sorted(self.n_real)


def operating_point_from_table(table: Any) -> OperatingPoint:
    """Derive the current operating point from a learning-curve table.

    Largest ``n_sim`` measured per (task, database), the largest ``n_real`` measured with
    that database, and the largest ``n_real`` measured for the task.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"task": ["a", "a"], "sim_source": ["none", "mp"],
    ...                   "n_sim": [0, 500], "n_real": [80, 40]})
    >>> operating_point_from_table(t).n_real["a"]
    80.0
    """
    n_sim: dict[tuple[str, str], float] = {}
    curve_m: dict[tuple[str, str], float] = {}
    n_real: dict[str, float] = {}
    for task, rows in table.groupby("task"):
        n_real[str(task)] = float(rows["n_real"].max())
        sims = rows[rows["sim_source"] != NO_SOURCE]
        for src, srows in sims.groupby("sim_source"):
            n_sim[(str(task), str(src))] = float(srows["n_sim"].max())
            curve_m[(str(task), str(src))] = float(srows["n_real"].max())
    return OperatingPoint(n_sim, curve_m, n_real)


#: What a plan's probability is of: ``run`` (a training run at the bought sizes reaches the
#: target: the expected error times the model's run-to-run noise) or ``expected`` (the
#: posterior expected error does).
PROBABILITY_OF = ("run", "expected")


@dataclass(frozen=True)
class PlanProblem:
    """A batch-planning problem (validated on construction).

    Attributes
    ----------
    sources : tuple[Source, ...]
        Acquisition sources (order = decision vector order).
    budget : float
        Total budget of the batch.
    targets : Mapping[str, float]
        Target error per task (> 0); tasks without a target are still reported.
    operating : OperatingPoint
        Current sizes.
    weights : Mapping[str, float]
        Task weights of the expected-error objective (default 1 for every task).
    probability_of : str
        ``"run"`` (default): the planner's error draws, and so every probability it
        optimizes and reports, are those of one training run at the bought sizes (expected
        error times the model's run-to-run noise); ``"expected"``: of the expected error.
    """

    sources: tuple[Source, ...]
    budget: float
    operating: OperatingPoint
    targets: Mapping[str, float] = field(default_factory=dict)
    weights: Mapping[str, float] = field(default_factory=dict)
    probability_of: str = "run"

    def __post_init__(self) -> None:
        if self.probability_of not in PROBABILITY_OF:
            raise PlanningError(f"probability_of = '{self.probability_of}' is not one of "
                                f"{list(PROBABILITY_OF)}. Fix: --probability-of run (a "
                                "training run reaches the target) or expected (the "
                                "expected error does).")
        if not self.sources:
            raise PlanningError("no acquisition source given (use --cost SOURCE=PRICE).")
        names = [s.name for s in self.sources]
        if len(set(names)) != len(names):
            raise PlanningError(f"duplicate source names: {names}.")
        known_db = {s for (_, s) in self.operating.n_sim}
        for s in self.sources:
            if s.is_real and s.task not in self.operating.n_real:
                raise PlanningError(f"unknown source '{s.name}': no data for task "
                                    f"'{s.task}'. Tasks: {self.operating.tasks}. Fix: price a task "
                                    f"from the list, e.g. --cost "
                                    f"real:{_first_task(self.operating)}=200.")
            if not s.is_real and s.name not in known_db:
                raise PlanningError(
                    f"unknown source '{s.name}'. Databases in the data: {sorted(known_db)}; "
                    f"experiments are named 'real:<task>' with tasks {self.operating.tasks}. "
                    f"Fix: use one of these names, e.g. --cost {_example(known_db, self)}=1.")
        for task, target in self.targets.items():
            if task not in self.operating.n_real:
                raise PlanningError(f"target for task '{task}' which has no data. "
                                    f"Tasks: {self.operating.tasks}. Fix: name a task "
                                    f"from the list, e.g. --target "
                                    f"{_first_task(self.operating)}=0.1.")
            if not (math.isfinite(target) and target > 0):
                raise PlanningError(f"target for task '{task}' must be > 0, got {target}. "
                                    f"Fix: give a positive target error, e.g. --target "
                                    f"{task}=0.1.")
        cheapest = min(s.cost * s.granularity + s.setup for s in self.sources)
        if not (math.isfinite(self.budget) and self.budget >= cheapest):
            raise PlanningError(f"budget {self.budget} is below the cheapest sample "
                                f"({cheapest}, set-up cost included). Fix: raise "
                                f"--budget to at least {cheapest:g} or lower the costs.")
        self._check_minimums()

    def _check_minimums(self) -> None:
        """The minimums (and the set-up costs they force) must fit in the total budget."""
        need = {s.name: s.minimum_cost() for s in self.sources if s.minimum_cost() > 0}
        if sum(need.values()) > self.budget + 1e-9:
            parts = ", ".join(f"{k}: {v:g}" for k, v in need.items())
            raise PlanningError(
                f"the per-source minimums cost {sum(need.values()):g} ({parts}; set-up costs "
                f"included), more than the budget {self.budget:g}. Fix: raise --budget or "
                "lower the minimums (--min SOURCE=N).")

    @property
    def tasks(self) -> tuple[str, ...]:
        """Tasks affected by the batch (every task of the operating point)."""
        return tuple(self.operating.tasks)

    @property
    def names(self) -> list[str]:
        """Source names in decision-vector order."""
        return [s.name for s in self.sources]

    @property
    def costs(self) -> np.ndarray:
        """Cost per sample, shape (d,)."""
        return np.array([s.cost for s in self.sources], dtype=float)

    @property
    def lower(self) -> np.ndarray:
        """Lower bounds (on the granularity grid), shape (d,)."""
        return np.array([s.lower() for s in self.sources], dtype=float)

    @property
    def upper(self) -> np.ndarray:
        """Upper bounds (max, per-source budget, total budget), shape (d,)."""
        return np.maximum(np.array([s.upper(self.budget) for s in self.sources], dtype=float),
                          self.lower)

    @property
    def granularity(self) -> np.ndarray:
        """Granularity per source, shape (d,)."""
        return np.array([s.granularity for s in self.sources], dtype=float)

    @property
    def setups(self) -> np.ndarray:
        """Set-up cost per source (paid when its count is > 0), shape (d,)."""
        return np.array([s.setup for s in self.sources], dtype=float)

    @property
    def committed_setup(self) -> float:
        """Set-up costs of every source that can be bought (``upper > 0``): what a batch
        using all of them pays; the continuous relaxation treats them as spent."""
        return float(self.setups[self.upper > 0].sum())

    @property
    def free_budget(self) -> float:
        """Budget left after the minimums and :attr:`committed_setup`."""
        return self.budget - float(self.lower @ self.costs) - self.committed_setup

    def batch_cost(self, counts: Any) -> Any:
        """Cost of batches ``(..., d)``: counts x prices + set-up of every source bought.

        Examples
        --------
        >>> op = OperatingPoint({("a", "mp"): 10.0}, {("a", "mp"): 5.0}, {"a": 5.0})
        >>> p = PlanProblem((Source("mp", 1.0, setup=50.0), Source("real:a", 10.0)),
        ...                 500.0, op)
        >>> p.batch_cost(np.array([[100.0, 0.0], [0.0, 2.0]])).tolist()
        [150.0, 20.0]
        """
        xp = np if isinstance(counts, np.ndarray) else _torch()
        c, f = (xp.as_tensor(v, dtype=counts.dtype) if xp is not np else v
                for v in (self.costs, self.setups))
        return (counts * c).sum(-1) + ((counts > 0) * f).sum(-1)

    def restricted(self, used: set[str]) -> PlanProblem:
        """Same problem with every set-up-cost source outside ``used`` capped at 0."""
        sources = tuple(s if s.setup == 0 or s.name in used or s.lower() > 0
                        else replace(s, max=0, min=0) for s in self.sources)
        return replace(self, sources=sources)

    def source(self, name: str) -> Source:
        """Look a source up by name."""
        for s in self.sources:
            if s.name == name:
                return s
        raise PlanningError(f"unknown source '{name}'. Sources: {self.names}. Fix: use "
                            "one of these names.")

    def weight(self, task: str) -> float:
        """Weight of ``task`` (default 1)."""
        return float(self.weights.get(task, 1.0))

    def with_budget(self, budget: float) -> PlanProblem:
        """Same problem with another total budget."""
        return replace(self, budget=budget)

    def with_operating(self, operating: OperatingPoint) -> PlanProblem:
        """Same problem at another operating point."""
        return replace(self, operating=operating)


def advance(op: OperatingPoint, allocation: Mapping[str, float]) -> OperatingPoint:
    """Operating point after acquiring ``allocation`` (source name -> new samples).

    Examples
    --------
    >>> op = OperatingPoint({("a", "mp"): 100.0}, {("a", "mp"): 10.0}, {"a": 10.0})
    >>> advance(op, {"mp": 50, "real:a": 5}).n_real
    {'a': 15.0}
    """
    n_sim = {k: v + allocation.get(k[1], 0) for k, v in op.n_sim.items()}
    n_real = {t: v + allocation.get("real:" + t, 0) for t, v in op.n_real.items()}
    return OperatingPoint(n_sim, dict(op.curve_n_real), n_real)


def _example(known_db: set[str], problem: PlanProblem) -> str:
    """A source name to show in a fix: the first database, else the first experiment."""
    if known_db:
        return sorted(known_db)[0]
    return REAL_PREFIX + _first_task(problem.operating)


def _first_task(operating: OperatingPoint) -> str:
    """The first task's name for an example in a fix (``<task>`` without tasks)."""
    return (operating.tasks or ["<task>"])[0]


def _torch() -> Any:
    import torch

    return torch


def parse_source_name(name: str, tasks: list[str]) -> str:
    """Normalize a ``--cost`` name: plain ``real`` means ``real:<task>`` with one task.

    Examples
    --------
    >>> parse_source_name("real", ["gap"])
    'real:gap'
    """
    if name == "real":
        if len(tasks) != 1:
            raise InputDataError(f"'real' is ambiguous with {len(tasks)} tasks. Fix: use "
                                 f"real:<task> with one of {tasks}, e.g. --cost "
                                 f"real:{(tasks or ['<task>'])[0]}=200.")
        return REAL_PREFIX + tasks[0]
    return name
