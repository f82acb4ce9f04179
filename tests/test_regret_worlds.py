"""The regret benchmark's world generator and protocol (issue 13, items 1-3): fast checks."""

from __future__ import annotations

import dataclasses
import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _module(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


@pytest.fixture(scope="module")
def rw() -> ModuleType:
    return _module("regret_worlds")


@pytest.fixture(scope="module")
def pr() -> ModuleType:
    return _module("planner_regret")


def _signature(w) -> tuple:
    return (w.tasks, w.dbs, w.prices, w.targets,
            {k: dataclasses.astuple(c) for k, c in w.curves.items()})


def test_generator_is_deterministic_per_seed(rw: ModuleType) -> None:
    assert _signature(rw.honest_world(7)) == _signature(rw.honest_world(7))
    assert _signature(rw.honest_world(7)) != _signature(rw.honest_world(8))
    # a world does not depend on which other worlds were drawn before it
    assert _signature(rw.make_worlds([3, 7])[1]) == _signature(rw.make_worlds([7])[0])


def test_generator_respects_its_documented_ranges(rw: ModuleType) -> None:
    forms = set()
    for w in rw.make_worlds(list(range(60))):
        assert 1 <= len(w.tasks) <= 4 and 1 <= len(w.dbs) <= 4
        for t in w.tasks:
            assert 1.0 <= w.prices["real:" + t] <= 10_000.0
            assert w.targets[t] <= 0.97 * w.current_error(t) + 1e-12
            # reachable: some route's true error meets the target at a finite size
            assert any(np.isfinite(rw.required_size(w.curves[(t, r)].error,
                                                    w.curves[(t, r)].x0, w.targets[t]))
                       for r in w.routes(t))
        for (_, route), c in w.curves.items():
            forms.add(c.form)
            exps = [v for k, v in c.params.items() if k in ("a", "a1", "a2")]
            assert all(0.02 <= a <= 0.8 for a in exps)
            assert 0.0 <= c.floor <= 0.9 * c.level
            assert 0.02 <= c.sigma0 <= 0.15 and 0.0 <= c.beta <= 0.5
            assert 0.01 <= c.tau_seed <= 0.08
            assert c.sigma(10 * c.x0) <= c.sigma(c.x0)
            assert c.form != "bump" or route != "none"
    assert forms == {"power", "broken", "saturating", "bump"}
    assert rw.oracle_allocation(rw.honest_world(0))[0] > 0


def test_bump_is_worse_than_flat_before_falling(rw: ModuleType) -> None:
    c = rw.Curve("bump", 0.2, 0.0, 1000.0, {"a": 0.1, "xb": 2000.0, "h": 1.0}, 0.05, 0.0, 0.02)
    e = c.error(np.array([1000.0, 2000.0, 1e6]))
    assert e[1] > e[0] > e[2]


def test_legacy_generator_is_reachable(rw: ModuleType) -> None:
    ws = rw.make_worlds([0, 2], "legacy")
    assert all(c.form == "power" and c.tau_seed == 0 for w in ws for c in w.curves.values())
    assert _signature(ws[1]) == _signature(rw.make_worlds([2], "legacy")[0])


def test_seed_effect_is_shared_along_a_curve(rw: ModuleType) -> None:
    w = rw.honest_world(1)
    key = next(iter(w.curves))
    w.curves[key] = dataclasses.replace(w.curves[key], sigma0=0.0)     # seed effect only
    offsets = rw.seed_offsets(w, np.random.default_rng(0))
    rng = np.random.default_rng(1)
    ratios = [np.array([row[5] for row in rw.measure(w, offsets, rng, *key, x)])
              / float(w.curves[key].error(x)) for x in (100.0, 5000.0)]
    np.testing.assert_allclose(ratios[0], ratios[1])
    assert np.ptp(ratios[0]) > 0


def test_strategies_never_receive_the_oracle(pr: ModuleType, rw: ModuleType,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*_a, **_k):
        raise AssertionError("the oracle reached a strategy")

    seen = []
    real_choose = pr.choose

    def spy(spec, sit, rng, draws):
        seen.append(sit)
        return real_choose(spec, sit, rng, draws)

    w = rw.honest_world(2)
    monkeypatch.setattr(pr, "oracle_allocation", forbidden)
    monkeypatch.setattr(rw, "oracle_allocation", forbidden)
    monkeypatch.setattr(pr, "choose", spy)
    for spec in ("ls_margin:m=0.2", "until_flat:thr=0.02", "mahmood:k=1",
                 "ls_bootstrap:q=0.8", "bayesian:p=0.9", "plug_in:p=0.9"):
        pr.run_world(w, spec, 0, 3, 2.0, 16)
    assert len(seen) > 4, "too few rounds played"
    # the budget is fixed by what the user paid for the early curves, in every round
    assert all(sit.budget == pytest.approx(2.0 * w.early_spend()) for sit in seen)
    for sit in seen:   # nothing in a situation is a world, a curve or an oracle figure
        assert not any(isinstance(v, (rw.World, rw.Curve)) for v in vars(sit).values())


def test_run_level_success_uses_noise(pr: ModuleType, rw: ModuleType) -> None:
    run, expected, p = [], [], []
    for w in rw.make_worlds(list(range(80))):
        if len(w.tasks) != 1:
            continue
        t = w.tasks[0]
        _, alloc = rw.oracle_allocation(w)
        (key, extra), = alloc.items()
        route = "none" if key.startswith("real:") else key
        m = {t: rw.M0 + (extra if route == "none" else 0.0)}
        n = {s: rw.N0 + (extra if s == key else 0.0) for s in w.dbs}
        out = {"spent": 1.0, "bought": alloc, "m": m, "n": n, "rounds_used": 1,
               "deployed": {t: route}, "measured_met": True}
        s = pr.score(w, out)
        run.append(s["met_run"])
        expected.append(s["met_expected"])
        p.append(s["p_run"])
    assert len(run) >= 10 and all(expected)       # the oracle meets the expected error
    assert not all(run)                           # a fresh run at the oracle's size often not
    assert 0.2 < float(np.mean(p)) < 0.8


def test_posterior_strategies_do_not_stop_on_reused_seeds(
        pr: ModuleType, rw: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def planner(spec, sit, rng, draws):         # buys once, then nothing
        calls.append(spec)
        return {"real:" + sit.tasks[0]: 10.0} if len(calls) == 1 else {}

    w = rw.honest_world(2)
    monkeypatch.setattr(pr, "choose", planner)
    monkeypatch.setattr(pr, "measured_met", lambda table, targets: set(w.tasks))
    monkeypatch.setattr(pr, "STOP", "posterior")
    out = pr.run_world(w, "bayesian:p=0.9", 0, 3, 2.0, 16)
    # measurements "meet" the targets from the start, yet the posterior strategy plans;
    # and goes on planning every round (an empty plan waits for the next requirement)
    assert calls == ["bayesian:p=0.9"] * 3 and out["rounds_used"] == 3
    calls.clear()
    out = pr.run_world(w, "ls_margin:m=0.2", 0, 3, 2.0, 16)
    assert calls == [] and out["rounds_used"] == 0         # baselines: measured rule
    monkeypatch.setattr(pr, "STOP", "measured")
    out = pr.run_world(w, "bayesian:p=0.9", 0, 3, 2.0, 16)
    assert calls == [] and out["rounds_used"] == 0


def test_pilot_strategy_marks_its_pilot_batches(pr: ModuleType, rw: ModuleType,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from sim2real.planner.optim.pilot import PilotValue

    calls: list[int] = []

    def fake_value(model: Any, problem: Any, p: float, **kw: Any) -> PilotValue:
        calls.append(int(kw["worlds"]))
        first = problem.names[0]
        return PilotValue({first: 10}, 10.0, 0.1, [], {first: 2}, kw["worlds"], 3, "")

    monkeypatch.setattr(pr, "pilot_value", fake_value)
    w = rw.make_worlds([3])[0]
    out = pr.run_world(w, "bayesian_pilot:p=0.95+w=5", 1, 3, pr.BUDGET_X, 32)
    assert calls == [5, 5]                   # asked before each non-final round
    assert out["pilots"] == 2 and out["rounds_used"] == 3
    assert np.isfinite(out["alpha_spread"]) and out["alpha_spread"] > 1.0
    assert pr.parse_strategy("bayesian_pilot:p=0.9+w=16") == ("bayesian_pilot",
                                                             {"p": 0.9, "w": 16.0})
