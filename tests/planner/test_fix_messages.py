"""Error messages outside the CLI corpus (``test_bad_inputs.py``) also say how to fix them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from sim2real.models.errors import Sim2RealError
from sim2real.models.families.priors import Prior
from sim2real.planner.acquisition.objectives import make_objective, min_cost_with_probability
from sim2real.planner.decisions.tables import required_size_table
from sim2real.planner.optim.config import PlanSettings, load_config
from sim2real.planner.optim.problem import OperatingPoint, PlanProblem, Source
from sim2real.planner.optim.sequential import round_probability

OP = OperatingPoint({("t", "dft"): 1e4}, {("t", "dft"): 20.0}, {"t": 80.0})


def _problem(**kwargs: Any) -> PlanProblem:
    return PlanProblem(kwargs.pop("sources", (Source("dft", 1.0),)), kwargs.pop("budget", 100.0),
                       OP, kwargs.pop("targets", {}))


CASES: list[tuple[str, Callable[[], Any], str]] = [
    ("budget-below-cheapest", lambda: _problem(sources=(Source("dft", 10.0, setup=5.0),),
                                                budget=12.0),
     r"below the cheapest sample \(15.0.*Fix: raise --budget to at least 15"),
    ("unknown-source-lookup", lambda: _problem().source("zz"), r"'zz'.*Fix: use one of"),
    ("real-task-without-data", lambda: _problem(sources=(Source("real:zz", 1.0),)),
     r"'zz'.*Fix: price a task from the list, e\.g\. --cost real:t=200"),
    ("source-bounds-unknown-key",
     lambda: PlanSettings(budget=100.0, costs={"dft": 1.0},
                          bounds={"dft": {"mni": 1}}).problem(OP),
     r"\[sources\.dft\]: unknown keys \['mni'\].*Fix: rename 'mni' to 'min'"),
    ("prior-missing-parameter", lambda: Prior("Normal", mu=0.0).validate("x"),
     r"missing \['sigma'\].*Fix: write Normal\(mu=\.\.\., sigma=\.\.\.\)"),
    ("prior-infinite-parameter",
     lambda: Prior("Normal", mu=float("inf"), sigma=1.0).validate("x"),
     r"finite number\. Fix: write a plain number, e\.g\. mu=1"),
    ("required-size-negative-target", lambda: required_size_table(None, {"t": -1.0}, OP),
     r"'t' must be > 0.*Fix: give a positive target error, e\.g\. t=0\.1"),
    ("round-probability", lambda: round_probability(1.5, 2), r"Fix: pass e\.g\. --probability"),
    ("objective-probability", lambda: min_cost_with_probability(0.0),
     r"Fix: pass e\.g\. --probability"),
    ("unknown-objective", lambda: make_objective("fastest"), r"Fix: pass e\.g\. --objective"),
]


@pytest.mark.parametrize(("call", "pattern"), [pytest.param(c, p, id=i) for i, c, p in CASES])
def test_message_names_a_fix(call: Callable[[], Any], pattern: str) -> None:
    with pytest.raises(Sim2RealError) as info:
        call()
    assert re.search(pattern, str(info.value)), str(info.value)


def test_unknown_key_without_a_close_match_still_says_how_to_fix(tmp_path: Any) -> None:
    path = tmp_path / "plan.toml"
    path.write_text("zzzzzz = 1\n")
    with pytest.raises(Sim2RealError, match=r"Fix: remove 'zzzzzz' or rename it"):
        load_config(path)
