"""Price flip points: the experiment price at which the recommendation changes.

For a pair (experiments of a task ``real:<task>``, a database ``D``) the *flip ratio* is
the price of one experiment in units of one simulation of ``D`` at which the planned batch
stops spending most of the pair's money on experiments and starts spending it on
simulations. It is found by re-planning the same problem (same budget, objective, other
prices) with the experiment price scanned over a log grid of ratios and then bisected in
log space between the two grid ratios that bracket the change.

The interval beside it is the posterior uncertainty of the trade at the flip: the 5-95%
quantiles of the draw-wise marginal rate ``(dE/dm) / (dE/dn)`` (simulations of ``D`` that
buy the error reduction of one more experiment) at the operating point the flip batch
leads to, taken along the joint model (a surface moves the pre-trained route along
``n_real`` too). At the flip, an expected-error planner is indifferent between the two at
the margin, so the flip ratio sits near the posterior mean of that rate.

Examples
--------
>>> share_of_simulations({"mp": 300, "real:gap": 1}, {"mp": 1.0, "real:gap": 100.0},
...                      "mp", "real:gap")
0.75
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from sim2real.models.errors import PlanningError, UnknownCurveError
from sim2real.planner.optim.problem import OperatingPoint, PlanProblem

#: Experiment prices scanned, in simulations of the database per experiment.
RATIO_GRID = (1.0, 10.0, 100.0, 1_000.0, 10_000.0, 100_000.0)
#: Bisection steps in log ratio between the bracketing grid ratios (10x -> ~1.33x).
BISECTIONS = 3
#: Planner settings of the scan (the report's fast settings).
SCAN = {"num_restarts": 2, "raw_samples": 64, "maxiter": 60}
#: Posterior draws the scan plans on (every k-th draw; the interval uses all draws).
SCAN_DRAWS = 128

Planner = Callable[[Any, PlanProblem], Any]


@dataclass(frozen=True)
class FlipPoint:
    """The flip of one (experiment, database) pair.

    ``ratio`` is ``None`` when the recommendation does not change over the scanned range
    (``below``/``above`` then say what it buys at both ends: ``"experiments"``,
    ``"simulations"`` or ``"neither"``); ``rate_q05/q50/q95`` is the draw-wise marginal
    rate at the flip point (or at the current point without a flip).
    """

    experiment: str
    database: str
    ratio: float | None
    below: str
    above: str
    rate_q05: float
    rate_q50: float
    rate_q95: float
    current_ratio: float
    allocation: dict[str, int] | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (plan.json ``flip_points``)."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class ThinnedModel:
    """Every ``step``-th posterior draw of an :class:`~planner.protocols.ErrorModel`.

    Examples
    --------
    >>> class M:
    ...     n_draws = 4
    ...     def error_draws(self, task, s, n_sim, n_real):
    ...         return np.arange(4.0)[:, None] + np.zeros((1, 1))
    >>> ThinnedModel(M(), 2).error_draws("t", "none", 0, 1)[:, 0].tolist()
    [0.0, 2.0]
    """

    def __init__(self, model: Any, step: int) -> None:
        self.model = model
        self.index = np.arange(0, int(model.n_draws), max(int(step), 1))

    @property
    def n_draws(self) -> int:
        """Draws kept."""
        return int(self.index.size)

    @property
    def data(self) -> Any:
        """The wrapped model's data (operating point, scratch range)."""
        return getattr(self.model, "data", None)

    def error_draws(self, task: str, sim_source: str, n_sim: Any, n_real: Any) -> Any:
        """The wrapped model's error draws at the kept draws."""
        out = self.model.error_draws(task, sim_source, n_sim, n_real)
        if isinstance(out, np.ndarray):
            return out[self.index]
        import torch

        return out[torch.as_tensor(self.index)]

    @property
    def nu_draws(self) -> Any:
        """The wrapped Student-t degrees of freedom at the kept draws (or ``None``)."""
        nu = getattr(self.model, "nu_draws", None)
        return None if nu is None else np.asarray(nu)[self.index]

    def __getattr__(self, name: str) -> Any:
        if name == "noise_draws" and hasattr(self.model, "noise_draws"):
            def noise_draws(task: str, sim_source: str, n_sim: Any, n_real: Any) -> Any:
                out = self.model.noise_draws(task, sim_source, n_sim, n_real)
                if hasattr(out, "detach"):                      # torch: keep the graph
                    import torch

                    return out[torch.as_tensor(self.index)]
                return np.asarray(out)[self.index]
            return noise_draws
        raise AttributeError(name)

    def route_floor(self, task: str, sim_source: str, n_sim: float, n_real: float) -> Any:
        """The wrapped closed-form floor at the kept draws (``None`` without one)."""
        closed = getattr(self.model, "route_floor", None)
        out = closed(task, sim_source, n_sim, n_real) if closed is not None else None
        return None if out is None else np.broadcast_to(
            np.asarray(out, dtype=float), (int(self.model.n_draws),))[self.index]

    def route_size_to_reach(self, task: str, sim_source: str, n_sim: float, n_real: float,
                            target: Any) -> Any:
        """The wrapped closed form at the kept draws, for one scalar target (``None``
        otherwise: the caller inverts the error draws)."""
        closed = getattr(self.model, "route_size_to_reach", None)
        if closed is None or np.ndim(target) > 0:
            return None
        out = closed(task, sim_source, n_sim, n_real, target)
        return None if out is None else np.broadcast_to(
            np.asarray(out, dtype=float), (int(self.model.n_draws),))[self.index]


