"""Type checks of a ``plan.toml`` before it reaches the planner (CLI layer).

TOML gives typed values, but a string where a number belongs (``budget = "lots"``) or a
number where a table belongs (``costs = 3``) used to fail deep inside the planner with a
traceback. :func:`load_plan_config` reads the file with
:func:`planner.optim.config.load_config` and names the key and the fix instead.

Examples
--------
>>> check_plan_config({"budget": 100, "costs": {"mp": 1.0}}, "plan.toml")
>>> try:
...     check_plan_config({"budget": "lots"}, "plan.toml")
... except Exception as exc:
...     print(exc)
plan.toml: budget = 'lots' must be a number. Fix: write e.g. budget = 100.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

NUMBERS = ("budget", "probability", "penalty", "level")
INTEGERS = ("rounds", "remaining_rounds", "seed")
TEXTS = ("objective", "probability_of")
NUMBER_TABLES = ("costs", "targets", "weights", "min", "max", "setup")


def load_plan_config(path: Path | None) -> dict[str, Any]:
    """``plan.toml`` content (empty without a path), with its value types checked."""
    from sim2real.planner.optim.config import load_config

    cfg = load_config(path)
    check_plan_config(cfg, str(path))
    return cfg


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and \
        math.isfinite(value)


def check_plan_config(cfg: dict[str, Any], origin: str) -> None:
    """Raise :class:`InputDataError` naming ``origin`` and the key of a badly typed value."""
    from sim2real.models.errors import InputDataError

    def fail(key: str, value: Any, need: str, example: str) -> None:
        raise InputDataError(f"{origin}: {key} = {value!r} must be {need}. Fix: write e.g. "
                             f"{example}.")

    for key in NUMBERS:
        if key in cfg and not _is_number(cfg[key]):
            fail(key, cfg[key], "a number", f"{key} = 100" if key == "budget"
                 else f"{key} = 0.9")
    for key in INTEGERS:
        if key in cfg and (not isinstance(cfg[key], int) or isinstance(cfg[key], bool)):
            fail(key, cfg[key], "a whole number", f"{key} = 1")
    for key in TEXTS:
        if key in cfg and not isinstance(cfg[key], str):
            fail(key, cfg[key], "a name in quotes", f'{key} = "expected_error"')
    for key in NUMBER_TABLES:
        if key in cfg:
            _check_table(cfg[key], f"[{key}]", fail)
    sources = cfg.get("sources", {})
    if not isinstance(sources, dict):
        fail("sources", sources, "a table of [sources.NAME] tables", "[sources.mp] max = 100")
    for name, bounds in sources.items():
        _check_table(bounds, f"[sources.{name}]", fail)


def _check_table(table: Any, where: str, fail: Any) -> None:
    if not isinstance(table, dict):
        fail(where.strip("[]"), table, "a table of NAME = number entries",
             f"{where} then mp = 1.0")
    for name, value in table.items():
        if not _is_number(value):
            fail(f"{where} {name}", value, "a finite number", f"{where} {name} = 1.0")
