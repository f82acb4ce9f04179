"""Regret benchmark of the Bayesian planner against baselines and an oracle (issue 13).

Worlds come from the versioned generator of ``regret_worlds.py`` (``--generator honest``,
the default: log-uniform exponents on [0.02, 0.8], floors from none to near the target,
broken power laws, exponential saturation and negative-transfer bumps, seed effects shared
along a curve, noise falling with size, 1-4 tasks and databases, experiment prices of
1-10,000 simulations; ``--generator legacy``: the issue-4 worlds). Two disjoint world sets:
``--set tuning`` (world seeds 0-59; settings are chosen there only) and ``--set scoring``
(seeds 10000+; headline figures).

Protocol (nothing a strategy sees depends on the truth): every strategy starts from the
same noisy early curves (3 seeds per size). Before each of at most ``--rounds`` rounds a
baseline stops if its *own measurements* meet every target (per task, the best route's
seed-mean error at its largest size); a posterior strategy (``--stop posterior``)
ignores that yardstick, plans every round and lets its posterior's run-level
probability decide (an empty plan buys nothing that round; ``--stop measured``: the
baselines' rule). Otherwise it gets the round's budget, fixed from what the user
knows: ``--budget-x`` times the money spent on the early curves (the same every round;
default 5, chosen so that three rounds cover the oracle cost in every tuning world), buys
a batch, measures the new sizes (same 3 seeds:
their seed effects persist) and goes on. The oracle (exact minimum cost for the true
curves to meet every target) is used only to score: cost/oracle and ``spend_breakdown``.

Success: per task the team deploys the route with the lowest measured error; the world is
met at *run level* when one training run with a fresh seed (true error x seed effect x
noise at the bought size) meets every target (``met_run``; ``p_run`` = its probability
over fresh seeds), at *expected-error* level when the deployed routes' true errors do
(``met_expected``).

Strategies (``name:knob=value``; see ``STRATEGY_KNOBS``): ``bayesian`` (sequential policy,
:func:`planner.optim.sequential.plan_next_round`, knob ``p`` = required probability),
``bayesian_oneshot`` (every round the joint ``p``), ``bayesian_pilot`` (``bayesian``, but
before a non-final round it buys a pilot instead when
:func:`planner.optim.pilot.pilot_value` recommends one; knob ``w`` = simulated
truths per candidate), ``plug_in``, ``greedy_mean``,
``uniform_by_cost``, ``all_simulation``, ``all_experiment`` (today's strategies), and the
baselines of ``regret_baselines.py`` (``ls_margin:m``, ``ls_bootstrap:q``, ``mahmood:k``,
``until_flat:thr``). Bayesian posteriors: the importance-sampling stand-in
(``regret_posterior.py``, ``--posterior is``) with its noise draws, so the planner's
probabilities are run-level.

Run: ``python benchmarks/planner_regret.py --set tuning --strategies ...`` then
``python benchmarks/planner_regret.py --set scoring --csv scoring.csv`` and
``--merge scoring.csv --figure docs/figures/regret_frontier.png``; ``--timing``: the
planning-time check (``regret_timing.py``).
"""

from __future__ import annotations

import argparse
import platform
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from regret_baselines import BASELINES, Situation, measured_best, measured_met
from regret_posterior import is_posterior, laplace_posterior
from regret_report import report
from regret_worlds import (
    EARLY_M,
    EARLY_N,
    GENERATOR_VERSION,
    GENERATORS,
    M0,
    N0,
    World,
    fresh_run_error,
    make_worlds,
    measure,
    oracle_allocation,
    seed_offsets,
)
from scipy.stats import norm

from sim2real.planner.acquisition import expected_error, min_cost_with_probability
from sim2real.planner.optim.baselines import _start, greedy_mean
from sim2real.planner.optim.evaluate import TaskErrorEvaluator
from sim2real.planner.optim.optimizer import plan_batch
from sim2real.planner.optim.pilot import pilot_value
from sim2real.planner.optim.problem import PlanProblem, Source, operating_point_from_table
from sim2real.planner.optim.repair import repair
from sim2real.planner.optim.sequential import plan_next_round

