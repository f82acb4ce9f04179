"""Regret benchmark of the Bayesian planner against baselines and an oracle.

Simulated worlds with Sim2Real-like power-law curves (1-3 databases, 1-5 tasks, experiment
cost 10-1000x a simulation, some transfer floors above the target). Every strategy starts
from the same noisy early curves, plans a batch, acquires noisy measurements at the new
sizes from the true curves, refits and re-plans, for at most ``--rounds`` rounds, stopping
once the true errors meet every target. Cost is reported relative to an oracle that knows
the true curves (exact minimum-cost allocation by enumerating each task's route), with a
breakdown of the money beyond the oracle's (``spend_breakdown``: sources the oracle does not
buy vs samples beyond its counts on its own sources).

Strategies: ``bayesian`` = the sequential policy (:func:`planner.optim.sequential.
plan_next_round`: early rounds buy each task's share of the reachable probability, the last
round the joint ``--probability``); ``bayesian_oneshot`` = the previous policy (every round
asks for the joint ``--probability``); ``plug_in`` = the same optimizer on least-squares
point estimates; ``greedy_mean`` and the three money splits (see ``choose``).

Posterior (benchmark only, ``--posterior``): ``is`` (default) = per-curve importance
sampling with the PyMC model's likelihood and the marginal of its priors
(``regret_posterior.py``); ``laplace`` = the previous least-squares Laplace stand-in;
``mcmc`` = :func:`models.inference.fit.fit` (hierarchical, NUTS; too slow for 200 worlds on
the shared 2-core machine, used on a few worlds to check conclusions).

Run: ``python benchmarks/planner_regret.py --worlds 200 --rounds 3`` (and ``--rounds 5``)
and ``python benchmarks/planner_regret.py --timing`` (10 sources x 4000 draws, on point
draws and on the same draws as a fitted-family :class:`~models.posterior.base.Posterior`).
"""

from __future__ import annotations

import argparse
import itertools
import platform
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from regret_posterior import is_posterior
from scipy.optimize import curve_fit

from sim2real.models.evaluation.point_draws import CurveDraws, PowerLawDraws
from sim2real.planner.acquisition import expected_error, min_cost_with_probability
from sim2real.planner.optim.baselines import _start, greedy_mean
from sim2real.planner.optim.evaluate import TaskErrorEvaluator
from sim2real.planner.optim.optimizer import plan_batch
from sim2real.planner.optim.problem import PlanProblem, Source, operating_point_from_table
from sim2real.planner.optim.repair import repair
from sim2real.planner.optim.sequential import plan_next_round

M0, N0, SEEDS, NOISE = 50.0, 1000.0, 3, 0.05
EARLY_M = (10.0, 20.0, 30.0, 50.0)
EARLY_N = (100.0, 200.0, 500.0, 1000.0)
PROBABILITY = 0.95  # required P(all targets) by the last round (--probability)
SCHEDULE = "ratio"  # sequential policy's probability schedule (--schedule)
POSTERIOR = "is"  # "is" (importance sampling, default) or "laplace" (--posterior)
BUDGET_X = 2.0  # per-round budget cap, in oracle costs (--budget-x)


@dataclass
class World:
    """True curves (c, d, alpha) per (task, route), costs and targets."""

    truth: dict[tuple[str, str], tuple[float, float, float]]
    tasks: list[str]
    dbs: list[str]
    ratio: float
    targets: dict[str, float]

    def error(self, task: str, route: str, x: float) -> float:
        c, d, a = self.truth[(task, route)]
        return c + d * x ** (-a)

    def task_error(self, task: str, m: float, n: dict[str, float]) -> float:
        errs = [self.error(task, "none", m)]
        errs += [self.error(task, s, n[s]) for s in self.dbs if (task, s) in self.truth]
        return min(errs)


