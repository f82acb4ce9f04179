"""Issue "Joint sim x real planning": the defects it lists, each with a test that fails on
the release code (single-axis default, per-draw route minimum, silent zero exchange rates,
an E(1e12) floor for surfaces, no negative transfer in the planning model)."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim2real.models.data.contract import load_curves
from sim2real.models.errors import UnknownCurveError
from sim2real.models.families import AUTO, JOINT_FAMILY, get_family
from sim2real.models.families.ops import NUMPY_OPS
from sim2real.models.inference.spec import ModelSpec
from sim2real.planner.decisions import exchange_table, required_size_table
from sim2real.planner.optim.evaluate import TaskErrorEvaluator
from sim2real.planner.optim.problem import OperatingPoint, PlanProblem, Source

from .planner_fixtures import family_posterior


def grid_table() -> pd.DataFrame:
    """Scratch + one database measured at two n_real levels (an n_sim x n_real grid)."""
    rows = []
    for seed in range(2):
        for m in (50, 100, 200):
            rows.append(("g", "none", 0, m, seed, 1.0 * m ** -0.3))
        for n in (100, 1000, 10000):
            for m in (50, 200):
                rows.append(("g", "mp", n, m, seed, 0.9 * m ** -0.3 * (1 + n / 1e3) ** -0.1))
    return pd.DataFrame(rows, columns=["task", "sim_source", "n_sim", "n_real", "seed",
                                       "error"]).assign(metric="MAE")


# ------------------------------------------------------------------ 1. joint model default
def test_auto_picks_the_joint_surface_with_negative_transfer_on_a_grid() -> None:
    data = load_curves(grid_table())
    assert ModelSpec(family=AUTO).resolve(data).family == JOINT_FAMILY == "edt_negative"
    fam = get_family(JOINT_FAMILY)
    assert fam.layout == "surface"
    # negative transfer is representable: at the bump's peak the route is worse than scratch
    p = {"log_c": np.log(0.2), "log_a": np.log(0.8), "beta": 0.5, "log_t0": -6.0,
         "a_t": 0.5, "b_t": 0.0, "nt_h": 0.3, "log_uh": 0.0}
    scratch = fam.log_error(NUMPY_OPS, {"lm": 0.0, "u": 0.0}, p)
    small_n = fam.log_error(NUMPY_OPS, {"lm": 0.0, "u": 1.0}, p)
    assert small_n > scratch


def test_commands_default_to_the_auto_family() -> None:
    from sim2real.planner import workflow
    from sim2real.planner.cli import _curves, _report

    assert inspect.signature(_curves.fit).parameters["family"].default == AUTO
    assert inspect.signature(_report.demo).parameters["family"].default == AUTO
    assert inspect.signature(workflow.load_model).parameters["family"].default == AUTO


# ------------------------------------------------------------------ 2. route choice
class TwoRoutes:
    """Scratch error 1.0 in every draw; database error 0.5 or 1.7 (mean 1.1)."""

    n_draws = 2

    def error_draws(self, task: str, sim_source: str, n_sim: Any, n_real: Any) -> Any:
        n = np.atleast_1d(np.asarray(n_real if sim_source == "none" else n_sim, float))
        if sim_source == "none":
            return np.ones((2, n.size))
        if sim_source == "mp":
            return np.array([[0.5], [1.7]]) * np.ones((1, n.size))
        raise UnknownCurveError(sim_source)


def test_error_after_a_batch_is_the_chosen_route_not_the_per_draw_minimum() -> None:
    op = OperatingPoint({("a", "mp"): 100.0}, {("a", "mp"): 10.0}, {"a": 10.0})
    prob = PlanProblem((Source("mp", 1.0),), 10.0, op)
    e = TaskErrorEvaluator(TwoRoutes(), prob).current()[:, 0]
    assert e.tolist() == [1.0, 1.0]          # the team picks scratch (mean 1.0 < 1.1)
    hindsight = TaskErrorEvaluator(TwoRoutes(), prob, route_choice="hindsight").current()
    assert hindsight[:, 0].tolist() == [0.5, 1.0]


# ------------------------------------------------------------------ 3. exchange rates
class Curves:
    """Scratch 0.3 + n^-0.5; the database beats the scratch floor in half the draws."""

    n_draws = 4

    def error_draws(self, task: str, sim_source: str, n_sim: Any, n_real: Any) -> Any:
        if sim_source == "none":
            m = np.atleast_1d(np.asarray(n_real, float))
            return 0.3 + m[None, :] ** -0.5 * np.ones((4, 1))
        if sim_source == "mp":
            if not np.allclose(np.atleast_1d(np.asarray(n_real, float)), 100.0):
                raise UnknownCurveError("single-axis")
            n = np.atleast_1d(np.asarray(n_sim, float))
            c = np.array([0.25, 0.28, 0.31, 0.32])[:, None]
            return c + 0.5 * n[None, :] ** -0.5
        raise UnknownCurveError(sim_source)


def test_exchange_reports_infinite_m_eq_instead_of_a_zero_rate_and_flags_extrapolation(
        ) -> None:
    op = OperatingPoint({("a", "mp"): 10_000.0}, {("a", "mp"): 100.0}, {"a": 100.0})
    row = exchange_table(Curves(), operating=op).iloc[0]
    assert row["p_m_eq_infinite"] == pytest.approx(0.5)       # two draws beat the floor
    assert row["marginal_rate_q05"] > 0                        # release code: 0 there
    assert row["extrapolation_q95"] == np.inf and row["extrapolation_q50"] > 10
    assert bool(row["extrapolated"])
    assert 0.0 <= row["p_no_transfer"] <= 1.0


# ------------------------------------------------------------------ 4. P(unreachable)
def test_surface_database_route_floor_is_the_asymptote_not_the_error_at_1e12() -> None:
    table = grid_table()
    # a slow transfer exponent: at n = 1e12 much of the decaying term remains
    post = family_posterior(table, "edt", {"log_c": np.log(0.2), "log_a": np.log(0.6),
                                           "beta": 0.3, "log_t0": -3.0, "a_t": 0.05,
                                           "b_t": 0.0})
    floor = post.route_floor("g", "mp", 10000.0, 200.0)
    assert floor is not None
    scale = post.point_parameters("g", "mp", 10000.0, 200.0)["scale"]
    assert np.allclose(floor, 0.2 * scale)
    target = float(0.2 * scale * 1.05)
    sizes = required_size_table(post, {"g": target})
    db = sizes[sizes["route"] == "mp"].iloc[0]
    assert db["unreachable_basis"] == "asymptote"
    assert db["p_unreachable"] == 0.0        # release code: E(1e12) > target -> 1.0


def test_a_floor_whose_posterior_is_its_prior_is_reported_not_identified() -> None:
    table = grid_table()
    post = family_posterior(table, "edt", {"log_c": np.log(0.2), "log_a": np.log(0.6),
                                           "beta": 0.3, "log_t0": -3.0, "a_t": 0.3,
                                           "b_t": 0.0}, jitter=0.01)
    sizes = required_size_table(post, {"g": 0.1})
    assert sizes["floor_identified"].tolist() == [True, True]     # tight draws
    prior = post.prior_view(draws=200)
    assert prior.n_draws == 200
    flat = required_size_table(prior, {"g": 0.1})
    assert flat["floor_identified"].tolist() == [False, False]    # the prior itself
    assert flat["floor_spread"].tolist() == pytest.approx([1.0, 1.0], rel=0.15)
    assert all("not identified by the data" in n for n in flat["note"])


def test_thinning_a_posterior_keeps_every_kth_draw_and_evaluates_only_those() -> None:
    from sim2real.planner.optim.flip import thin_model

    post = family_posterior(grid_table(), "edt", {"log_c": np.log(0.2), "log_a": np.log(0.6),
                                                  "beta": 0.3, "log_t0": -3.0, "a_t": 0.3,
                                                  "b_t": 0.0}, jitter=0.05)
    thin = thin_model(post, 5)
    assert type(thin) is type(post) and thin.n_draws == post.n_draws // 5
    full = post.error_draws("g", "mp", [1000.0], [100.0])
    kept = full.reshape(2, -1, 1)[:, ::5].reshape(-1, 1)
    assert np.allclose(thin.error_draws("g", "mp", [1000.0], [100.0]), kept)
