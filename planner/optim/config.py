"""Planning settings from CLI options and an optional ``plan.toml`` (CLI wins).

``plan.toml`` layout::

    budget = 50000
    objective = "min_cost_with_probability"   # expected_error | prob_all_targets | cvar
    probability = 0.9        # min_cost_with_probability
    penalty = 100.0          # min_cost_with_probability, in budgets
    level = 0.9              # cvar
    rounds = 1
    remaining_rounds = 1     # sequential policy: rounds left including this one
    seed = 0
    [costs]                  # SOURCE = price per sample
    mp = 1.0
    "real:gap" = 200.0
    [targets]                # TASK = target error
    gap = 0.3
    [weights]                # TASK = weight (expected_error / cvar)
    [sources.mp]             # optional bounds per source
    min = 0
    max = 100000
    granularity = 100
    budget = 20000

Examples
--------
>>> parse_pairs(["mp=1.5", "real:gap=200"], "--cost")
{'mp': 1.5, 'real:gap': 200.0}
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.errors import InputDataError
from planner.optim.problem import OperatingPoint, PlanProblem, Source, parse_source_name

KNOWN_KEYS = {"budget", "objective", "probability", "penalty", "level", "rounds",
              "remaining_rounds", "seed", "costs", "targets", "weights", "sources"}


@dataclass(frozen=True)
class PlanSettings:
    """Every planning setting, merged from ``plan.toml`` and the command line."""

    budget: float
    costs: Mapping[str, float]
    targets: Mapping[str, float] = field(default_factory=dict)
    weights: Mapping[str, float] = field(default_factory=dict)
    bounds: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    objective: str = "expected_error"
    probability: float = 0.9
    penalty: float = 100.0
    level: float = 0.9
    rounds: int = 1
    remaining_rounds: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.remaining_rounds < 1:
            raise InputDataError(f"remaining_rounds must be >= 1, got "
                                 f"{self.remaining_rounds}.")
        if self.remaining_rounds > 1 and self.objective != "min_cost_with_probability":
            raise InputDataError("--remaining-rounds > 1 (sequential policy) needs the "
                                 "min_cost_with_probability objective and --target.")
        if self.remaining_rounds > 1 and self.rounds != 1:
            raise InputDataError("use either --rounds (open-loop plan of equal rounds) or "
                                 "--remaining-rounds (sequential policy), not both.")

    def objective_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`planner.acquisition.make_objective`."""
        if self.objective == "min_cost_with_probability":
            return {"probability": self.probability, "penalty": self.penalty}
        if self.objective == "cvar":
            return {"level": self.level, "weights": dict(self.weights) or None}
        if self.objective == "expected_error":
            return {"weights": dict(self.weights) or None}
        return {}

    def problem(self, operating: OperatingPoint) -> tuple[PlanProblem, dict[str, str]]:
        """The validated problem and a map internal source name -> name as given."""
        given: dict[str, str] = {}
        sources = []
        for name, price in self.costs.items():
            internal = parse_source_name(name, operating.tasks)
            given[internal] = name
            b = dict(self.bounds.get(name, self.bounds.get(internal, {})))
            unknown = set(b) - {"min", "max", "granularity", "budget"}
            if unknown:
                raise InputDataError(f"[sources.{name}]: unknown keys {sorted(unknown)}.")
            sources.append(Source(internal, float(price), int(b.get("min", 0)),
                                  None if b.get("max") is None else int(b["max"]),
                                  int(b.get("granularity", 1)),
                                  None if b.get("budget") is None else float(b["budget"])))
        return PlanProblem(tuple(sources), float(self.budget), operating,
                           dict(self.targets), dict(self.weights)), given


def parse_pairs(items: list[str] | None, option: str) -> dict[str, float]:
    """Parse ``NAME=NUMBER`` items of a repeated option."""
    out: dict[str, float] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not sep or not name or number != number:
            raise InputDataError(f"{option} {item!r}: expected NAME=NUMBER, e.g. "
                                 f"{option} mp=1.5.")
        out[name.strip()] = number
    return out


def load_config(path: Path | None) -> dict[str, Any]:
    """Read ``plan.toml`` (empty dict without a path)."""
    if path is None:
        return {}
    try:
        with open(path, "rb") as handle:
            cfg = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputDataError(f"{path}: cannot read the plan config: {exc}") from exc
    unknown = set(cfg) - KNOWN_KEYS
    if unknown:
        raise InputDataError(f"{path}: unknown keys {sorted(unknown)}; known: "
                             f"{sorted(KNOWN_KEYS)}.")
    return cfg


def merge_settings(cfg: Mapping[str, Any], **cli: Any) -> PlanSettings:
    """CLI values (not ``None``, non-empty) override the config file."""
    costs = {**cfg.get("costs", {}), **(cli.pop("costs", None) or {})}
    targets = {**cfg.get("targets", {}), **(cli.pop("targets", None) or {})}
    merged = {k: v for k, v in cfg.items() if k not in ("costs", "targets", "sources")}
    merged.update({k: v for k, v in cli.items() if v is not None})
    if "budget" not in merged:
        raise InputDataError("no budget: pass --budget B or set budget in plan.toml.")
    if not costs:
        raise InputDataError("no source costs: pass --cost SOURCE=PRICE (e.g. --cost mp=1 "
                             "--cost real:gap=200) or a [costs] table in plan.toml.")
    if "objective" not in merged:
        merged["objective"] = "min_cost_with_probability" if targets else "expected_error"
    return PlanSettings(costs=costs, targets=targets, bounds=cfg.get("sources", {}),
                        **merged)
