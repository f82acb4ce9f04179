"""Preposterior analysis: what the next measurements are worth before they are made.

The posterior's draws stand in for the possible truths. One draw is taken as the truth; a
batch's measurements are simulated from it (its expected error at each route's new size
times its run-to-run noise, averaged over ``replicates`` seeds); the posterior a team
would have after them is approximated by reweighting the *other* draws by the likelihood
of those measurements and resampling them (:func:`reweight`). Planning on that posterior
and checking the truth's own training run at the sizes finally bought gives a policy's
distribution of total cost and its failure probability, without refitting the model.

- :func:`forecast_schedule`: the whole schedule of the sequential policy with ``K`` rounds
  left (what triggers each round, expected total cost, failure probability).
- :func:`planner.optim.pilot.pilot_value`: the value of a pilot round, a small batch at an
  intermediate size on one source measured before committing to the one-shot plan: its
  expected saving in cost-to-target against committing now, at a failure probability no
  worse.

Limits. Reweighting keeps only the current draws: a truth the posterior finds unlikely is
represented by the few draws closest to it (``ess`` reports how many carry the weight).
The truths are posterior draws, so these figures are the model's own forecast and inherit
its calibration (the regret benchmark, ``benchmarks/planner_regret.py``, measures it).

Examples
--------
>>> fc = forecast_schedule(model, problem, 0.9, rounds_left=3)   # doctest: +SKIP
>>> fc.expected_total_cost, fc.failure                           # doctest: +SKIP
(41250.0, 0.0625)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from sim2real.models.errors import PlanningError
from sim2real.models.families.noise import standard_noise
from sim2real.planner.optim.evaluate import TaskErrorEvaluator
from sim2real.planner.optim.problem import PlanProblem, advance
from sim2real.planner.optim.result import PlanResult
from sim2real.planner.optim.sequential import plan_next_round, round_probability
from sim2real.planner.protocols import ErrorModel

Progress = Callable[[str], None]
Point = tuple[str, str, float, float]


class DrawSubset:
    """The model restricted to (resampled) draws ``index`` of another model.

    Satisfies :class:`planner.protocols.ErrorModel`; carries ``noise_draws`` and
    ``nu_draws`` over when the base model has them (run-level probabilities).

    Examples
    --------
    >>> class Two:
    ...     n_draws = 2
    ...     def error_draws(self, task, sim_source, n_sim, n_real):
    ...         return np.array([[0.1], [0.2]]) * np.ones(np.shape(n_real))
    >>> DrawSubset(Two(), [1, 1, 0]).error_draws("t", "none", 0, np.array([5.0]))[:, 0]
    array([0.2, 0.2, 0.1])
    """

    def __init__(self, base: ErrorModel, index: Sequence[int] | np.ndarray) -> None:
        self.base = base
        self.index = np.asarray(index, dtype=np.int64)
        if getattr(base, "noise_draws", None) is None:
            self.noise_draws = None      # type: ignore[method-assign,assignment]

    @property
    def n_draws(self) -> int:
        """Number of draws kept (with repeats)."""
        return int(self.index.size)

    @property
    def nu_draws(self) -> np.ndarray | None:
        """Student-t degrees of freedom of the kept draws (``None``: normal noise)."""
        nu = getattr(self.base, "nu_draws", None)
        return None if nu is None else np.asarray(nu)[self.index]

    def _take(self, a: Any) -> Any:
        if type(a).__module__.split(".")[0] == "torch":
            import torch

            return a[torch.as_tensor(self.index)]
        return np.asarray(a)[self.index]

    def error_draws(self, task: str, sim_source: str, n_sim: Any, n_real: Any) -> Any:
        """The base model's error draws at the kept indices."""
        return self._take(self.base.error_draws(task, sim_source, n_sim, n_real))

    def noise_draws(self, task: str, sim_source: str, n_sim: Any, n_real: Any) -> Any:
        """The base model's run-noise draws at the kept indices."""
        return self._take(self.base.noise_draws(  # type: ignore[attr-defined]
            task, sim_source, n_sim, n_real))


def reweight(loglik: np.ndarray, size: int, rng: np.random.Generator,
             exclude: int | None = None) -> tuple[np.ndarray, float]:
    """Systematic resample of draw indices by ``exp(loglik)``; ``exclude`` gets weight 0.

    Returns the ``size`` indices and the effective sample size ``1 / sum(w**2)``.

    Examples
    --------
    >>> idx, ess = reweight(np.log([0.5, 0.5, 1e-9]), 4, np.random.default_rng(0))
    >>> sorted(set(idx.tolist())), round(ess, 2)
    ([0, 1], 2.0)
    """
    logw = np.array(loglik, dtype=float)
    if exclude is not None:
        logw[exclude] = -np.inf
    if not np.isfinite(logw).any():
        raise PlanningError("every posterior draw has zero likelihood for the simulated "
                            "measurements.")
    w = np.exp(logw - logw.max())
    w /= w.sum()
    positions = (rng.random() + np.arange(size)) / size
    idx = np.minimum(np.searchsorted(np.cumsum(w), positions), w.size - 1)
    return idx.astype(np.int64), float(1.0 / np.sum(w ** 2))


