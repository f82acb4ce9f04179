"""The BoTorch batch optimizer: ensemble of posterior draws, MC utility, budget polytope.

Steps: (1) wrap the error model's draws in :class:`DrawEnsembleModel`; (2) maximize the
smoothed Monte Carlo utility over the unit cube with ``optimize_acqf`` and the total budget
as a linear inequality constraint (per-source budgets and maxima are box bounds); (3)
repair the continuous optimum (and a few multiples of it along its ray, ``RAY_SCALES``) to
integers on each source's grid, never exceeding any budget; the rounded optimum is compared,
on the exact utility, with the rounded single-source and uniform starts, and a compass
search on the exact utility runs from the best ``SEARCHED`` of them, so the result is never
worse (in-model) than those simple allocations. Set-up costs (paid once per source bought)
are handled by :mod:`planner.optim.fixed_costs`, which chooses the sources used, calls
:func:`relax` for each choice and :func:`polish` on the best candidates.

Examples
--------
>>> res = plan_batch(model, problem, expected_error())  # doctest: +SKIP
>>> res.allocation, res.total_cost  # doctest: +SKIP
({'mp': 5000, 'real:gap': 20}, 7000.0)
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from sim2real.models.errors import ConvergenceWarning, PlanningError
from sim2real.planner.acquisition.objectives import (
    Objective,
    ObjectiveContext,
    expected_error,
    p_all_targets,
)
from sim2real.planner.optim.evaluate import TaskErrorEvaluator
from sim2real.planner.optim.fixed_costs import choose_sources
from sim2real.planner.optim.problem import PlanProblem
from sim2real.planner.optim.repair import repair
from sim2real.planner.optim.result import ErrorSummary, PlanResult
from sim2real.planner.protocols import ErrorModel

#: The continuous optimum is also repaired at these multiples (the exact utility of a
#: probability requirement is a step function of the counts: rounding can leave the batch
#: one posterior draw short of the requirement, and a slightly larger batch fixes that).
RAY_SCALES = (1.0, 1.03, 1.1, 1.25, 1.5, 0.9)
#: The compass search starts from this many of the best rounded candidates (the optimum on
#: its ray and the simple starts); the others are compared as rounded.
SEARCHED = 2
#: The simple starts spend these fractions of the free budget (a cost-aware objective may
#: want a small batch of one source, which a start spending everything would hide).
START_FRACTIONS = (1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001)


def objective_context(problem: PlanProblem, objective: Objective, tasks: list[str],
                      require: bool = True) -> Any:
    """Targets / weights tensors in task order for ``objective``."""
    import torch

    targets = dict(problem.targets)
    targets.update(objective.targets or {})
    weights = objective.weights if objective.weights is not None else problem.weights
    if require and objective.needs_targets and not targets:
        raise PlanningError(f"objective '{objective.name}' needs at least one target "
                            "(--target TASK=ERROR).")
    t = torch.tensor([targets.get(k, float("nan")) for k in tasks], dtype=torch.float64)
    w = torch.tensor([float(weights.get(k, 1.0)) for k in tasks], dtype=torch.float64)
    levels = None
    if objective.levels is not None:
        levels = torch.tensor([float(objective.levels.get(k, objective.probability))
                               for k in tasks], dtype=torch.float64)
    return ObjectiveContext(targets=t, weights=w, budget=problem.budget, levels=levels)


def exact_scorer(evaluator: TaskErrorEvaluator, problem: PlanProblem,
                 objective: Objective) -> Any:
    """``(k, d) counts -> (k,)`` exact utility (NumPy in, NumPy out)."""
    import torch

    ctx = objective_context(problem, objective, evaluator.tasks)

    def score(counts: np.ndarray) -> np.ndarray:
        x = torch.as_tensor(np.asarray(counts, dtype=float))
        with torch.no_grad():
            errors = evaluator(x).movedim(0, 1)           # (k, S, T)
            util = objective.utility(errors, problem.batch_cost(x), ctx, smooth=False)
        return util.numpy()

    return score


def plan_batch(model: ErrorModel, problem: PlanProblem, objective: Objective, *,
               num_restarts: int = 4, raw_samples: int = 128, maxiter: int = 100,
               seed: int = 0, provenance: dict[str, Any] | None = None) -> PlanResult:
    """Recommend the next batch for ``objective`` under ``problem``'s budget.

    Sources with a set-up cost (``Source.setup``) make the problem mixed-integer: which of
    them are bought is chosen by :func:`choose_sources` (exact enumeration or greedy
    elimination), the counts by the continuous optimizer and the integer repair.

    Parameters
    ----------
    model : ErrorModel
        Any fitted model (posterior draws of errors at given sizes).
    problem : PlanProblem
        Sources, budget, targets and current operating point.
    objective : Objective
        From :mod:`planner.acquisition.objectives`.
    num_restarts, raw_samples, maxiter : int
        ``optimize_acqf`` settings.
    seed : int
        Seed of the raw-sample initialization.
    provenance : dict, optional
        Extra provenance stored in the result.

    Returns
    -------
    PlanResult
    """
    t0 = time.perf_counter()
    evaluator = TaskErrorEvaluator(model, problem)
    objective, fallback = unreachable_fallback(evaluator, problem, objective)
    score = exact_scorer(evaluator, problem, objective)
    options = {"num_restarts": num_restarts, "raw_samples": raw_samples,
               "maxiter": maxiter, "seed": seed}
    best, search = choose_sources(
        problem, score, lambda sub, **kw: relax(evaluator, sub, objective, score,
                                                **{**options, **kw}),
        lambda cands: polish(problem, cands, score))
    prov = {"optimizer": "botorch.optimize_acqf", "num_restarts": num_restarts,
            "raw_samples": raw_samples, "seed": seed,
            "seconds": round(time.perf_counter() - t0, 3)}
    if search is not None:
        prov["setup_search"] = search
    prov.update(provenance or {})
    if fallback:
        prov["fallback"] = fallback
    return summarize(evaluator, problem, best, objective, objective.name, prov)


def relax(evaluator: TaskErrorEvaluator, problem: PlanProblem, objective: Objective,
          score: Any, *, num_restarts: int, raw_samples: int, maxiter: int, seed: int,
          fractions: tuple[float, ...] = START_FRACTIONS) -> list[np.ndarray]:
    """Rounded candidate batches of ``problem``, every buyable set-up cost treated as paid:
    the BoTorch optimum on the unit cube (budget polytope; best multiple on its ray) and
    the simple starts, each rounded onto the grid within the budgets (no search yet)."""
    import torch
    from botorch.exceptions.errors import OptimizationGradientError
    from botorch.optim import optimize_acqf

    from sim2real.planner.acquisition.model import DrawEnsembleModel, PosteriorUtility

    ctx = objective_context(problem, objective, evaluator.tasks)
    lo = torch.as_tensor(problem.lower, dtype=torch.float64)
    hi = torch.as_tensor(problem.upper, dtype=torch.float64)
    costs = torch.as_tensor(problem.costs, dtype=torch.float64)
    starts = [_start(problem, idx) for idx in _start_sets(problem)]
    free = torch.nonzero(hi > lo).flatten()
    if free.numel() > 0 and problem.free_budget > 0:
        ens = DrawEnsembleModel(evaluator, lo, hi)
        acq = PosteriorUtility(ens, objective, ctx, costs)
        d = len(problem.sources)
        bounds = torch.stack([torch.zeros(d), torch.ones(d)]).to(torch.float64)
        coef = -(costs * (hi - lo))[free]
        init = initial_conditions(acq, problem, starts, num_restarts, raw_samples, seed)
        try:
            with warnings.catch_warnings():  # our own initial conditions: no retry wanted
                warnings.filterwarnings("ignore", message="(?s).*batch_initial_conditions")
                u, _ = optimize_acqf(acq, bounds=bounds, q=1, num_restarts=init.shape[0],
                                     batch_initial_conditions=init,
                                     inequality_constraints=[(free, coef,
                                                              -problem.free_budget)],
                                     options={"maxiter": maxiter})
        except OptimizationGradientError as exc:       # non-finite utility gradient
            warnings.warn(f"the continuous optimizer stopped on a non-finite gradient "
                          f"({exc}); the batch comes from the simple starts and the integer "
                          "search only", ConvergenceWarning, stacklevel=2)
        else:
            starts.insert(0, best_on_ray(ens.to_counts(u.detach()).numpy()[0], problem,
                                         score))
    scaled = [_start(problem, idx, f) for f in fractions if f != 1.0
              for idx in _start_sets(problem)]
    rounded = np.unique(np.stack([repair(x, problem) for x in starts + scaled]), axis=0)
    return list(rounded)


def polish(problem: PlanProblem, candidates: list[np.ndarray], score: Any,
           searched: int = SEARCHED) -> np.ndarray:
    """Compass search (:func:`repair` with ``score``) from the best candidates of the
    ``searched`` best supports (sets of sources bought); the best batch found (never worse
    than any candidate)."""
    values = score(np.stack(candidates))
    seen: list[np.ndarray] = []
    for i in np.argsort(-values, kind="stable"):
        if not any(np.array_equal(candidates[i] > 0, c > 0) for c in seen):
            seen.append(candidates[i])           # the best of each support (sources used)
        if len(seen) == searched:
            break
    found = [repair(c, problem, score) for c in seen]     # each no worse than its start
    return found[int(np.argmax(score(np.stack(found))))]


def unreachable_fallback(evaluator: TaskErrorEvaluator, problem: PlanProblem,
                         objective: Objective) -> tuple[Objective, str | None]:
    """Swap a probability requirement no batch can approach for expected error.

    With every source at its largest count at once (more than any batch within the budget
    can buy) no posterior draw meets any task's target: every batch then has probability
    0, the cost term alone decides and the cheapest batch (nothing) would win. The plan
    minimizes the expected (weighted) error instead and says why.

    Returns
    -------
    tuple
        The objective to optimize and a note (``None`` when nothing changed).

    Examples
    --------
    >>> unreachable_fallback(evaluator, problem, expected_error())  # doctest: +SKIP
    (Objective(name='expected_error', ...), None)
    """
    ctx = objective_context(problem, objective, evaluator.tasks)   # validates the targets
    if objective.name != "min_cost_with_probability":
        return objective, None
    targets = ctx.targets.numpy()
    draws = np.asarray(evaluator(problem.upper[None, :].astype(float)))[:, 0, :]
    has = ~np.isnan(targets)
    if np.any(draws[:, has] <= targets[has]):
        return objective, None
    note = ("no posterior draw meets any target even with every source at its largest "
            "count, so no batch within the budget can raise the probability; the batch "
            "minimizes the expected error instead (a larger budget, another route or a "
            "less ambitious target is needed)")
    return expected_error(objective.weights), note


def best_on_ray(x: np.ndarray, problem: PlanProblem, score: Any) -> np.ndarray:
    """The multiple ``f * x`` (``f`` in ``RAY_SCALES``) whose rounded batch scores best."""
    ray = [x * f for f in RAY_SCALES]
    values = score(np.stack([repair(z, problem) for z in ray]))
    return ray[int(np.argmax(values))]


def initial_conditions(acq: Any, problem: PlanProblem, starts: list[np.ndarray],
                       num_restarts: int, raw_samples: int, seed: int) -> Any:
    """Best ``num_restarts`` of random feasible money splits and the simple starts.

    Splits are Dirichlet fractions of the free budget (one slack component), mapped to the
    unit cube; cheaper than hit-and-run sampling of the budget polytope.
    """
    import torch

    lo, hi, c = problem.lower, problem.upper, problem.costs
    span = np.where(hi > lo, hi - lo, 1.0)
    free = max(problem.free_budget, 0.0)
    rng = np.random.default_rng(seed)
    frac = rng.dirichlet(np.ones(len(c) + 1), size=raw_samples)[:, :-1]
    raw = np.minimum(1.0, frac * free / (c * span))
    fixed = [np.clip((x - lo) / span, 0.0, 1.0) for x in starts]
    u = torch.as_tensor(np.vstack([raw, *fixed]), dtype=torch.float64)[:, None, :]
    u = u * torch.as_tensor(hi > lo, dtype=torch.float64)
    with torch.no_grad():
        values = acq(u)
    top = torch.topk(values, min(num_restarts, len(values))).indices
    return u[top]


def _start_sets(problem: PlanProblem) -> list[list[int]]:
    """Every source, then each source that can grow alone."""
    d = len(problem.sources)
    return [list(range(d))] + [[int(i)] for i in np.flatnonzero(problem.upper > problem.lower)]


def _start(problem: PlanProblem, idx: list[int], fraction: float = 1.0) -> np.ndarray:
    """Spend ``fraction`` of the free budget equally (in money) over the sources ``idx``."""
    lo, hi, c = problem.lower, problem.upper, problem.costs
    x = lo.copy()
    free = max(problem.free_budget, 0.0) * fraction
    for i in idx:
        x[i] = min(hi[i], lo[i] + free / len(idx) / c[i])
    return x


def summarize(evaluator: TaskErrorEvaluator, problem: PlanProblem, counts: np.ndarray,
              objective: Objective, name: str,
              provenance: dict[str, Any] | None = None) -> PlanResult:
    """Evaluate an integer batch and package it as a :class:`PlanResult`."""
    import torch

    counts = np.asarray(counts, dtype=np.int64)
    draws = np.asarray(evaluator(counts[None, :].astype(float)))[:, 0, :]   # (S, T)
    expected = np.asarray(evaluator(counts[None, :].astype(float), run=False))[:, 0, :]
    now = evaluator.current()
    tasks = evaluator.tasks
    ctx = objective_context(problem, objective, tasks, require=False)
    targets = {t: float(problem.targets[t]) for t in tasks if t in problem.targets}
    prov = dict(provenance or {})
    prov["n_draws"] = int(draws.shape[0])
    prov["probability_of"] = "run" if evaluator.run_noise else "expected"
    paid = {n: float(s.setup) for n, s, k in zip(problem.names, problem.sources, counts,
                                                strict=True) if s.setup > 0 and k > 0}
    if problem.setups.any():
        prov["setup_paid"] = paid
    if targets:
        err_t = torch.as_tensor(draws)[None]
        prov["p_all_targets"] = float(p_all_targets(err_t, ctx.targets)[0])
    utility = float(exact_scorer(evaluator, problem, objective)(counts[None, :])[0]) \
        if (targets or not objective.needs_targets) else None
    return PlanResult(
        objective=name,
        allocation={n: int(v) for n, v in zip(problem.names, counts, strict=True)},
        total_cost=float(problem.batch_cost(counts.astype(float))),
        budget=float(problem.budget),
        expected_error={t: summary(expected[:, k]) for k, t in enumerate(tasks)},
        p_target={t: float(np.mean(draws[:, tasks.index(t)] <= v))
                  for t, v in targets.items()},
        p_target_expected={t: float(np.mean(expected[:, tasks.index(t)] <= v))
                           for t, v in targets.items()},
        probability_of="run" if evaluator.run_noise else "expected",
        targets=targets, rounds=[], provenance=prov,
        current_error={t: summary(now[:, k]) for k, t in enumerate(tasks)},
        utility=utility)


def summary(draws: np.ndarray) -> ErrorSummary:
    """Mean and 5/50/95% quantiles of a vector of draws."""
    q = np.quantile(draws, [0.05, 0.5, 0.95])
    return ErrorSummary(float(np.mean(draws)), float(q[0]), float(q[1]), float(q[2]))