PROBABILITY = 0.95  # required probability: chosen on the tuning set (sections/planner.md)
SCHEDULE = "ratio"  # sequential policy's probability schedule (--schedule)
POSTERIOR = "is"  # "is" (importance sampling, default), "laplace" or "mcmc" (--posterior)
STOP = "posterior"  # when posterior strategies stop (--stop); chosen on the tuning set
POSTERIOR_STRATEGIES = ("bayesian", "bayesian_oneshot", "bayesian_pilot")
PILOT_WORLDS = 8  # simulated truths per candidate pilot of bayesian_pilot (knob w)
PILOT = "__pilot__"  # marks a batch that is a pilot (popped by run_world)
BUDGET_X = 5.0  # per-round budget: this many times the early curves' cost (--budget-x)
SETS = {"tuning": (0, 60), "scoring": (10_000, 300)}  # (first world seed, default count)
COLUMNS = ["task", "sim_source", "n_sim", "n_real", "seed", "error", "metric"]
STRATEGY_KNOBS = {"bayesian": "p", "bayesian_oneshot": "p", "bayesian_pilot": "p",
                  "plug_in": "p",
                  **{k: v[1] for k, v in BASELINES.items()}}
DEFAULT_STRATEGIES = (
    "bayesian:p=0.8", "bayesian:p=0.9", "bayesian:p=0.95", "bayesian_oneshot:p=0.95",
    "plug_in:p=0.95", "greedy_mean", "uniform_by_cost", "all_simulation", "all_experiment",
    "ls_margin:m=0", "ls_margin:m=0.2", "ls_margin:m=0.5", "ls_margin:m=1",
    "ls_bootstrap:q=0.5", "ls_bootstrap:q=0.8", "ls_bootstrap:q=0.95",
    "mahmood:k=1", "mahmood:k=2", "mahmood:k=4",
    "until_flat:thr=0.05", "until_flat:thr=0.02", "until_flat:thr=0.005")


class Lab:
    """The world as a user meets it: measurements only (the truth stays inside)."""

    def __init__(self, world: World, seed: int) -> None:
        self._world = world
        self._rng = np.random.default_rng(seed)
        self._offsets = seed_offsets(world, self._rng)

    def early_table(self) -> pd.DataFrame:
        rows = []
        for (t, r) in self._world.curves:
            for x in EARLY_M if r == "none" else EARLY_N:
                rows += measure(self._world, self._offsets, self._rng, t, r, x)
        return pd.DataFrame(rows, columns=COLUMNS)

    def acquire(self, task: str, route: str, x: float) -> list[tuple]:
        return measure(self._world, self._offsets, self._rng, task, route, x)


def parse_strategy(spec: str) -> tuple[str, dict[str, float]]:
    """``"ls_margin:m=0.2"`` -> ``("ls_margin", {"m": 0.2})``; several knobs are joined
    by ``+`` (``"bayesian_pilot:p=0.95+w=16"``)."""
    name, _, rest = spec.partition(":")
    knobs = {k: float(v) for k, v in (kv.split("=") for kv in rest.split("+") if kv)}
    return name, knobs