def _route_draws(model: ErrorModel, points: Sequence[Point]) -> tuple[np.ndarray, np.ndarray]:
    """Expected-error and run-noise draws ``(S, R)`` at route points."""
    if getattr(model, "noise_draws", None) is None:
        raise PlanningError("simulating measurements needs a model with a noise model "
                            "(noise_draws); refit with the default noise settings.")
    e, s = [], []
    for task, route, n, m in points:
        e.append(np.asarray(model.error_draws(task, route, np.array([n]), np.array([m])),
                            dtype=float)[:, 0])
        s.append(np.asarray(model.noise_draws(  # type: ignore[attr-defined]
            task, route, float(n), float(m)), dtype=float).reshape(-1))
    return np.stack(e, 1), np.stack(s, 1)


@dataclass
class World:
    """One simulated truth: its draw, the log-likelihood of what it measured so far, its
    fixed standard noise of the final run per task, and the ESS of every update."""

    truth: int
    loglik: np.ndarray
    eps: dict[str, float]
    ess: list[float] = field(default_factory=list)


def new_world(model: ErrorModel, problem: PlanProblem, truth: int,
               rng: np.random.Generator) -> World:
    nu = getattr(model, "nu_draws", None)
    nu_t = None if nu is None else np.asarray(nu)[[truth]]
    eps = {t: float(standard_noise(rng, nu_t, (1,))[0]) for t in problem.tasks}
    return World(truth, np.zeros(int(model.n_draws)), eps)


def measure(model: ErrorModel, problem: PlanProblem, allocation: Mapping[str, int],
             world: World, rng: np.random.Generator, replicates: int) -> None:
    """Add to ``world.loglik`` the likelihood of simulated measurements of every route the
    batch changes (the mean log error of ``replicates`` runs of the truth draw)."""
    ev = TaskErrorEvaluator(model, problem)
    counts = np.array([allocation.get(n, 0) for n in problem.names], dtype=float)
    before = set(ev.route_points(np.zeros_like(counts)))
    points = [p for p in ev.route_points(counts) if p not in before]
    if not points:
        return
    E, sig = _route_draws(model, points)
    nu = getattr(model, "nu_draws", None)
    nu_t = None if nu is None else np.asarray(nu)[[world.truth]]
    z = standard_noise(rng, nu_t, (1, replicates * len(points))).reshape(replicates, -1)
    y = np.log(E[world.truth]) + sig[world.truth] * z.mean(0)
    sd = sig / np.sqrt(replicates)
    world.loglik += np.sum(-0.5 * ((y - np.log(E)) / sd) ** 2 - np.log(sd), axis=1)


def truth_met(model: ErrorModel, problem: PlanProblem, pool: np.ndarray,
               world: World) -> tuple[bool, bool]:
    """Whether the truth's training run (and its expected error) meets every target at the
    current sizes, on the route each task's posterior ``pool`` deems best."""
    ev = TaskErrorEvaluator(model, problem)
    points = ev.route_points(np.zeros(len(problem.names)))
    E, sig = _route_draws(model, points)
    run_ok = exp_ok = True
    for task, target in problem.targets.items():
        cols = [j for j, p in enumerate(points) if p[0] == task]
        j = cols[int(np.argmin(E[pool][:, cols].mean(0)))]
        e = E[world.truth, j]
        run_ok &= bool(e * np.exp(sig[world.truth, j] * world.eps[task]) <= target)
        exp_ok &= bool(e <= target)
    return run_ok, exp_ok


@dataclass(frozen=True)
class ScheduleForecast:
    """The sequential policy's schedule and its simulated outcome (JSON-ready).

    ``rounds``: per round, what triggers it and the share of simulated worlds that buy in
    it with their mean spend; ``failure``: share of worlds whose training run at the
    final sizes misses a target (``failure_se`` its Monte Carlo standard error);
    ``failure_expected``: the same for the truth's expected error.
    """

    rounds: list[dict[str, Any]]
    expected_total_cost: float
    cost_q10: float
    cost_q50: float
    cost_q90: float
    failure: float
    failure_se: float
    failure_expected: float
    worlds: int
    replicates: int
    ess_median: float
    ess_min: float
    note: str

    def to_dict(self) -> dict[str, Any]:
        """plan.json ``schedule``."""
        return asdict(self)


