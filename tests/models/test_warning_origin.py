"""The fit's warnings point at the user's calling line, not at the package's internals.

MCMC is replaced by stubs: only where ``warnings`` attributes the warning is checked.
"""

from __future__ import annotations

import types
import warnings
from typing import Any

import pytest

import sim2real.models.inference.fit as fit_module
from sim2real.models.errors import ConvergenceWarning
from sim2real.models.examples import example_path
from sim2real.models.inference.diagnostics import Diagnostics
from sim2real.models.inference.spec import SamplerConfig


class _Stop(Exception):
    """Raised by the stubbed PyMC sampler once the fallback warning has been emitted."""


def _no_nutpie(*args: Any) -> Any:
    raise ImportError("No module named 'nutpie'")


def _stop(*args: Any) -> Any:
    raise _Stop


def _record(call: Any) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w for w in caught if issubclass(w.category, ConvergenceWarning)]


def test_nutpie_fallback_warning_points_at_the_callers_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fit_module, "build_model", lambda design, spec: object())
    monkeypatch.setattr(fit_module, "_sample_nutpie", _no_nutpie)
    monkeypatch.setattr(fit_module, "_sample_pymc", _stop)

    def call() -> None:
        with pytest.raises(_Stop):
            fit_module.fit(example_path("synthetic"), sampler=SamplerConfig(draws=10))

    (w,) = _record(call)
    assert "falling back to PyMC" in str(w.message)
    assert (w.filename, w.lineno) == (__file__, call.__code__.co_firstlineno + 2)


def test_convergence_warning_points_at_the_callers_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    failed = Diagnostics(max_rhat=1.5, min_ess_bulk=5.0, min_ess_tail=5.0, divergences=3,
                         min_bfmi=0.1, chains=2, draws=10)
    monkeypatch.setattr(fit_module, "build_model", lambda design, spec: object())
    monkeypatch.setattr(fit_module, "sample_model",
                        lambda *args, **kwargs: types.SimpleNamespace(posterior={}))
    monkeypatch.setattr(fit_module, "public_draws", lambda posterior: posterior)
    monkeypatch.setattr(fit_module, "compute_diagnostics", lambda *args, **kwargs: failed)
    monkeypatch.setattr(fit_module, "Posterior", lambda **kwargs: kwargs)

    def call() -> None:
        fit_module.fit(example_path("synthetic"), sampler=SamplerConfig(draws=10))

    (w,) = _record(call)
    assert "MCMC diagnostics failed" in str(w.message)
    assert (w.filename, w.lineno) == (__file__, call.__code__.co_firstlineno + 1)
