"""Decision quantities against closed forms on hand-built posteriors (any family)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim2real.models.errors import PlanningError, UnknownCurveError
from sim2real.models.evaluation.point_draws import CurveDraws, PowerLawDraws
from sim2real.planner.decisions import database_value_table, exchange_table, required_size_table
from sim2real.planner.decisions.core import (
    average_rate,
    invert_on_grid,
    marginal_rate,
    p_unreachable,
)
from sim2real.planner.decisions.curves import REAL, RouteCurve
from sim2real.planner.decisions.surface import surface_exchange_table
from sim2real.planner.optim.problem import OperatingPoint
from tests.planner.planner_fixtures import const, family_posterior, one_task


class Hidden:
    """Wraps a model but hides its parameters (forces the numeric paths)."""

    def __init__(self, model: PowerLawDraws) -> None:
        self._m = model
        self.n_draws = model.n_draws

    def error_draws(self, task, sim_source, n_sim, n_real):
        return self._m.error_draws(task, sim_source, n_sim, n_real)


class ClosedForms(Hidden):
    """Adds closed-form floors / sizes to a PowerLawDraws (the optional route members)."""

    def route_floor(self, task, sim_source, n_sim, n_real):
        return self._m.curves[(task, sim_source)].c

    def route_size_to_reach(self, task, sim_source, n_sim, n_real, target):
        p = self._m.curves[(task, sim_source)]
        gap = np.asarray(target) - p.c
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(gap > 0, (p.d / gap) ** (1.0 / p.alpha), np.inf)


class NoClosedForm(Hidden):
    """Has the optional members but no closed form along any route (returns None)."""

    def route_floor(self, task, sim_source, n_sim, n_real):
        return None

    def route_size_to_reach(self, task, sim_source, n_sim, n_real, target):
        return None


class TwoAxis:
    """E(n, m) = 0.05 + 2 m^-0.5 + 3 n^-0.4 for database 'mp'; scratch 0.05 + 2 m^-0.5."""

    n_draws = 4

    def error_draws(self, task, sim_source, n_sim, n_real):
        n = np.atleast_1d(np.asarray(n_sim, float))
        m = np.atleast_1d(np.asarray(n_real, float))
        e = 0.05 + 2 * m ** -0.5 + (3 * np.maximum(n, 1e-9) ** -0.4 if sim_source == "mp"
                                    else 0.0)
        return np.tile(np.broadcast_to(e, np.broadcast(n, m).shape), (4, 1))


def test_route_uses_closed_forms_when_offered_else_the_grid() -> None:
    model, _ = one_task(const(0.1, 1.0, 0.5), const(0.05, 3.0, 0.4, 50.0))
    exact = RouteCurve(ClosedForms(model), "a", REAL, 50.0, 50.0)
    np.testing.assert_array_equal(exact.size_to_reach(0.2), np.full(8, 100.0))
    np.testing.assert_array_equal(exact.floor(), np.full(8, 0.1))
    assert np.isinf(exact.size_to_reach(0.1)).all()
    for numeric in (Hidden(model), NoClosedForm(model)):
        r = RouteCurve(numeric, "a", REAL, 50.0, 50.0)
        np.testing.assert_allclose(r.size_to_reach(0.2), 100.0, rtol=0.02)
        np.testing.assert_allclose(r.floor(), 0.1, rtol=2e-5)     # error at 1e12
    # draw-wise targets (one per draw) and draw-wise slopes
    targets = np.linspace(0.15, 0.4, 8)
    np.testing.assert_allclose(exact.size_to_reach(targets), (1.0 / (targets - 0.1)) ** 2)
    x = np.geomspace(10.0, 1e4, 8)
    np.testing.assert_allclose(RouteCurve(Hidden(model), "a", REAL, 50.0, 50.0).slope(x),
                               -0.5 * x ** -1.5, rtol=1e-7)


def test_posterior_routes_use_its_closed_forms(
        hand_built_posterior: Callable[..., Any]) -> None:
    post = hand_built_posterior()     # scratch 0.2 + 2 m^-0.5, dft 0.1 + n^-0.3 at m = 20
    tab = required_size_table(post, {"t": 0.3}).set_index("route")
    assert tab.loc["real", "size_q50"] == pytest.approx((2.0 / 0.1) ** 2, rel=1e-9)
    assert tab.loc["dft", "size_q50"] == pytest.approx((1.0 / 0.2) ** (1 / 0.3), rel=1e-9)
    assert tab.loc["real", "p_unreachable"] == 0.0
    num = required_size_table(Hidden(post), {"t": 0.3}, table=post.data.table).set_index(
        "route")
    assert num.loc["dft", "size_q50"] == pytest.approx(tab.loc["dft", "size_q50"], rel=0.02)
    assert (required_size_table(post, {"t": 0.15})["p_unreachable"].tolist()
            == [1.0, 0.0])


def test_posterior_exchange_rates_closed_form(
        hand_built_posterior: Callable[..., Any]) -> None:
    post = hand_built_posterior()
    row = exchange_table(post).iloc[0]
    assert 0.1 + 10000.0 ** -0.3 < 0.2                   # transfer beats the scratch floor
    assert np.isinf(row["m_eq_q50"])
    # no scratch size matches: no marginal rate (not a silent 0), and the share is said
    assert np.isnan(row["marginal_rate_q50"]) and row["p_m_eq_infinite"] == 1.0
    row = exchange_table(post, operating=OperatingPoint({("t", "dft"): 100.0},
                                                        {("t", "dft"): 20.0},
                                                        {"t": 80.0})).iloc[0]
    e_t = 0.1 + 100.0 ** -0.3
    m_eq = (2.0 / (e_t - 0.2)) ** 2
    assert row["m_eq_q50"] == pytest.approx(m_eq, rel=1e-9)
    de_dm, de_dn = -0.5 * 2.0 * m_eq ** -1.5, -0.3 * 100.0 ** -1.3
    assert row["marginal_rate_q50"] == pytest.approx(de_dm / de_dn, rel=1e-6)
    assert row["marginal_method"] == "scratch_slope_at_m_eq"
    numeric = exchange_table(Hidden(post), operating=OperatingPoint(
        {("t", "dft"): 100.0}, {("t", "dft"): 20.0}, {"t": 80.0})).iloc[0]
    assert numeric["m_eq_q50"] == pytest.approx(m_eq, rel=0.01)
    assert numeric["marginal_rate_q50"] == pytest.approx(de_dm / de_dn, rel=0.02)


#: EDT surface: C = 0.1, A = 0.5, beta = 0.5 (task); t0 = 1, a = 0.5, b = 0.2 (database).
EDT = {"log_c": np.log(0.1), "log_a": np.log(0.5), "beta": 0.5, "log_t0": 0.0, "a_t": 0.5,
       "b_t": 0.2}


def _edt_posterior(jitter: float = 0.0) -> Any:
    from tests.conftest import make_simple_table

    return family_posterior(make_simple_table(), "edt", EDT, jitter=jitter)


def test_one_exchange_table_for_surfaces_edt_is_m_plus_t() -> None:
    post = _edt_posterior(jitter=0.05)
    d = post.design
    m_ref, n_ref = float(d.refs["task"]["m_ref"][0]), float(d.refs["pair"]["n_ref"][0])
    table = exchange_table(post)
    assert table[["task", "sim_source", "n_sim", "n_real"]].values.tolist() == [
        ["t", "dft", 10000.0, 20.0]]
    row = table.iloc[0]
    assert row["marginal_method"] == "two_axis"
    # the median draw of T = m_ref t0 (n / n_ref)^a (m / m_ref)^b, exactly m + T
    t0, a, b = (post.draws(k)[:, 0] for k in ("log_t0", "a_t", "b_t"))
    t = m_ref * np.exp(t0) * (10000.0 / n_ref) ** a * (20.0 / m_ref) ** b
    assert row["m_eq_q50"] == pytest.approx(np.quantile(20.0 + t, 0.5, method="inverted_cdf"),
                                            rel=1e-9)
    assert row["transferred_q50"] == pytest.approx(row["m_eq_q50"] - 20.0)
    assert 0 < row["marginal_rate_q05"] <= row["marginal_rate_q95"] < np.inf
    alias = surface_exchange_table(post, points={("t", "dft"): (10000.0, 20.0)})
    pd.testing.assert_frame_equal(alias, table)


def test_surface_exchange_matches_its_formula_draw_by_draw() -> None:
    post = _edt_posterior()
    d = post.design
    m_ref, n_ref = float(d.refs["task"]["m_ref"][0]), float(d.refs["pair"]["n_ref"][0])
    scale = float(d.refs["task"]["scale"][0])
    n, m = 2000.0, 40.0
    row = surface_exchange_table(post, points={("t", "dft"): (n, m)}).iloc[0]
    t = m_ref * (n / n_ref) ** 0.5 * (m / m_ref) ** 0.2
    assert row["m_eq_q50"] == pytest.approx(m + t, rel=1e-9)
    assert row["average_rate_q50"] == pytest.approx(n / t, rel=1e-9)

    def err(nn: float, mm: float) -> float:
        tt = m_ref * (nn / n_ref) ** 0.5 * (mm / m_ref) ** 0.2
        return scale * (0.1 + 0.5 * ((mm + tt) / m_ref) ** -0.5)

    h = 1e-3
    de_dm = (err(n, m * (1 + h)) - err(n, m * (1 - h))) / (2 * h * m)
    de_dn = (err(n * (1 + h), m) - err(n * (1 - h), m)) / (2 * h * n)
    assert row["marginal_rate_q50"] == pytest.approx(de_dm / de_dn, rel=1e-5)
    # the scratch route has the family's closed form; the database route is inverted
    sizes = required_size_table(post, {"t": 0.5 * scale}).set_index("route")
    want = m_ref * ((0.5 - 0.1) / 0.5) ** (-1 / 0.5)
    assert sizes.loc["real", "size_q50"] == pytest.approx(want, rel=1e-9)
    assert np.isfinite(sizes.loc["dft", "size_q50"])


def test_rates_closed_form() -> None:
    np.testing.assert_allclose(average_rate(1000.0, 50.0, np.array([250.0])), [5.0])
    np.testing.assert_allclose(marginal_rate(np.array([-0.02]), np.array([-0.001])), [20.0])
    assert np.isinf(marginal_rate(np.array([-0.02]), np.array([0.0]))[0])
    assert p_unreachable(np.array([0.1, 0.3, 0.5]), 0.3) == pytest.approx(2 / 3)


def test_required_size_table_matches_closed_form_and_numeric() -> None:
    model, op = one_task(const(0.1, 1.0, 0.5), const(0.05, 3.0, 0.4, 50.0))
    tab = required_size_table(ClosedForms(model), {"a": 0.2}, operating=op).set_index(
        "route")
    assert tab.loc["real", "size_q50"] == pytest.approx(100.0)
    assert tab.loc["mp", "size_q50"] == pytest.approx((3.0 / 0.15) ** (1 / 0.4))
    num = required_size_table(Hidden(model), {"a": 0.2}, operating=op).set_index("route")
    assert num.loc["real", "size_q50"] == pytest.approx(100.0, rel=0.02)


def test_p_unreachable_counts_draws_with_floor_above_target() -> None:
    c = np.array([0.1, 0.1, 0.3, 0.4])
    curve = CurveDraws(c, np.ones(4), np.full(4, 0.5), 50.0)
    model, op = one_task(const(0.01, 1.0, 0.5, s=4), curve)
    tab = required_size_table(ClosedForms(model), {"a": 0.25}, operating=op).set_index(
        "route")
    assert tab.loc["mp", "p_unreachable"] == pytest.approx(0.5)
    assert np.isinf(tab.loc["mp", "size_q95"])
    assert "floor above target" in tab.loc["mp", "note"]
    assert tab.loc["real", "p_unreachable"] == 0.0


def test_exchange_rates_closed_form() -> None:
    cs, ds, a = 0.05, 2.0, 0.5
    model, op = one_task(const(cs, ds, a), const(0.02, 3.0, 0.4, 50.0), n0=1000.0, m0=50.0)
    e_t = 0.02 + 3.0 * 1000.0 ** -0.4
    m_eq = (ds / (e_t - cs)) ** (1 / a)
    de_dm = -a * ds * m_eq ** (-a - 1)
    de_dn = -0.4 * 3.0 * 1000.0 ** -1.4
    for m, tol in ((ClosedForms(model), 1e-9), (model, 2e-3)):   # closed form, grid
        row = exchange_table(m, operating=op).iloc[0]
        assert row["m_eq_q50"] == pytest.approx(m_eq, rel=tol)
        assert row["transferred_q50"] == pytest.approx(m_eq - 50.0, rel=tol)
        assert row["average_rate_q50"] == pytest.approx(1000.0 / (m_eq - 50.0), rel=tol)
        assert row["marginal_rate_q50"] == pytest.approx(de_dm / de_dn, rel=max(tol, 1e-7))
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