def round_trigger(k: int, rounds_left: int, probability: float, schedule: str = "ratio"
                  ) -> str:
    """What triggers round ``k`` (1-based) of a ``rounds_left``-round sequential plan.

    Examples
    --------
    >>> round_trigger(1, 3, 0.9)
    'now: buy the recommended batch'
    >>> round_trigger(3, 3, 0.9)[:43]
    "after round 2's results (`sim2real update`)"
    """
    if k == 1:
        return "now: buy the recommended batch"
    left = rounds_left - k + 1
    need = (f"sized for P(all targets met) >= {probability:g}" if left == 1 else
            f"sized for each target at {round_probability(probability, left, schedule):.2f}"
            " x its probability within the budget")
    return (f"after round {k - 1}'s results (`sim2real update`), plan again with "
            f"--rounds-left {left}: it buys only if P(all targets met) < {probability:g} "
            f"at the measured sizes, {need}")


def forecast_schedule(model: ErrorModel, problem: PlanProblem, probability: float,
                      rounds_left: int, first: PlanResult | None = None, *,
                      worlds: int = 16, replicates: int = 3, pool: int = 400,
                      penalty: float = 100.0, schedule: str = "ratio", seed: int = 0,
                      progress: Progress | None = None) -> ScheduleForecast:
    """Simulate the sequential policy over ``rounds_left`` rounds from the posterior.

    Parameters
    ----------
    model : ErrorModel
        The current posterior (with ``noise_draws``).
    problem : PlanProblem
        This round's problem; every later round gets the same budget.
    probability : float
        P(all targets met) required by the last round.
    rounds_left : int
        Rounds left including this one.
    first : PlanResult, optional
        This round's batch (default: :func:`plan_next_round`).
    worlds : int
        Simulated truths (posterior draws); each costs ``rounds_left - 1`` plans.
    replicates : int
        Seeds a team trains per measured size.
    pool : int
        Draws each reweighted posterior keeps.
    penalty, schedule : see :func:`planner.optim.sequential.plan_next_round`.
    seed : int
        Seed of the truths, the simulated noise and the optimizer.
    progress : callable, optional
        Called with a label after every world.

    Returns
    -------
    ScheduleForecast

    Examples
    --------
    >>> forecast_schedule(model, problem, 0.9, 3, worlds=8).failure  # doctest: +SKIP
    0.125
    """
    if worlds < 2:
        raise PlanningError(f"forecast worlds {worlds}: use at least 2 (default 16).")
    rng = np.random.default_rng([seed, 7])
    if first is None:
        first = plan_next_round(model, problem, probability, rounds_left, penalty=penalty,
                                schedule=schedule, seed=seed)
    S = int(model.n_draws)
    truths = rng.choice(S, size=worlds, replace=worlds > S)
    spend = np.zeros((worlds, rounds_left))
    met = np.zeros((worlds, 2), dtype=bool)
    ess: list[float] = []
    for w, truth in enumerate(truths):
        world = new_world(model, problem, int(truth), rng)
        prob, res = problem, first
        for k in range(rounds_left):
            if k > 0:
                idx, e = reweight(world.loglik, min(pool, S), rng, exclude=world.truth)
                world.ess.append(e)
                res = plan_next_round(DrawSubset(model, idx), prob, probability,
                                      rounds_left - k, penalty=penalty, schedule=schedule,
                                      seed=seed)
            spend[w, k] = res.total_cost
            if res.total_cost <= 0:
                break
            measure(model, prob, res.allocation, world, rng, replicates)
            prob = prob.with_operating(advance(prob.operating, res.allocation))
        idx, e = reweight(world.loglik, min(pool, S), rng, exclude=world.truth)
        met[w] = truth_met(model, prob, idx, world)
        ess += [*world.ess, e]
        if progress is not None:
            progress(f"world {w + 1}/{worlds}")
    total = spend.sum(1)
    fail = ~met[:, 0]
    rounds = [{"round": k + 1, "trigger": round_trigger(k + 1, rounds_left, probability,
                                                        schedule),
               "share_buying": float(np.mean(spend[:, k] > 0)),
               "mean_cost": float(spend[:, k].mean())} for k in range(rounds_left)]
    return ScheduleForecast(
        rounds=rounds, expected_total_cost=float(total.mean()),
        cost_q10=float(np.quantile(total, 0.1)), cost_q50=float(np.median(total)),
        cost_q90=float(np.quantile(total, 0.9)), failure=float(fail.mean()),
        failure_se=float(np.sqrt(fail.mean() * (1 - fail.mean()) / worlds)),
        failure_expected=float(np.mean(~met[:, 1])), worlds=worlds,
        replicates=replicates, ess_median=float(np.median(ess)), ess_min=float(np.min(ess)),
        note=_forecast_note(worlds, replicates, float(np.median(ess))))


def _forecast_note(worlds: int, replicates: int, ess: float) -> str:
    return (f"simulated over {worlds} truths drawn from the posterior ({replicates} seeds "
            f"per measured size; each later round plans on the draws reweighted by the "
            f"simulated results, median effective sample size {ess:.0f}): the model's own "
            "forecast, as calibrated as the model")
