"""Planning settings from CLI options and an optional ``plan.toml`` (CLI wins).

``plan.toml`` layout::

    budget = 50000
    objective = "min_cost_with_probability"   # expected_error | prob_all_targets | cvar
    probability = 0.9        # min_cost_with_probability
    probability_of = "run"   # run (a training run reaches the target) | expected
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
    [max]                    # SOURCE = most new samples (like --max); also [min]
    mp = 100000
    [setup]                  # SOURCE = fixed cost paid once if any is bought (--setup)
    "real:gap" = 5000.0
    [sources.mp]             # optional bounds per source (same keys, one table each)
    min = 0
    max = 100000
    granularity = 100
    budget = 20000           # money on this source, set-up cost included
    setup = 0.0

Precedence: ``[sources.NAME]`` < ``[min]`` / ``[max]`` / ``[setup]`` < the command line.

Examples
--------
>>> parse_pairs(["mp=1.5", "real:gap=200"], "--cost")
{'mp': 1.5, 'real:gap': 200.0}
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim2real.models.errors import InputDataError
from sim2real.planner.optim.problem import OperatingPoint, PlanProblem, Source, parse_source_name

KNOWN_KEYS = {"budget", "objective", "probability", "probability_of", "penalty", "level",
              "rounds",
              "remaining_rounds", "seed", "costs", "targets", "weights", "sources",
              "min", "max", "setup"}
#: Per-source keys of ``[sources.NAME]`` (``min``/``max``/``setup`` also as own tables).
SOURCE_KEYS = ("min", "max", "granularity", "budget", "setup")


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
    probability_of: str = "run"

    def __post_init__(self) -> None:
        if self.remaining_rounds < 1:
            raise InputDataError(f"remaining_rounds must be >= 1, got "
                                 f"{self.remaining_rounds}. Fix: pass --remaining-rounds 1 "
                                 "(or more) or leave it out.")
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
            b = {**self.bounds.get(internal, {}), **self.bounds.get(name, {})}
            unknown = set(b) - set(SOURCE_KEYS)
            if unknown:
                raise InputDataError(f"[sources.{name}]: unknown keys {sorted(unknown)}; "
                                     f"known: {list(SOURCE_KEYS)}. "
                                     f"{_fix_keys(unknown, SOURCE_KEYS)}")
            sources.append(Source(internal, float(price), _count(name, "min", b, 0),
                                  _count(name, "max", b, None),
                                  _count(name, "granularity", b, 1),
                                  None if b.get("budget") is None else float(b["budget"]),
                                  float(b.get("setup", 0.0))))
        stray = sorted(set(self.bounds) - set(given) - set(given.values()))
        if stray:
            raise InputDataError(
                f"--min/--max/--setup (or [sources.*] in plan.toml) name unknown source(s) "
                f"{stray}; the sources are those priced with --cost: {list(self.costs)}. "
                "Fix: correct the name or add --cost NAME=PRICE.")
        return PlanProblem(tuple(sources), float(self.budget), operating,
                           dict(self.targets), dict(self.weights),
                           self.probability_of), given

    def constraints(self) -> dict[str, dict[str, Any]]:
        """Per source (as given) the bounds and set-up cost set for it (plan.json)."""
        return {name: dict(b) for name, b in self.bounds.items() if b}


def _count(name: str, key: str, bounds: Mapping[str, Any], default: int | None
           ) -> int | None:
    """A whole-number bound of source ``name`` (``default`` when unset)."""
    value = bounds.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value) \
            or value < 0:
        raise InputDataError(f"source '{name}': {key} must be a whole number >= 0, got "
                             f"{value!r} (--{key} {name}=N or {key} in plan.toml).")
    return int(value)


def parse_pairs(items: list[str] | None, option: str, *, minimum: float | None = None,
                whole: bool = False) -> dict[str, float]:
    """Parse ``NAME=NUMBER`` items of a repeated option.

    Each name may appear once; ``minimum`` (e.g. 0) and ``whole`` (counts) restrict the
    numbers.

    Examples
    --------
    >>> parse_pairs(["mp=100"], "--max", minimum=0, whole=True)
    {'mp': 100}
    """
    out: dict[str, Any] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        name = name.strip()
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not sep or not name or not math.isfinite(number):
            raise InputDataError(f"{option} {item!r}: expected NAME=NUMBER, e.g. "
                                 f"{option} mp={'100' if whole else '1.5'}. Fix: write "
                                 "the name, '=' and a finite number.")
        if name in out:
            raise InputDataError(f"{option} {item!r}: '{name}' given twice ({option} "
                                 f"{name}={out[name]:g} too). Fix: give each name once.")
        if minimum is not None and number < minimum:
            raise InputDataError(f"{option} {item!r}: must be >= {minimum:g}.")
        if whole and number != int(number):
            raise InputDataError(f"{option} {item!r}: must be a whole number of samples.")
        out[name] = int(number) if whole else number
    return out


def load_config(path: Path | None) -> dict[str, Any]:
    """Read ``plan.toml`` (empty dict without a path)."""
    if path is None:
        return {}
    try:
        with open(path, "rb") as handle:
            cfg = tomllib.load(handle)
    except OSError as exc:
        raise InputDataError(f"{path}: cannot read the plan config: {exc}. Fix: check the "
                             "--config path (the file must exist and be readable).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputDataError(f"{path}: cannot read the plan config: {exc}. Fix: correct the "
                             "TOML at that line, e.g. budget = 1000 and [costs] with "
                             "dft = 1.") from exc
    unknown = set(cfg) - KNOWN_KEYS
    if unknown:
        raise InputDataError(f"{path}: unknown keys {sorted(unknown)}; known: "
                             f"{sorted(KNOWN_KEYS)}. {_fix_keys(unknown, KNOWN_KEYS)}")
    return cfg


def _fix_keys(unknown: Iterable[str], known: Iterable[str]) -> str:
    """The ``Fix:`` sentence of an unknown-keys error, with the closest known key.

    Examples
    --------
    >>> _fix_keys(["bugdet"], ["budget", "costs"])
    "Fix: rename 'bugdet' to 'budget' (or remove it)."
    """
    first = sorted(unknown)[0]
    close = difflib.get_close_matches(first, list(known), n=1)
    if close:
        return f"Fix: rename '{first}' to '{close[0]}' (or remove it)."
    return f"Fix: remove '{first}' or rename it to one of the known keys."


def merge_settings(cfg: Mapping[str, Any], **cli: Any) -> PlanSettings:
    """CLI values (not ``None``, non-empty) override the config file."""
    costs = {**cfg.get("costs", {}), **(cli.pop("costs", None) or {})}
    targets = {**cfg.get("targets", {}), **(cli.pop("targets", None) or {})}
    bounds = merge_bounds(cfg, {k: cli.pop(k, None) or {} for k in ("min", "max", "setup")})
    merged = {k: v for k, v in cfg.items()
              if k not in ("costs", "targets", "sources", "min", "max", "setup")}
    merged.update({k: v for k, v in cli.items() if v is not None})
    if "budget" not in merged:
        raise InputDataError("no budget: pass --budget B or set budget in plan.toml. "
                             "Fix: add e.g. --budget 1000.")
    if not costs:
        raise InputDataError("no source costs: pass --cost SOURCE=PRICE (e.g. --cost mp=1 "
                             "--cost real:gap=200) or a [costs] table in plan.toml. "
                             "Fix: add one --cost per source you can buy.")
    if "objective" not in merged:
        merged["objective"] = "min_cost_with_probability" if targets else "expected_error"
    return PlanSettings(costs=costs, targets=targets, bounds=bounds, **merged)


def merge_bounds(cfg: Mapping[str, Any],
                 cli: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, Any]]:
    """Per-source bounds: ``[sources.NAME]``, then ``[min]``/``[max]``/``[setup]``, then
    the ``--min``/``--max``/``--setup`` options (later wins).

    Examples
    --------
    >>> merge_bounds({"sources": {"mp": {"max": 5}}}, {"max": {"mp": 9}, "setup": {}})
    {'mp': {'max': 9}}
    """
    bounds: dict[str, dict[str, Any]] = {}
    for name, table in cfg.get("sources", {}).items():
        if not isinstance(table, Mapping):
            raise InputDataError(f"[sources.{name}] must be a table of {list(SOURCE_KEYS)}.")
        bounds[name] = dict(table)
    for layer in ({k: cfg.get(k, {}) for k in ("min", "max", "setup")}, cli):
        for key, values in layer.items():
            for name, value in values.items():
                bounds.setdefault(name, {})[key] = value
    return bounds
