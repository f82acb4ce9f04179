"""Decision layer: sample size to target, exchange rates, BoTorch planning, reports, CLI.

The notebook API (:mod:`planner.api`) is re-exported lazily, so that importing the
package (and ``sim2real --help``) loads no PyMC, torch or BoTorch:

>>> import sim2real.planner as s2r
>>> callable(s2r.fit) and callable(s2r.plan) and callable(s2r.report)
True
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["fit", "plan", "report"]


def __getattr__(name: str) -> Any:
    """``fit`` and ``plan`` from :mod:`planner.api`; ``report`` is the subpackage
    :mod:`planner.report`, which is callable as :func:`planner.api.report`."""
    if name in ("fit", "plan"):
        return getattr(importlib.import_module("sim2real.planner.api"), name)
    if name == "report":
        return importlib.import_module("sim2real.planner.report")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