def thin_model(model: Any, step: int) -> Any:
    """``model`` with every ``step``-th draw: the model's own ``thin`` where it has one
    (a fitted posterior then evaluates only the kept draws), else :class:`ThinnedModel`."""
    if step <= 1:
        return model
    own = getattr(model, "thin", None)
    return own(step) if callable(own) else ThinnedModel(model, step)


def share_of_simulations(allocation: Mapping[str, float], costs: Mapping[str, float],
                         database: str, experiment: str) -> float:
    """Share of the pair's money spent on ``database`` (NaN when the pair buys nothing)."""
    sim = float(allocation.get(database, 0)) * costs[database]
    real = float(allocation.get(experiment, 0)) * costs[experiment]
    return sim / (sim + real) if sim + real > 0 else float("nan")


def _side(share: float) -> str:
    if math.isnan(share):
        return "neither"
    return "simulations" if share > 0.5 else "experiments"


def _with_ratio(problem: PlanProblem, experiment: str, database: str,
                ratio: float) -> PlanProblem:
    db = problem.source(database)
    sources = tuple(replace(s, cost=ratio * db.cost) if s.name == experiment else s
                    for s in problem.sources)
    return replace(problem, sources=sources)


def flip_point(model: Any, problem: PlanProblem, planner: Planner, experiment: str,
               database: str, grid: Sequence[float] = RATIO_GRID,
               bisections: int = BISECTIONS) -> FlipPoint:
    """The flip of one pair by scan + log bisection (see the module docstring).

    ``planner(model, problem)`` returns a :class:`~planner.optim.result.PlanResult`;
    ``model`` is planned on as given (thin it first for speed: :class:`ThinnedModel`).
    """
    current = problem.source(experiment).cost / problem.source(database).cost
    memo: dict[float, float] = {}

    def share(r: float) -> float:
        if r not in memo:
            try:
                prob = _with_ratio(problem, experiment, database, r)
                res = planner(model, prob)
                costs = {s.name: s.cost for s in prob.sources}
                memo[r] = share_of_simulations(res.allocation, costs, database, experiment)
            except PlanningError:
                memo[r] = float("nan")
        return memo[r]

    shares = [share(r) for r in grid]
    sides = [_side(s) for s in shares]
    bracket = next((i for i in range(len(grid) - 1)
                    if sides[i] == "experiments" and sides[i + 1] == "simulations"), None)
    if bracket is None:
        rate = marginal_rate_at(model, problem, experiment, database, None)
        return FlipPoint(experiment, database, None, sides[0], sides[-1], *rate,
                         current_ratio=current,
                         note=f"no change of recommendation between {grid[0]:g} and "
                              f"{grid[-1]:g} simulations per experiment")
    lo, hi = math.log(grid[bracket]), math.log(grid[bracket + 1])
    for _ in range(bisections):
        mid = 0.5 * (lo + hi)
        if _side(share(math.exp(mid))) == "simulations":
            hi = mid
        else:
            lo = mid
    ratio = math.exp(0.5 * (lo + hi))
    alloc = {k: int(v) for k, v in planner(
        model, _with_ratio(problem, experiment, database, ratio)).allocation.items()}
    rate = marginal_rate_at(model, problem, experiment, database, alloc)
    return FlipPoint(experiment, database, ratio, "experiments", "simulations", *rate,
                     current_ratio=current, allocation=alloc)