def posterior(table: pd.DataFrame, draws: int, rng: np.random.Generator) -> Any:
    """The benchmark's posterior stand-in (``--posterior``)."""
    if POSTERIOR == "laplace":
        return laplace_posterior(table, draws, rng, M0)
    if POSTERIOR == "mcmc":
        from sim2real.models.inference.fit import fit
        from sim2real.models.inference.spec import SamplerConfig

        seed = int(rng.integers(2**31))
        return fit(table, None, SamplerConfig(draws=max(draws // 2, 50), tune=500, chains=2,
                                              seed=seed))
    return is_posterior(table, draws, rng, M0, noise=True)


def spend_until_mean_meets(model: Any, problem: PlanProblem, idx: list[int]) -> np.ndarray:
    """Smallest of 20 budget fractions whose split meets every target in posterior mean."""
    ev = TaskErrorEvaluator(model, problem)
    tgt = np.array([problem.targets[t] for t in ev.tasks])
    for frac in np.linspace(0.05, 1.0, 20):
        x = repair(_start(problem.with_budget(problem.budget * frac), idx), problem)
        if np.all(np.asarray(ev(x[None, :].astype(float), run=False)).mean(0)[0] <= tgt):
            return x
    return repair(_start(problem, idx), problem)


def planner_problem(sit: Situation) -> PlanProblem:
    """The planner's problem of a round: only what the user knows."""
    sources = tuple(Source(s, sit.prices[s]) for s in sit.dbs) + tuple(
        Source("real:" + t, sit.prices["real:" + t]) for t in sit.tasks)
    return PlanProblem(sources, sit.budget, operating_point_from_table(sit.table),
                       targets=sit.targets)


def choose_planner(name: str, knobs: dict[str, float], sit: Situation,
                   rng: np.random.Generator, draws: int) -> dict[str, float]:
    """Batch of one of today's strategies (the planner and its baselines)."""
    problem = planner_problem(sit)
    p = knobs.get("p", PROBABILITY)
    obj = min_cost_with_probability(p)
    opt = {"num_restarts": 3, "raw_samples": 64, "maxiter": 60}
    if name == "bayesian":
        res = plan_next_round(posterior(sit.table, draws, rng), problem, p, sit.remaining,
                              schedule=SCHEDULE, **opt)
    elif name == "bayesian_pilot":
        model = posterior(sit.table, draws, rng)
        if sit.remaining > 1:
            value = pilot_value(model, problem, p, worlds=int(knobs.get("w", PILOT_WORLDS)),
                                seed=int(rng.integers(2**31)))
            if value.recommended is not None:
                return {**{k: float(v) for k, v in value.recommended.items()}, PILOT: 1.0}
        res = plan_next_round(model, problem, p, sit.remaining, schedule=SCHEDULE, **opt)
    elif name == "bayesian_oneshot":
        res = plan_batch(posterior(sit.table, draws, rng), problem, obj, **opt)
    elif name == "plug_in":
        from sim2real.models.evaluation.least_squares import least_squares_model

        res = plan_batch(least_squares_model(sit.table), problem, obj, **opt)
    elif name == "greedy_mean":
        res = greedy_mean(posterior(sit.table, draws, rng), problem, expected_error())
    else:
        names = problem.names
        idx = {"uniform_by_cost": range(len(names)),
               "all_simulation": [i for i, n in enumerate(names) if not n.startswith("real:")],
               "all_experiment": [i for i, n in enumerate(names) if n.startswith("real:")]
               }[name]
        x = spend_until_mean_meets(posterior(sit.table, draws, rng), problem, list(idx))
        return dict(zip(names, map(float, x), strict=True))
    return {k: float(v) for k, v in res.allocation.items()}


def choose(spec: str, sit: Situation, rng: np.random.Generator, draws: int
           ) -> dict[str, float]:
    """New samples per source of one strategy for one round."""
    name, knobs = parse_strategy(spec)
    if name in BASELINES:
        return BASELINES[name][0](sit, rng=rng, **knobs)
    return choose_planner(name, knobs, sit, rng, draws)


def run_world(w: World, spec: str, seed: int, rounds: int, budget_x: float, draws: int
              ) -> dict[str, Any]:
    """Play one strategy on one world. Strategies get a :class:`Situation` only; the
    world reaches them through :class:`Lab` measurements."""
    lab = Lab(w, seed)
    rng = np.random.default_rng([seed, zlib.crc32(spec.encode())])
    table = lab.early_table()
    m, n = dict.fromkeys(w.tasks, M0), dict.fromkeys(w.dbs, N0)
    known = w.early_spend()            # prices x sizes: what the user paid for the curves
    spent, played, pilots = 0.0, 0, 0
    spread = alpha_spread(table, w.seed)
    bought: dict[str, float] = {}
    targets = dict(w.targets)
    by_posterior = STOP == "posterior" and parse_strategy(spec)[0] in POSTERIOR_STRATEGIES
    for r in range(rounds):
        if not by_posterior and measured_met(table, targets) == set(w.tasks):
            break
        sit = Situation(table, list(w.tasks), list(w.dbs), dict(w.prices), targets, dict(m),
                        dict(n), budget_x * known, rounds - r)
        batch = choose(spec, sit, rng, draws)
        pilots += int(batch.pop(PILOT, 0.0))
        played += 1
        new: list[tuple] = []
        for name, k in batch.items():
            if k <= 0:
                continue
            spent += k * w.prices[name]
            bought[name] = bought.get(name, 0.0) + k
            if name.startswith("real:"):
                t = name[5:]
                m[t] += k
                new += lab.acquire(t, "none", m[t])
            else:
                n[name] += k
                new += [row for t in w.tasks if (t, name) in w.curves
                        for row in lab.acquire(t, name, n[name])]
        if new:
            table = pd.concat([table, pd.DataFrame(new, columns=COLUMNS)], ignore_index=True)
    return {"spent": spent, "bought": bought, "m": m, "n": n, "rounds_used": played,
            "pilots": pilots, "alpha_spread": spread,
            "deployed": {t: r for t, (r, _) in measured_best(table).items()},
            "measured_met": measured_met(table, targets) == set(w.tasks)}


def alpha_spread(table: pd.DataFrame, seed: int, draws: int = 256) -> float:
    """How poorly the early curves identify the exponents: the largest, over the world's
    curves, ratio of the 95% to the 5% quantile of the stand-in posterior's ``alpha``
    (its own seed, so every strategy of a world gets the same value)."""
    model = is_posterior(table, draws, np.random.default_rng([seed, 99]), M0)
    return float(max(np.quantile(c.alpha, 0.95) / np.quantile(c.alpha, 0.05)
                     for c in model.curves.values()))


def spend_breakdown(w: World, bought: dict[str, float]) -> tuple[float, float]:
    """Money off the oracle's sources and beyond its counts on them, in oracle costs."""
    oracle, alloc = oracle_allocation(w)
    price = w.prices
    off = sum(v * price[k] for k, v in bought.items() if alloc.get(k, 0.0) <= 0)
    over = sum(max(v - alloc[k], 0.0) * price[k] for k, v in bought.items()
               if alloc.get(k, 0.0) > 0)
    return off / oracle, over / oracle


def score(w: World, out: dict[str, Any]) -> dict[str, Any]:
    """Scoring with the truth: run-level and expected-error success, cost vs oracle."""
    z_rng = np.random.default_rng([4242, w.seed])
    z = {k: (float(a), float(b)) for k, (a, b) in
         zip(sorted(w.curves), z_rng.standard_normal((len(w.curves), 2)), strict=True)}
    run_ok, exp_ok, p_run = True, True, 1.0
    for t in w.tasks:
        r = out["deployed"][t]
        x = out["m"][t] if r == "none" else out["n"][r]
        cur = w.curves[(t, r)]
        e = float(cur.error(x))
        run_ok &= fresh_run_error(w, t, r, x, z[(t, r)]) <= w.targets[t]
        exp_ok &= e <= w.targets[t]
        sd = float(np.hypot(cur.tau_seed, cur.sigma(x)))
        p_run *= float(norm.cdf(np.log(w.targets[t] / e) / sd)) if sd > 0 else float(
            e <= w.targets[t])
    oracle = oracle_allocation(w)[0]
    off, over = spend_breakdown(w, out["bought"])
    return {"met_run": bool(run_ok), "met_expected": bool(exp_ok), "p_run": p_run,
            "measured_met": out["measured_met"], "cost": out["spent"], "oracle": oracle,
            "ratio": out["spent"] / oracle, "rounds_used": out["rounds_used"],
            "off_route": off, "overshoot": over, "n_tasks": len(w.tasks),
            "n_dbs": len(w.dbs), "early_spend": w.early_spend(),
            "pilots": out.get("pilots", 0), "alpha_spread": out.get("alpha_spread", np.nan)}


def world_seeds(which: str, count: int | None, first: int, shard: str | None) -> list[int]:
    """World seeds of a set (``first`` skips that many; ``shard`` = ``"i/k"``)."""
    start, default = SETS[which]
    seeds = list(range(start, start + (count or default)))[first:]
    if shard:
        i, k = map(int, shard.split("/"))
        seeds = seeds[i::k]
    return seeds


def benchmark(args: argparse.Namespace) -> pd.DataFrame:
    seeds = world_seeds(args.set, args.worlds, args.first_world, args.shard)
    worlds = make_worlds(seeds, args.generator)
    rows, t0 = [], time.perf_counter()
    for i, w in enumerate(worlds):
        for spec in args.strategies.split(","):
            out = run_world(w, spec, 100_003 * args.seed + w.seed, args.rounds, args.budget_x,
                            args.draws)
            rows.append({"world": w.seed, "strategy": spec, **score(w, out)})
        if args.csv:
            pd.DataFrame(rows).to_csv(args.csv, index=False)
        if (i + 1) % 5 == 0:
            print(f"  {i + 1}/{len(worlds)} worlds, {time.perf_counter() - t0:.0f} s",
                  flush=True)
    return pd.DataFrame(rows)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=tuple(SETS), default="scoring")
    parser.add_argument("--worlds", type=int, default=None, help="count (default: the set's)")
    parser.add_argument("--first-world", type=int, default=0, help="skip this many worlds")
    parser.add_argument("--shard", default=None, help="i/k: every k-th world from the i-th")
    parser.add_argument("--generator", choices=GENERATORS, default="honest")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--draws", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0, help="measurement-noise stream")
    parser.add_argument("--budget-x", type=float, default=BUDGET_X,
                        help="per-round budget = this x the early curves' cost")
    parser.add_argument("--schedule", choices=("ratio", "geometric"), default=SCHEDULE)
    parser.add_argument("--posterior", choices=("is", "laplace", "mcmc"), default=POSTERIOR)
    parser.add_argument("--stop", choices=("posterior", "measured"), default=STOP,
                        help="posterior strategies plan every round and buy what their "
                        "posterior asks for (posterior) or stop, like the baselines, when "
                        "their measurements meet the targets (measured)")
    parser.add_argument("--strategies", default=",".join(DEFAULT_STRATEGIES))
    parser.add_argument("--csv", default=None, help="per-world results (rewritten per world)")
    parser.add_argument("--merge", nargs="+", default=None, help="only report on these CSVs")
    parser.add_argument("--figure", default=None, help="write the frontier figure here")
    parser.add_argument("--headline", default="bayesian:p=0.95",
                        help="strategy the comparison lines are about")
    parser.add_argument("--timing", action="store_true", help="only the timing check")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.merge:
        df = pd.concat([pd.read_csv(f) for f in args.merge], ignore_index=True)
        report(df, args.headline, args.figure, args.budget_x * args.rounds)
        return
    globals().update(POSTERIOR=args.posterior, SCHEDULE=args.schedule, STOP=args.stop)
    torch.set_num_threads(1)
    print(f"set {args.set}, generator {args.generator} (version {GENERATOR_VERSION}), "
          f"{args.rounds} rounds, round budget {args.budget_x} x early spend, {args.draws} "
          f"posterior draws ({args.posterior}), {args.schedule} schedule, stop {args.stop}")
    print(f"machine: {platform.node()} {platform.processor() or platform.machine()}, "
          f"torch threads 1, python {platform.python_version()}")
    if args.timing:
        from regret_timing import timing

        timing()
        return
    t0 = time.perf_counter()
    df = benchmark(args)
    report(df, args.headline, args.figure, args.budget_x * args.rounds)
    print(f"total {time.perf_counter() - t0:.0f} s")
    if args.csv:
        Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(args.csv, index=False)


if __name__ == "__main__":
    main()
