"""Retrospective planning validation: plan, acquire from the unused pools, compare, repeat.

Start from a small design (a scratch curve and one short transfer curve per database),
fit the hierarchical power-law model, let a strategy (the Bayesian planner or a baseline
of :mod:`planner.optim.baselines`) recommend a batch under a per-round budget, *acquire*
it by actually pre-training / fine-tuning on the next rows of the leakage-free pools
(:class:`SweepMeasurer`), score the realized errors against the posterior predictive
intervals made before acquiring, append the runs, refit and repeat.

Conventions (the planner's, see ``docs/planner.md``): the initial transfer curves are
measured at every ``curve_n_real`` level, so the default ``family="auto"`` fits the joint
surface E(n_sim, n_real) (one ``n_real`` level: the single-axis fallback). On the joint
model, ``k`` simulations and ``j`` experiments move every database route to
``(n_sim + k, n_real + j)`` and the scratch curve to ``n_real + j``: new experiments
improve every route that fine-tunes on them, and each moved route is measured. On the
single-axis fallback a database curve stays at the ``n_real`` it was measured at.
Acquired sets are nested (the first ``n`` rows of a seeded shuffle plus
``k`` more), and the per-seed real test compositions never change. A strategy stops once
its realized task error (the best route's mean over seeds) meets the target.

Examples
--------
>>> spec = RetroSpec(task="band_gap", sources=("mp",), budget=10_000, target=0.62)
>>> [k.name for k in initial_keys(spec)][:2]
['none__nsim0__nreal50__seed0', 'none__nsim0__nreal100__seed0']
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim2real.case_studies.retro_measure import Measure, SweepMeasurer, synthetic_measure
from sim2real.case_studies.retro_scoring import (
    cost_to_target,
    coverage_table,
    interval_row,
    realized_task_error,
    replicate_draws,
)
from sim2real.case_studies.store import RunKey, atomic_write_bytes
from sim2real.models.errors import SpecError
from sim2real.models.inference.fit import as_curve_data
from sim2real.models.inference.fit import fit as fit_model
from sim2real.models.inference.spec import ModelSpec, SamplerConfig
from sim2real.planner.optim.problem import OperatingPoint, PlanProblem, Source

__all__ = ["Measure", "RetroResult", "RetroSpec", "SweepMeasurer", "batch_keys",
           "build_problem", "initial_keys", "run_retrospective", "runs_table",
           "support_keys", "synthetic_measure"]

Fit = Callable[[pd.DataFrame], Any]


@dataclass(frozen=True)
class RetroSpec:
    """Settings of a retrospective validation (one task).

    Attributes
    ----------
    task : str
        Task name (the ``task`` column).
    sources : tuple of str
        Databases the planner may buy simulations of.
    budget : float
        Budget of every round (same money units as the costs).
    target : float
        Target error of the task; a strategy stops once its realized error meets it.
    sim_cost, real_cost : float
        Price of one simulation / one experiment.
    rounds : int
        Maximum number of plan-acquire-refit rounds per strategy.
    seeds : tuple of int
        Replicates (each with its own held-out test set and pool order).
    scratch_n_real : tuple of int
        Initial scratch curve (at least 3 sizes); its largest value is the initial
        number of experiments.
    init_n_sim, curve_n_real : tuple of int, tuple of int
        Initial transfer curves of every database: these ``n_sim`` at each
        ``curve_n_real`` level (two or more levels: the joint surface is fitted).
    max_n_sim, max_n_real : int, optional
        Caps on a database's total ``n_sim`` and the task's ``n_real`` (pool sizes or
        compute limits); the planner's per-source ``max`` is the room left.
    source_caps : mapping of str to int
        Per-database caps that override ``max_n_sim`` when lower (e.g. a small pool).
    sim_granularity, real_granularity : int
        Simulations / experiments are bought in multiples of these.
    strategies : tuple of str
        Keys of :data:`planner.optim.baselines.STRATEGIES`.
    probability : float
        Required P(target met) of the ``min_cost_with_probability`` objective.
    family : str
        Model family of every refit (``"auto"``: the joint surface on a grid).
    draws, chains, fit_seed : int
        NUTS settings of every refit (tuning steps = draws; target_accept 0.99 for a
        surface, as in the case studies).
    plan_seed : int
        Optimizer seed (round r uses ``plan_seed + r``).
    metric : str
        The ``metric`` column of the measured rows.
    """

    task: str
    sources: tuple[str, ...]
    budget: float
    target: float
    sim_cost: float = 1.0
    real_cost: float = 100.0
    rounds: int = 4
    seeds: tuple[int, ...] = (0, 1, 2)
    scratch_n_real: tuple[int, ...] = (50, 100, 200)
    init_n_sim: tuple[int, ...] = (100, 300, 1000)
    curve_n_real: tuple[int, ...] = (100, 200)
    max_n_sim: int = 30_000
    max_n_real: int | None = None
    source_caps: Mapping[str, int] = field(default_factory=dict)
    sim_granularity: int = 1000
    real_granularity: int = 10
    strategies: tuple[str, ...] = ("bayesian", "uniform_by_cost", "all_experiment")
    probability: float = 0.9
    family: str = "auto"
    draws: int = 500
    chains: int = 2
    fit_seed: int = 20251125
    plan_seed: int = 0
    metric: str = "MAE"

    def __post_init__(self) -> None:
        if isinstance(self.curve_n_real, int):      # one level (the pre-joint spelling)
            object.__setattr__(self, "curve_n_real", (self.curve_n_real,))

    def validate(self) -> RetroSpec:
        """Raise :class:`SpecError` naming the bad field and the fix."""
        from sim2real.planner.optim.baselines import STRATEGIES

        checks = {
            "sources": bool(self.sources) and "none" not in self.sources,
            "budget": self.budget > 0, "target": self.target > 0,
            "sim_cost": self.sim_cost > 0, "real_cost": self.real_cost > 0,
            "rounds": self.rounds >= 1, "seeds": len(set(self.seeds)) == len(self.seeds) > 0,
            "scratch_n_real": len(set(self.scratch_n_real)) >= 3,
            "init_n_sim": len(set(self.init_n_sim)) >= 3 and min(self.init_n_sim) > 0,
            "curve_n_real": bool(self.curve_n_real) and min(self.curve_n_real) > 0
            and len(set(self.curve_n_real)) == len(self.curve_n_real),
            "max_n_sim": self.max_n_sim > max(self.init_n_sim, default=0),
            "strategies": bool(self.strategies) and set(self.strategies) <= set(STRATEGIES),
            "probability": 0 < self.probability < 1,
        }
        for name, ok in checks.items():
            if not ok:
                raise SpecError(f"RetroSpec.{name} = {getattr(self, name)!r} is invalid. Fix: "
                                "positive prices/budget/target, >= 3 distinct initial sizes "
                                f"per curve, strategies from {sorted(STRATEGIES)}.")
        return self


def initial_keys(spec: RetroSpec) -> list[RunKey]:
    """Runs of the initial design: scratch curve plus one transfer curve per database.

    Examples
    --------
    >>> spec = RetroSpec(task="t", sources=("mp",), budget=1e4, target=0.6, seeds=(0,))
    >>> len(initial_keys(spec))                     # 3 scratch + 3 n_sim x 2 n_real
    9
    """
    keys = [RunKey("none", 0, m, s) for s in spec.seeds for m in spec.scratch_n_real]
    keys += [RunKey(src, n, m, s) for src in spec.sources for m in spec.curve_n_real
             for s in spec.seeds for n in spec.init_n_sim]
    return keys


def runs_table(spec: RetroSpec, errors: Mapping[RunKey, float]) -> pd.DataFrame:
    """Measured runs as a learning-curve contract table.

    Examples
    --------
    >>> spec = RetroSpec(task="t", sources=("mp",), budget=1e4, target=0.6)
    >>> runs_table(spec, {RunKey("none", 0, 50, 0): 0.9})["error"].tolist()
    [0.9]
    """
    rows = [{"task": spec.task, "sim_source": k.sim_source, "n_sim": k.n_sim,
             "n_real": k.n_real, "seed": k.seed, "error": float(v), "metric": spec.metric}
            for k, v in errors.items()]
    return pd.DataFrame(rows, columns=["task", "sim_source", "n_sim", "n_real", "seed",
                                       "error", "metric"])


def build_problem(spec: RetroSpec, table: pd.DataFrame) -> PlanProblem:
    """The round's planning problem at the operating point of ``table``.

    One source per database (``max`` = room left below ``max_n_sim``; dropped when
    full) and ``real:<task>`` for experiments, with the spec's prices and granularity.

    Examples
    --------
    >>> spec = RetroSpec(task="t", sources=("mp",), budget=1e4, target=0.6)
    >>> table = runs_table(spec, {k: 0.8 for k in initial_keys(spec)})
    >>> build_problem(spec, table).source("mp").max
    29000
    """
    from sim2real.planner.optim.problem import operating_point_from_table

    op = operating_point_from_table(table)
    g = spec.sim_granularity
    sources = []
    for src in spec.sources:
        cap = min(spec.max_n_sim, spec.source_caps.get(src, spec.max_n_sim))
        room = math.floor((cap - op.n_sim[(spec.task, src)]) / g) * g
        if room >= g:
            sources.append(Source(src, spec.sim_cost, max=int(room), granularity=g))
    real_max = None
    if spec.max_n_real is not None:
        real_max = int(spec.max_n_real - op.n_real[spec.task])
    sources.append(Source(f"real:{spec.task}", spec.real_cost, max=real_max,
                          granularity=spec.real_granularity))
    return PlanProblem(tuple(sources), spec.budget, op, {spec.task: spec.target})


def batch_keys(spec: RetroSpec, op: OperatingPoint, allocation: Mapping[str, int],
               two_axis: Mapping[str, bool] | None = None) -> list[RunKey]:
    """Runs that realize a batch along the planner's routes (one per seed).

    ``two_axis[source]`` says whether the planning model moves that database's route
    along ``n_real`` (the joint surface; see :attr:`TaskErrorEvaluator.two_axis`): then
    new experiments move it too and it is measured at ``(n_sim + k, n_real + j)``.

    Examples
    --------
    >>> spec = RetroSpec(task="t", sources=("mp",), budget=1e4, target=0.6, seeds=(0,))
    >>> op = OperatingPoint({("t", "mp"): 1000}, {("t", "mp"): 200}, {"t": 200})
    >>> [k.name for k in batch_keys(spec, op, {"mp": 4000, "real:t": 0})]
    ['mp__nsim5000__nreal200__seed0']
    >>> [k.name for k in batch_keys(spec, op, {"mp": 0, "real:t": 50}, {"mp": True})]
    ['none__nsim0__nreal250__seed0', 'mp__nsim1000__nreal250__seed0']
    >>> len(batch_keys(spec, op, {"real:t": 50}, {"mp": True}))   # mp at its cap: moved too
    2
    """
    two_axis = two_axis or {}
    j = int(allocation.get(f"real:{spec.task}", 0))
    m_new = int(op.n_real[spec.task] + j)
    keys: list[RunKey] = []
    if j > 0:
        keys += [RunKey("none", 0, m_new, s) for s in spec.seeds]
    moved = [n for n in allocation if not n.startswith("real:")]
    moved += [n for n, joint in two_axis.items() if joint and n not in moved]  # e.g. at cap
    for name in moved:
        k = int(allocation.get(name, 0))
        joint = bool(two_axis.get(name))
        if k <= 0 and not (joint and j > 0):
            continue
        n = int(op.n_sim[(spec.task, name)] + max(int(k), 0))
        m = m_new if joint else int(op.curve_n_real[(spec.task, name)])
        keys += [RunKey(name, n, m, s) for s in spec.seeds]
    return keys


def support_keys(table: pd.DataFrame, keys: Sequence[RunKey]) -> list[RunKey]:
    """Extra runs so every database curve of ``table`` + ``keys`` has >= 3 ``n_sim`` sizes.

    A joint-model batch that buys experiments moves a database route to a new ``n_real``
    level, where it has one run per seed; the learning-curve contract needs 3 sizes per
    curve, so the route is also trained at the two largest smaller ``n_sim`` it was
    measured at before (compute only: no simulation or experiment is bought, the same for
    every strategy). These runs are added to the data but not scored.

    Examples
    --------
    >>> t = pd.DataFrame({"sim_source": "mp", "n_sim": [100, 300, 1000], "n_real": 200})
    >>> [k.name for k in support_keys(t, [RunKey("mp", 4000, 250, 0)])]
    ['mp__nsim300__nreal250__seed0', 'mp__nsim1000__nreal250__seed0']
    """
    have = {(str(a), int(b), int(c)) for a, b, c in
            zip(table["sim_source"], table["n_sim"], table["n_real"], strict=True)}
    have |= {(k.sim_source, k.n_sim, k.n_real) for k in keys}
    out: list[RunKey] = []
    for k in keys:
        if k.sim_source == "none":
            continue
        level = sorted({n for s, n, m in have if s == k.sim_source and m == k.n_real})
        if len(level) >= 3:
            continue
        before = sorted({n for s, n, m in have if s == k.sim_source and n < k.n_sim
                         and n not in level}, reverse=True)
        for n in before[:3 - len(level)]:
            out.append(RunKey(k.sim_source, n, k.n_real, k.seed))
    return sorted(set(out) - set(keys))


def default_fit(spec: RetroSpec) -> Fit:
    """NUTS refit of ``spec.family`` (``"auto"`` resolved on each table) with the spec's
    draws / chains / seed; target_accept 0.99 for a surface (as in the case studies)."""
    def fit(table: pd.DataFrame) -> Any:
        curves = as_curve_data(table)
        model_spec = ModelSpec(family=spec.family).resolve(curves)
        surface = model_spec.model_family.layout == "surface"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # diagnostics are recorded per round instead
            return fit_model(curves, model_spec, SamplerConfig(
                draws=spec.draws, tune=spec.draws, chains=spec.chains, seed=spec.fit_seed,
                target_accept=0.99 if surface else None))
    return fit


@dataclass
class _State:
    table: pd.DataFrame
    model: Any
    cum_cost: float = 0.0
    done: bool = False


@dataclass
class RetroResult:
    """Outcome: per-run predictions vs realized errors, per-round log, summary."""

    predictions: pd.DataFrame
    rounds: pd.DataFrame
    initial: pd.DataFrame
    spec: RetroSpec
    seconds: dict[str, float] = field(default_factory=dict)

    def coverage(self) -> pd.DataFrame:
        """Coverage of realized errors by the 50% / 90% predictive intervals."""
        return coverage_table(self.predictions)

    def summary(self) -> pd.DataFrame:
        """Per strategy: cost to reach the target (NaN if not met), rounds, coverage."""
        cov = self.coverage()
        return cost_to_target(self.rounds).merge(cov, on="strategy", how="left")

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ``predictions.csv``, ``rounds.csv``, ``summary.csv`` atomically."""
        out = Path(out_dir)
        tables = {"predictions.csv": self.predictions, "rounds.csv": self.rounds,
                  "initial.csv": self.initial, "summary.csv": self.summary()}
        return [atomic_write_bytes(t.to_csv(index=False).encode(), out / name)
                for name, t in tables.items()]


