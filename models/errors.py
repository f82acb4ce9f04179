"""Exception and warning hierarchy shared by every sim2real-planner package.

Every exception also subclasses the matching built-in, so callers that already
catch ``ValueError`` or ``KeyError`` keep working.

Examples
--------
>>> from sim2real.models.errors import InputDataError
>>> try:
...     raise InputDataError("curves.csv, rows 3-4, column 'error': must be > 0")
... except ValueError as exc:
...     print(type(exc).__name__)
InputDataError
"""

from __future__ import annotations

import sys
import warnings


class Sim2RealError(Exception):
    """Base class of every error raised on purpose by sim2real-planner."""


class InputDataError(Sim2RealError, ValueError):
    """Input data (a table, a size query, a config file) breaks the contract."""


class SpecError(Sim2RealError, ValueError):
    """A model spec, prior or option is invalid."""


class UnknownCurveError(Sim2RealError, KeyError):
    """A query names a task / source / operating point the posterior does not cover."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class PlanningError(Sim2RealError, ValueError):
    """A planning problem is infeasible or badly specified (costs, budget, targets)."""


class ReportError(Sim2RealError, RuntimeError):
    """A report could not be written (bad content, or no browser for the PDF)."""


class Sim2RealWarning(UserWarning):
    """Base class of sim2real-planner warnings."""


class DataWarning(Sim2RealWarning):
    """Suspicious but usable input data (duplicate rows, unknown columns)."""


class ConvergenceWarning(Sim2RealWarning):
    """MCMC diagnostics failed (R-hat, ESS, divergences or BFMI)."""


def warn_at_caller(message: str, category: type[Warning] = DataWarning) -> None:
    """``warnings.warn`` attributed to the first caller outside sim2real-planner.

    The warning's file:line is the user's code (script, notebook cell) that called into
    the package, whatever the depth of the package's own call stack.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_at_caller("suspicious value")
    >>> caught[0].category.__name__, "errors.py" in caught[0].filename
    ('DataWarning', False)
    """
    frame = sys._getframe(1)
    level = 2
    while frame.f_back is not None and \
            str(frame.f_globals.get("__name__", "")).startswith("sim2real."):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
