"""Reports: terminal tables (``tables``), and the HTML/JSON decision report.

The package is also callable as :func:`planner.api.report`, so that
``sim2real.planner.report(posterior, out_dir)`` writes a report whichever of the package
and the function a notebook reaches first (the name is both a subpackage and a function
of the notebook API).
"""

from __future__ import annotations

import sys
import types
from typing import Any


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from sim2real.planner.api import report

        return report(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