def _diag(model: Any) -> dict[str, Any]:
    d = getattr(model, "diagnostics", None)
    if d is None:
        return {}
    family = str(getattr(getattr(model, "family", None), "name", ""))
    return {"family": family, "max_rhat": float(d.max_rhat),
            "divergences": float(d.divergences), "min_ess_bulk": float(d.min_ess_bulk)}


def _plan(spec: RetroSpec, name: str, st: _State, r: int
          ) -> tuple[Any, list[RunKey], list[RunKey], list[dict[str, Any]]]:
    from sim2real.planner.acquisition import min_cost_with_probability
    from sim2real.planner.optim.baselines import STRATEGIES
    from sim2real.planner.optim.evaluate import TaskErrorEvaluator

    problem = build_problem(spec, st.table)
    objective = min_cost_with_probability(probability=spec.probability)
    result = STRATEGIES[name](st.model, problem, objective, seed=spec.plan_seed + r,
                              table=st.table)
    two_axis = {src: axis for (_, src), axis in
                TaskErrorEvaluator(st.model, problem).two_axis.items()}
    keys = batch_keys(spec, problem.operating, result.allocation, two_axis)
    support = support_keys(st.table, keys)
    preds = []
    for i, k in enumerate(keys):
        draws = replicate_draws(st.model, spec.task, k.sim_source, k.n_sim, k.n_real,
                                seed=1000 * r + i)
        preds.append({"strategy": name, "round": r, "sim_source": k.sim_source,
                      "n_sim": k.n_sim, "n_real": k.n_real, "seed": k.seed,
                      **interval_row(draws)})
    return result, keys, support, preds