def make_world(rng: np.random.Generator, k: int) -> World:
    """A random world whose targets are below the current error but reachable."""
    while True:
        dbs = [f"db{j}" for j in range(rng.integers(1, 4))]
        tasks = [f"task{i}" for i in range(rng.integers(1, 6))]
        truth = {}
        for t in tasks:
            a = rng.uniform(0.3, 0.6)
            c = rng.uniform(0.03, 0.1)
            truth[(t, "none")] = (c, (rng.uniform(0.5, 1.0) - c) * M0 ** a, a)
            used = [s for s in dbs if rng.random() < 0.7] or [str(rng.choice(dbs))]
            for s in used:
                a2, c2 = rng.uniform(0.2, 0.7), rng.uniform(0.03, 0.35)
                truth[(t, s)] = (c2, max(rng.uniform(0.3, 0.7) - c2, 0.05) * N0 ** a2, a2)
        dbs = [s for s in dbs if any((t, s) in truth for t in tasks)]
        w = World(truth, tasks, dbs, float(np.exp(rng.uniform(np.log(10), np.log(1000)))),
                  {})
        for t in tasks:
            now = w.task_error(t, M0, dict.fromkeys(dbs, N0))
            floor_real = truth[(t, "none")][0]
            w.targets[t] = max(now * rng.uniform(0.45, 0.8), 1.25 * floor_real)
        if all(w.targets[t] < w.task_error(t, M0, dict.fromkeys(dbs, N0)) for t in tasks):
            return w


def oracle_allocation(w: World) -> tuple[float, dict[str, float]]:
    """Exact minimum cost to meet every target knowing the true curves, and its batch
    (source name -> new samples; ``real:<task>`` for experiments)."""
    need: dict[str, dict[str, float]] = {}
    for t in w.tasks:
        need[t] = {}
        for (tt, r), (c, d, a) in w.truth.items():
            if tt != t or w.targets[t] <= c:
                continue
            size = np.ceil((d / (w.targets[t] - c)) ** (1 / a))
            start = M0 if r == "none" else N0
            need[t][r] = max(size - start, 0.0)
    best, best_alloc = np.inf, {}
    for choice in itertools.product(*(list(need[t].items()) for t in w.tasks)):
        alloc: dict[str, float] = {}
        for t, (r, extra) in zip(w.tasks, choice, strict=True):
            key = "real:" + t if r == "none" else r
            alloc[key] = max(alloc.get(key, 0.0), extra)
        cost = sum(v * source_price(w, k) for k, v in alloc.items())
        if cost < best:
            best, best_alloc = cost, alloc
    return float(best), best_alloc


def oracle_cost(w: World) -> float:
    """Exact minimum cost to meet every target knowing the true curves."""
    return oracle_allocation(w)[0]


def source_price(w: World, name: str) -> float:
    """Price of one sample of a source (a simulation costs 1)."""
    return w.ratio if name.startswith("real:") else 1.0


def spend_breakdown(w: World, bought: dict[str, float]) -> tuple[float, float]:
    """Money spent off the oracle's sources and beyond its counts on them, in oracle costs.

    ``off_route``: samples of sources the oracle does not buy (routes that turned out not
    to be the cheapest); ``overshoot``: samples beyond the oracle's count on its own
    sources (over-buying the right route).
    """
    oracle, alloc = oracle_allocation(w)
    off = sum(v * source_price(w, k) for k, v in bought.items() if alloc.get(k, 0.0) <= 0)
    over = sum(max(v - alloc[k], 0.0) * source_price(w, k) for k, v in bought.items()
               if alloc.get(k, 0.0) > 0)
    return off / oracle, over / oracle


def measure(w: World, rng: np.random.Generator, task: str, route: str, n: float,
            m: float) -> list[tuple]:
    """Noisy measurements (SEEDS seeds) of one operating point."""
    x = m if route == "none" else n
    e = w.error(task, route, x)
    return [(task, route, 0.0 if route == "none" else n, m, s,
             e * float(np.exp(NOISE * rng.standard_normal())), "MAE") for s in range(SEEDS)]


