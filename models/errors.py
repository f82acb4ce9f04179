"""Exception and warning hierarchy shared by every sim2real-planner package.

Every exception also subclasses the matching built-in, so callers that already
catch ``ValueError`` or ``KeyError`` keep working.

Examples
--------
>>> from models.errors import InputDataError
>>> try:
...     raise InputDataError("curves.csv, rows 3-4, column 'error': must be > 0")
... except ValueError as exc:
...     print(type(exc).__name__)
InputDataError
"""

from __future__ import annotations


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