def _round_row(spec: RetroSpec, name: str, r: int, st: _State, result: Any,
               seconds: float) -> dict[str, Any]:
    from sim2real.planner.optim.problem import operating_point_from_table

    realized, route = realized_task_error(st.table, spec.task)
    op = operating_point_from_table(st.table)
    row: dict[str, Any] = {"strategy": name, "round": r, "realized": realized,
                           "best_route": route, "met": realized <= spec.target,
                           "cum_cost": st.cum_cost, "n_real": op.n_real[spec.task],
                           **{f"n_sim_{s}": op.n_sim[(spec.task, s)] for s in spec.sources}}
    if result is not None:
        err = result.expected_error[spec.task]
        row.update({"batch_cost": result.total_cost, "batch": dict(result.allocation),
                    "pred_mean": err.mean, "pred_q05": err.q05, "pred_q95": err.q95,
                    "p_target": result.p_target.get(spec.task), "seconds": seconds})
    return row


def run_retrospective(spec: RetroSpec, measure: Measure, fit: Fit | None = None,
                      log: Callable[[str], None] | None = None) -> RetroResult:
    """Run the closed loop for every strategy of ``spec``.

    Parameters
    ----------
    spec : RetroSpec
        Design, prices, budget per round, target, strategies.
    measure : callable
        ``keys -> {key: realized error}``; :class:`SweepMeasurer` on real data.
    fit : callable, optional
        ``table -> ErrorModel``; default :func:`default_fit`.
    log : callable, optional
        Receives one progress line per step.

    Returns
    -------
    RetroResult
    """
    spec.validate()
    fit = fit or default_fit(spec)
    say = log or (lambda _msg: None)
    t0 = time.perf_counter()
    initial = runs_table(spec, measure(initial_keys(spec)))
    model = fit(initial)
    states = {name: _State(initial.copy(), model) for name in spec.strategies}
    rounds = [{**_round_row(spec, n, 0, st, None, 0.0), **_diag(model)}
              for n, st in states.items()]
    say(f"initial: {len(initial)} runs, realized {rounds[0]['realized']:.3f}")
    preds: list[dict[str, Any]] = []
    for r in range(1, spec.rounds + 1):
        active = {n: st for n, st in states.items() if not st.done}
        if not active:
            break
        planned = {n: _plan(spec, n, st, r) for n, st in active.items()}
        wanted = sorted({k for _, keys, extra, _ in planned.values() for k in [*keys, *extra]})
        start = time.perf_counter()
        measured = measure(wanted) if wanted else {}
        say(f"round {r}: measured {len(wanted)} runs in {time.perf_counter() - start:.0f}s")
        for n, (result, keys, extra, prows) in planned.items():
            st = states[n]
            for row, k in zip(prows, keys, strict=True):
                row["realized"] = float(measured[k])
            preds += prows
            new = runs_table(spec, {k: measured[k] for k in [*keys, *extra]})
            st.table = pd.concat([st.table, new], ignore_index=True)
            st.cum_cost += float(result.total_cost)
            row = _round_row(spec, n, r, st, result, time.perf_counter() - start)
            st.done = bool(row["met"]) or not keys or r == spec.rounds
            if not st.done:
                st.model = fit(st.table)
                row.update(_diag(st.model))
            rounds.append(row)
            say(f"round {r} {n}: batch {row['batch']} realized {row['realized']:.3f} "
                f"(pred {row['pred_q05']:.3f}-{row['pred_q95']:.3f}) cost {st.cum_cost:,.0f}")
    columns = ["strategy", "round", "sim_source", "n_sim", "n_real", "seed", "realized",
               "pred_mean", "q05", "q25", "q50", "q75", "q95"]
    predictions = pd.DataFrame(preds, columns=columns)
    return RetroResult(predictions, pd.DataFrame(rounds), initial, spec,
                       {"total": time.perf_counter() - t0})