def early_table(w: World, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for (t, r) in w.truth:
        sizes = EARLY_M if r == "none" else EARLY_N
        for x in sizes:
            rows += measure(w, rng, t, r, x, x if r == "none" else M0)
    return pd.DataFrame(rows, columns=["task", "sim_source", "n_sim", "n_real", "seed",
                                       "error", "metric"])


def laplace_posterior(table: pd.DataFrame, draws: int, rng: np.random.Generator
                      ) -> PowerLawDraws:
    """Laplace posterior of every curve (see module docstring)."""
    curves = {}
    for (t, r), rows in table.groupby(["task", "sim_source"]):
        x = (rows["n_real"] if r == "none" else rows["n_sim"]).to_numpy(float)
        y = np.log(rows["error"].to_numpy(float))

        def f(xx: np.ndarray, lc: float, ld: float, a: float) -> np.ndarray:
            return np.log(np.exp(lc) + np.exp(ld) * xx ** (-a))

        p0 = [np.log(np.exp(y).min() * 0.5), np.log(np.exp(y).max()) + 0.5 * np.log(x.min()),
              0.5]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                p, cov = curve_fit(f, x, y, p0=p0, bounds=([-12, -12, 0.02], [5, 25, 2.5]),
                                   maxfev=4000)
            except RuntimeError:
                p, cov = np.array(p0), np.diag([1.0, 1.0, 0.04])
        if not np.all(np.isfinite(cov)):
            cov = np.diag([1.0, 1.0, 0.04])
        z = _truncated_draws(p, cov, draws, rng, float(rows.groupby(x)["error"].mean().min()))
        curves[(str(t), str(r))] = CurveDraws(np.exp(z[:, 0]), np.exp(z[:, 1]), z[:, 2],
                                              None if r == "none" else M0)
    return PowerLawDraws(curves)


def _truncated_draws(p: np.ndarray, cov: np.ndarray, draws: int, rng: np.random.Generator,
                     e_min: float) -> np.ndarray:
    """Gaussian draws restricted to the prior support: floor c <= smallest seed-mean error,
    ``0.05 <= alpha <= 1.5``, ``log c, log d`` in [-12, 25] (rejection, then clipping)."""
    cov = cov + 1e-9 * np.eye(3)
    kept = np.empty((0, 3))
    for _ in range(20):
        z = rng.multivariate_normal(p, cov, size=4 * draws, check_valid="ignore")
        ok = ((z[:, 0] <= np.log(e_min)) & (z[:, 2] >= 0.05) & (z[:, 2] <= 1.5)
              & (np.abs(z[:, :2]) < 25).all(1))
        kept = np.vstack([kept, z[ok]])
        if len(kept) >= draws:
            return kept[:draws]
    z = rng.multivariate_normal(p, cov, size=draws, check_valid="ignore")
    z[:, 0] = np.minimum(z[:, 0], np.log(e_min))
    z[:, 1] = np.clip(z[:, 1], -12, 25)
    z[:, 2] = np.clip(z[:, 2], 0.05, 1.5)
    if len(kept):
        z[: len(kept)] = kept
    return z


def posterior(table: pd.DataFrame, draws: int, rng: np.random.Generator) -> Any:
    """The benchmark's posterior stand-in (``--posterior``)."""
    if POSTERIOR == "laplace":
        return laplace_posterior(table, draws, rng)
    if POSTERIOR == "mcmc":
        from sim2real.models.inference.fit import fit
        from sim2real.models.inference.spec import SamplerConfig

        seed = int(rng.integers(2**31))
        return fit(table, None, SamplerConfig(draws=max(draws // 2, 50), tune=500, chains=2,
                                              seed=seed))
    return is_posterior(table, draws, rng, M0)


def ls_point(table: pd.DataFrame) -> PowerLawDraws:
    from sim2real.models.evaluation.least_squares import least_squares_model

    return least_squares_model(table)


def spend_until_mean_meets(model: PowerLawDraws, problem: PlanProblem,
                           idx: list[int]) -> np.ndarray:
    """Smallest of 20 budget fractions whose split meets every target in posterior mean."""
    ev = TaskErrorEvaluator(model, problem)
    tgt = np.array([problem.targets[t] for t in ev.tasks])
    for frac in np.linspace(0.05, 1.0, 20):
        x = repair(_start(problem.with_budget(problem.budget * frac), idx), problem)
        if np.all(np.asarray(ev(x[None, :].astype(float))).mean(0)[0] <= tgt):
            return x
    return repair(_start(problem, idx), problem)


def choose(strategy: str, table: pd.DataFrame, problem: PlanProblem,
           rng: np.random.Generator, draws: int, remaining: int) -> np.ndarray:
    """Integer allocation of one strategy for one round (``remaining`` rounds left)."""
    obj = min_cost_with_probability(PROBABILITY)
    names = problem.names
    if strategy == "bayesian":
        post = posterior(table, draws, rng)
        res = plan_next_round(post, problem, PROBABILITY, remaining, schedule=SCHEDULE,
                              num_restarts=3, raw_samples=64, maxiter=60)
    elif strategy == "bayesian_oneshot":
        post = posterior(table, draws, rng)
        res = plan_batch(post, problem, obj, num_restarts=3, raw_samples=64, maxiter=60)
    elif strategy == "plug_in":
        res = plan_batch(ls_point(table), problem, obj, num_restarts=3, raw_samples=64,
                         maxiter=60)
    elif strategy == "greedy_mean":
        res = greedy_mean(posterior(table, draws, rng), problem, expected_error())
    else:
        idx = {"uniform_by_cost": range(len(names)),
               "all_simulation": [i for i, n in enumerate(names) if not n.startswith("real:")],
               "all_experiment": [i for i, n in enumerate(names) if n.startswith("real:")]
               }[strategy]
        return spend_until_mean_meets(posterior(table, draws, rng), problem,
                                      list(idx))
    return np.array([res.allocation[n] for n in names])


def run_world(w: World, strategy: str, seed: int, rounds: int, budget: float,
              draws: int) -> tuple[float, bool, list[float], dict[str, float]]:
    """Total cost, whether the targets were met within ``rounds`` rounds, the share of
    the round cap spent in each round played, and the samples bought per source."""
    rng = np.random.default_rng(seed)
    table = early_table(w, rng)
    n = dict.fromkeys(w.dbs, N0)
    m = dict.fromkeys(w.tasks, M0)
    spent, shares = 0.0, []
    bought: dict[str, float] = {}
    sources = tuple(Source(s, 1.0) for s in w.dbs) + tuple(
        Source("real:" + t, w.ratio) for t in w.tasks)
    for r in range(rounds):
        problem = PlanProblem(sources, budget, operating_point_from_table(table),
                              targets=w.targets)
        x = choose(strategy, table, problem, rng, draws, rounds - r)
        spent += float(x @ problem.costs)
        shares.append(float(x @ problem.costs) / budget)
        new = []
        for name, k in zip(problem.names, x, strict=True):
            if k <= 0:
                continue
            bought[name] = bought.get(name, 0.0) + float(k)
            if name.startswith("real:"):
                t = name[5:]
                m[t] += k
                new += measure(w, rng, t, "none", 0.0, m[t])
            else:
                n[name] += k
                new += [r for t in w.tasks if (t, name) in w.truth
                        for r in measure(w, rng, t, name, n[name], M0)]
        if new:
            table = pd.concat([table, pd.DataFrame(new, columns=table.columns)],
                              ignore_index=True)
        if all(w.task_error(t, m[t], n) <= w.targets[t] + 1e-12 for t in w.tasks):
            return spent, True, shares, bought
    return spent, False, shares, bought


def ci(values: np.ndarray, stat: str = "median", rng_seed: int = 0) -> tuple[float, float,
                                                                           float]:
    """Statistic with a 95% bootstrap interval over worlds."""
    f = np.median if stat == "median" else np.mean
    rng = np.random.default_rng(rng_seed)
    boots = [f(rng.choice(values, len(values))) for _ in range(1000)]
    return float(f(values)), float(np.quantile(boots, 0.025)), float(np.quantile(boots,
                                                                             0.975))


STRATEGIES = ("bayesian", "bayesian_oneshot", "plug_in", "greedy_mean", "uniform_by_cost",
              "all_simulation", "all_experiment")


def benchmark(n_worlds: int, rounds: int, draws: int, seed: int,
              strategies: tuple[str, ...] = STRATEGIES, first: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    t0 = time.perf_counter()
    for k in range(n_worlds):
        w = make_world(rng, k)
        if k < first:
            continue
        oracle = oracle_cost(w)
        floor_above = any(w.truth[(t, s)][0] >= w.targets[t] for (t, s) in w.truth
                          if s != "none")
        for strat in strategies:
            cost, ok, shares, bought = run_world(w, strat, seed * 100_003 + k, rounds,
                                                 BUDGET_X * oracle, draws)
            off_route, overshoot = spend_breakdown(w, bought)
            rows.append({"world": k, "strategy": strat, "cost": cost, "met": ok,
                         "rounds_used": len(shares), "round1_cap_share": shares[0],
                         "cap_shares": " ".join(f"{v:.3f}" for v in shares),
                         "ratio": cost / oracle, "oracle": oracle, "ratio_cost": w.ratio,
                         "n_tasks": len(w.tasks), "n_dbs": len(w.dbs),
                         "floor_above_target": floor_above,
                         "off_route": off_route, "overshoot": overshoot})
        if (k + 1) % 10 == 0:
            print(f"  {k + 1}/{n_worlds} worlds, {time.perf_counter() - t0:.0f} s",
                  flush=True)
    return pd.DataFrame(rows)


def report(df: pd.DataFrame) -> None:
    print(f"{df['world'].nunique()} worlds; floor above target for some (task, db) in "
          f"{df.groupby('world')['floor_above_target'].first().mean():.0%} of worlds")
    print(f"{'strategy':<16} {'fail rate [95% CI]':<24} {'median cost/oracle [95% CI]':<30}"
          f" {'mean cost/oracle [95% CI]':<28} {'wins vs bayes':<5}")
    bay = df[df.strategy == "bayesian"].set_index("world")
    for strat, g in df.groupby("strategy", sort=False):
        fail = 1 - g["met"].to_numpy(float)
        f_mean, f_lo, f_hi = ci(fail, "mean")
        r = g["ratio"].to_numpy()
        med = ci(r, "median")
        mean = ci(r, "mean")
        other = g.set_index("world")
        wins = float(((other["cost"] < bay["cost"]) & other["met"]).mean())
        print(f"{strat:<16} {f_mean:6.1%} [{f_lo:5.1%},{f_hi:5.1%}]   "
              f"{med[0]:6.2f} [{med[1]:5.2f},{med[2]:5.2f}]           "
              f"{mean[0]:6.2f} [{mean[1]:5.2f},{mean[2]:5.2f}]        {wins:5.1%}")
    print("cost/oracle counts every world (failures included: cost spent in all rounds).")
    spent = df.groupby("strategy", sort=False).agg(
        full_cap_round1=("round1_cap_share", lambda v: float((v > 0.98).mean())),
        mean_rounds=("rounds_used", "mean"))
    print("share of worlds spending >= 98% of the cap in round 1; mean rounds used:")
    print(spent.round(3).to_string())
    if "overshoot" in df:
        print("where the money beyond the oracle went (in oracle costs; worlds meeting the "
              "targets): off_route = sources the oracle does not buy, overshoot = beyond "
              "the oracle's counts on its own sources:")
        ok = df[df["met"]]
        print(ok.groupby("strategy", sort=False)[["off_route", "overshoot"]]
              .agg(["median", "mean"]).round(3).to_string())
        by_tasks = ok.pivot_table(index="strategy", columns="n_tasks", values="ratio",
                                  aggfunc="median", sort=False)
        print("median cost/oracle of worlds meeting the targets, by number of tasks:")
        print(by_tasks.sort_index(axis=1).round(2).to_string())
    met = df.pivot_table(index="strategy", columns="floor_above_target", values="met",
                         sort=False)
    print("share of worlds meeting the targets, by 'some transfer floor above its target':")
    print(met.round(3).to_string())


def as_posterior(curves: dict[tuple[str, str], CurveDraws], table: pd.DataFrame,
                 chains: int = 2) -> Any:
    """The power-law-floor :class:`~models.posterior.base.Posterior` of ``table`` whose
    draws are exactly ``curves`` (same draws as the point model, in the family's units)."""
    import arviz as az

    from sim2real.models.data.contract import load_curves
    from sim2real.models.data.design import make_design
    from sim2real.models.inference.diagnostics import compute_diagnostics
    from sim2real.models.inference.spec import ModelSpec, SamplerConfig
    from sim2real.models.posterior.base import Posterior

    data = load_curves(table)
    design = make_design(data, "curve")
    refs, info = design.refs["curve"], data.curves
    n = len(next(iter(curves.values())).c)
    shape = (chains, n // chains, len(info))
    post = {k: np.empty(shape) for k in ("log_c", "log_a", "alpha", "sigma")}
    for k, row in info.iterrows():
        p = curves[(str(row["task"]), str(row["sim_source"]))]
        scale, x_ref = float(refs["scale"][k]), float(refs["x_ref"][k])
        post["log_c"][..., k] = np.log(p.c / scale).reshape(shape[:2])
        post["log_a"][..., k] = (np.log(p.d / scale) - p.alpha * np.log(x_ref)).reshape(
            shape[:2])
        post["alpha"][..., k] = p.alpha.reshape(shape[:2])
        post["sigma"][..., k] = 0.05
    idata = az.from_dict(posterior=post, coords=design.coords,
                         sample_stats={"diverging": np.zeros(shape[:2], dtype=bool)},
                         dims={k: ["curve"] for k in post})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        diagnostics = compute_diagnostics(idata, var_names=list(post))
    return Posterior(idata=idata, data=data, spec=ModelSpec(),
                     sampler=SamplerConfig(draws=shape[1], chains=chains),
                     diagnostics=diagnostics)


def timing(draws: int = 4000, repeats: int = 3) -> None:
    """Plan for 10 sources x ``draws`` draws (5 databases, 5 tasks), on point draws and on
    the same draws as a fitted-family Posterior (what ``sim2real plan`` runs on)."""
    rng = np.random.default_rng(0)
    curves = {}

    def jitter(c: float, d: float, a: float, n_real: float | None = None) -> CurveDraws:
        c_, d_, a_ = (v * np.exp(0.1 * rng.standard_normal(draws)) for v in (c, d, a))
        return CurveDraws(c_, d_, a_, n_real)

    for i in range(5):
        t = f"t{i}"
        curves[(t, "none")] = jitter(0.05, 2.0, 0.5)
        for j in range(5):
            if j <= 1 or i == 0:
                curves[(t, f"db{j}")] = jitter(0.08, 3.0, 0.4, 50.0)
    rows = []
    for (t, s) in curves:
        for x in (10.0, 20.0, 50.0) if s == "none" else (100.0, 300.0, 1000.0):
            e = 0.05 + 2.0 * x ** -0.5 if s == "none" else 0.08 + 3.0 * x ** -0.4
            rows.append((t, s, 0.0 if s == "none" else x, x if s == "none" else 50.0, 0,
                         e, "MAE"))
    table = pd.DataFrame(rows, columns=["task", "sim_source", "n_sim", "n_real", "seed",
                                        "error", "metric"])
    op = operating_point_from_table(table)
    src = tuple(Source(f"db{j}", 1.0) for j in range(5)) + tuple(
        Source(f"real:t{i}", 100.0) for i in range(5))
    prob = PlanProblem(src, 50_000.0, op, targets={f"t{i}": 0.15 for i in range(5)})
    models = {"point draws": PowerLawDraws(curves), "posterior": as_posterior(curves, table)}
    for label, model in models.items():
        for obj in (expected_error(), min_cost_with_probability(0.9)):
            secs = []
            for r in range(repeats):
                t0 = time.perf_counter()
                plan_batch(model, prob, obj, seed=r)
                secs.append(time.perf_counter() - t0)
            print(f"timing {obj.name} ({label}): 10 sources x {draws} draws: "
                  f"{', '.join(f'{s:.2f}' for s in secs)} s (max {max(secs):.2f} s)")
        secs = []
        for r in range(repeats):
            t0 = time.perf_counter()
            plan_next_round(model, prob, 0.95, remaining=3, seed=r)
            secs.append(time.perf_counter() - t0)
        print(f"timing sequential round (3 left, {label}): 10 sources x {draws} draws: "
              f"{', '.join(f'{s:.2f}' for s in secs)} s (max {max(secs):.2f} s)")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--draws", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timing", action="store_true", help="only the timing check")
    parser.add_argument("--csv", default=None, help="write per-world results here")
    parser.add_argument("--merge", nargs="+", default=None,
                        help="only report on these per-world CSVs (e.g. shards)")
    parser.add_argument("--probability", type=float, default=PROBABILITY)
    parser.add_argument("--budget-x", type=float, default=BUDGET_X)
    parser.add_argument("--schedule", choices=("ratio", "geometric"), default=SCHEDULE)
    parser.add_argument("--posterior", choices=("is", "laplace", "mcmc"), default=POSTERIOR,
                        help="is: importance sampling (default); laplace: the previous "
                             "stand-in; mcmc: models.inference.fit.fit (2 chains, slow)")
    parser.add_argument("--first-world", type=int, default=0,
                        help="skip the worlds before this one (same world sequence)")
    parser.add_argument("--strategies", default=",".join(STRATEGIES),
                        help="comma-separated subset (bayesian first)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.merge:
        report(pd.concat([pd.read_csv(f) for f in args.merge], ignore_index=True))
        return
    globals().update(PROBABILITY=args.probability, BUDGET_X=args.budget_x,
                     POSTERIOR=args.posterior, SCHEDULE=args.schedule)
    print(f"required probability {args.probability} ({args.schedule} schedule), round "
          f"budget cap {args.budget_x} x oracle cost, {args.rounds} rounds, {args.draws} "
          f"posterior draws ({args.posterior})")
    torch.set_num_threads(1)
    print(f"machine: {platform.node()} {platform.processor() or platform.machine()}, "
          f"torch threads 1, python {platform.python_version()}")
    if args.timing:
        timing()
        return
    t0 = time.perf_counter()
    df = benchmark(args.worlds, args.rounds, args.draws, args.seed,
                   tuple(args.strategies.split(",")), args.first_world)
    report(df)
    print(f"total {time.perf_counter() - t0:.0f} s")
    if args.csv:
        df.to_csv(args.csv, index=False)


if __name__ == "__main__":
    main()
