"""Decision quantities against closed forms on hand-built posteriors."""

from __future__ import annotations

import numpy as np
import pytest

from models.errors import PlanningError, UnknownCurveError
from planner.decisions import database_value_table, exchange_table, required_size_table
from planner.decisions.core import (
    average_rate,
    invert_on_grid,
    marginal_rate,
    p_unreachable,
    size_to_reach,
)
from planner.optim.pointmodel import CurveDraws, PowerLawDraws
from planner.optim.problem import OperatingPoint
from tests.planner.planner_fixtures import const, one_task


class Hidden:
    """Wraps a model but hides its parameters (forces the numeric paths)."""

    def __init__(self, model: PowerLawDraws) -> None:
        self._m = model
        self.n_draws = model.n_draws

    def error_draws(self, task, sim_source, n_sim, n_real):
        return self._m.error_draws(task, sim_source, n_sim, n_real)


class TwoAxis:
    """E(n, m) = 0.05 + 2 m^-0.5 + 3 n^-0.4 for database 'mp'; scratch 0.05 + 2 m^-0.5."""

    n_draws = 4

    def error_draws(self, task, sim_source, n_sim, n_real):
        n = np.atleast_1d(np.asarray(n_sim, float))
        m = np.atleast_1d(np.asarray(n_real, float))
        e = 0.05 + 2 * m ** -0.5 + (3 * np.maximum(n, 1e-9) ** -0.4 if sim_source == "mp"
                                    else 0.0)
        return np.tile(np.broadcast_to(e, np.broadcast(n, m).shape), (4, 1))


def test_size_to_reach_closed_form() -> None:
    got = size_to_reach(np.array([0.1, 0.0]), np.array([1.0, 2.0]), np.array([0.5, 1.0]), 0.2)
    np.testing.assert_allclose(got, [100.0, 10.0])
    assert np.isinf(size_to_reach(np.array([0.2]), np.array([1.0]), np.array([1.0]), 0.2))[0]


def test_rates_closed_form() -> None:
    np.testing.assert_allclose(average_rate(1000.0, 50.0, np.array([250.0])), [5.0])
    np.testing.assert_allclose(marginal_rate(np.array([-0.02]), np.array([-0.001])), [20.0])
    assert np.isinf(marginal_rate(np.array([-0.02]), np.array([0.0]))[0])
    assert p_unreachable(np.array([0.1, 0.3, 0.5]), 0.3) == pytest.approx(2 / 3)


def test_required_size_table_matches_closed_form_and_numeric() -> None:
    model, op = one_task(const(0.1, 1.0, 0.5), const(0.05, 3.0, 0.4, 50.0))
    tab = required_size_table(model, {"a": 0.2}, operating=op).set_index("route")
    assert tab.loc["real", "size_q50"] == pytest.approx(100.0)
    assert tab.loc["mp", "size_q50"] == pytest.approx((3.0 / 0.15) ** (1 / 0.4))
    num = required_size_table(Hidden(model), {"a": 0.2}, operating=op).set_index("route")
    assert num.loc["real", "size_q50"] == pytest.approx(100.0, rel=0.02)


def test_p_unreachable_counts_draws_with_floor_above_target() -> None:
    c = np.array([0.1, 0.1, 0.3, 0.4])
    curve = CurveDraws(c, np.ones(4), np.full(4, 0.5), 50.0)
    model, op = one_task(const(0.01, 1.0, 0.5, s=4), curve)
    tab = required_size_table(model, {"a": 0.25}, operating=op).set_index("route")
    assert tab.loc["mp", "p_unreachable"] == pytest.approx(0.5)
    assert np.isinf(tab.loc["mp", "size_q95"])
    assert "floor above target" in tab.loc["mp", "note"]
    assert tab.loc["real", "p_unreachable"] == 0.0


def test_exchange_rates_closed_form() -> None:
    cs, ds, a = 0.05, 2.0, 0.5
    model, op = one_task(const(cs, ds, a), const(0.02, 3.0, 0.4, 50.0), n0=1000.0, m0=50.0)
    row = exchange_table(model, operating=op).iloc[0]
    e_t = 0.02 + 3.0 * 1000.0 ** -0.4
    m_eq = (ds / (e_t - cs)) ** (1 / a)
    assert row["m_eq_q50"] == pytest.approx(m_eq)
    assert row["transferred_q50"] == pytest.approx(m_eq - 50.0)
    assert row["average_rate_q50"] == pytest.approx(1000.0 / (m_eq - 50.0))
    de_dm = -a * ds * m_eq ** (-a - 1)
    de_dn = -0.4 * 3.0 * 1000.0 ** -1.4
    assert row["marginal_rate_q50"] == pytest.approx(de_dm / de_dn, rel=1e-6)
    assert row["marginal_method"] == "scratch_slope_at_m_eq"


def test_exchange_two_axis_marginal_rate() -> None:
    op = OperatingPoint({("a", "mp"): 1000.0}, {("a", "mp"): 50.0}, {"a": 50.0})
    row = exchange_table(TwoAxis(), operating=op).iloc[0]
    expect = (0.5 * 2 * 50.0 ** -1.5) / (0.4 * 3 * 1000.0 ** -1.4)
    assert row["marginal_method"] == "two_axis"
    assert row["marginal_rate_q50"] == pytest.approx(expect, rel=1e-3)


def test_database_value_closed_form() -> None:
    model, op = one_task(const(0.5, 1.0, 0.5), const(0.01, 3.0, 0.4, 50.0))
    row = database_value_table(model, step=1000, operating=op).iloc[0]
    expect = 3.0 * (1000.0 ** -0.4 - 2000.0 ** -0.4)
    assert row["reduction_q50"] == pytest.approx(expect)


def test_invert_on_grid_unreachable() -> None:
    out = invert_on_grid(lambda x: np.vstack([0.3 + x ** -0.5, 0.1 + x ** -0.5]), 0.2)
    assert np.isinf(out[0]) and out[1] == pytest.approx(100.0, rel=0.02)


def test_decision_errors() -> None:
    model, op = one_task(const(0.1, 1.0, 0.5), const(0.05, 3.0, 0.4, 50.0))
    with pytest.raises(PlanningError):
        required_size_table(model, {"a": 0.0}, operating=op)
    with pytest.raises(UnknownCurveError):
        required_size_table(model, {"zzz": 0.1}, operating=op)