def marginal_rate_at(model: Any, problem: PlanProblem, experiment: str, database: str,
                     allocation: Mapping[str, float] | None) -> tuple[float, float, float]:
    """q05/q50/q95 of the draw-wise marginal rate ``(dE/dm)/(dE/dn)`` of the pair after
    ``allocation`` (NaN where the model does not describe the pair's route)."""
    from sim2real.planner.decisions import exchange_table

    nan = (float("nan"), float("nan"), float("nan"))
    op = problem.operating
    task = problem.source(experiment).task or ""
    key = (task, database)
    if key not in op.n_sim:
        return nan
    added = dict(allocation or {})
    m_add = float(added.get(experiment, 0))
    n_sim = {**op.n_sim, key: op.n_sim[key] + float(added.get(database, 0))}
    n_real = {**op.n_real, task: op.n_real[task] + m_add}
    # a surface moves the database route along n_real too; a single-axis model keeps it
    # at the n_real it was measured at (the planner's convention)
    for curve_m in ({**op.curve_n_real, key: op.curve_n_real[key] + m_add},
                    dict(op.curve_n_real)):
        try:
            rows = exchange_table(model, tasks=[task],
                                  operating=OperatingPoint(n_sim, curve_m, n_real))
        except UnknownCurveError:
            continue
        if "sim_source" in rows and (rows["sim_source"] == database).any():
            break
    else:
        return nan
    r = rows[rows["sim_source"] == database].iloc[0]
    return (float(r["marginal_rate_q05"]), float(r["marginal_rate_q50"]),
            float(r["marginal_rate_q95"]))


def flip_points(model: Any, problem: PlanProblem, planner: Planner,
                pairs: Sequence[tuple[str, str]] | None = None,
                scan_draws: int = SCAN_DRAWS,
                advance: Callable[[str], None] | None = None,
                grid: Sequence[float] = RATIO_GRID,
                bisections: int = BISECTIONS) -> list[FlipPoint]:
    """Flip points of every (experiment, database) pair of ``problem`` (or ``pairs``).

    The scan plans on about ``scan_draws`` evenly thinned draws; intervals use every draw.
    """
    if pairs is None:
        pairs = [(e.name, d.name) for e in problem.sources if e.is_real
                 for d in problem.sources
                 if not d.is_real and (e.task, d.name) in problem.operating.n_sim]
    step = max(int(model.n_draws) // max(scan_draws, 1), 1)
    thin = thin_model(model, step)
    out = []
    for experiment, database in pairs:
        if advance is not None:
            advance(f"flip point: {experiment} vs {database}")
        point = flip_point(thin, problem, planner, experiment, database, grid, bisections)
        if thin is not model:   # the interval from every draw
            rate = marginal_rate_at(model, problem, experiment, database, point.allocation)
            point = replace(point, rate_q05=rate[0], rate_q50=rate[1], rate_q95=rate[2])
        out.append(point)
    return out


def price_flips(model: Any, problem: PlanProblem, objective: Any, seed: int = 0,
                advance: Callable[[str], None] | None = None,
                bought: Mapping[str, float] | None = None,
                every_pair: bool = False) -> list[FlipPoint]:
    """:func:`flip_points` planned with ``objective`` and the scan's fast optimizer
    settings (:data:`SCAN`); empty without both kinds of source.

    By default one pair per experiment source: its task's database with the lowest
    posterior mean error now, plus every database the plan ``bought``;
    ``every_pair=True`` scans every (experiment, database) pair.
    """
    from sim2real.planner.optim.optimizer import plan_batch

    def planner(m: Any, prob: PlanProblem) -> Any:
        return plan_batch(m, prob, objective, seed=seed, **SCAN)

    if not any(s.is_real for s in problem.sources) or \
            all(s.is_real for s in problem.sources):
        return []
    pairs = None if every_pair else default_pairs(model, problem, bought or {})
    return flip_points(model, problem, planner, pairs=pairs, advance=advance)


def _mean_error(model: Any, op: OperatingPoint, task: str, db: str) -> float:
    key = (task, db)
    try:
        draws = model.error_draws(task, db, [op.n_sim[key]], [op.curve_n_real[key]])
    except UnknownCurveError:
        return float("inf")
    return float(np.mean(np.asarray(draws)))


def default_pairs(model: Any, problem: PlanProblem,
                  bought: Mapping[str, float]) -> list[tuple[str, str]]:
    """Per experiment source: the priced database of its task with the lowest posterior
    mean error at the current point, and every priced database in ``bought``."""
    op = problem.operating
    out: list[tuple[str, str]] = []
    for e in (s for s in problem.sources if s.is_real):
        task = e.task or ""
        dbs = [d.name for d in problem.sources
               if not d.is_real and (task, d.name) in op.n_sim]
        if not dbs:
            continue
        errors = {d: _mean_error(model, op, task, d) for d in dbs}
        best = min(dbs, key=errors.__getitem__)
        chosen = {best} | {d for d in dbs if bought.get(d, 0) > 0}
        out += [(e.name, d) for d in dbs if d in chosen]
    return out
