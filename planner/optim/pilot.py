"""The value of a pilot round: measure a little before committing to the plan.

Before buying the one-shot plan (the cheapest batch with P(all targets met) >= ``p``) a
team may measure a small batch on one source first and re-plan on what it shows. Whether
that pays is a preposterior question, answered with the simulated truths and reweighted
posteriors of :mod:`planner.optim.preposterior`: the expected total cost of pilot +
re-made plan against the commit cost, on the same truths and run noise (paired).

Examples
--------
>>> v = pilot_value(model, problem, 0.9, worlds=8)     # doctest: +SKIP
>>> v.recommended, v.note[:30]                          # doctest: +SKIP
({'real:gap': 20}, 'a pilot of 20 real:gap (cost 4')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from sim2real.models.errors import PlanningError
from sim2real.planner.acquisition.objectives import min_cost_with_probability
from sim2real.planner.optim.optimizer import plan_batch
from sim2real.planner.optim.preposterior import (
    DrawSubset,
    Progress,
    measure,
    new_world,
    reweight,
    truth_met,
)
from sim2real.planner.optim.problem import PlanProblem, advance
from sim2real.planner.optim.result import PlanResult
from sim2real.planner.optim.sequential import MAXITER
from sim2real.planner.protocols import ErrorModel


@dataclass(frozen=True)
class PilotOption:
    """One candidate pilot and its simulated outcome (internal source names)."""

    allocation: dict[str, int]
    pilot_cost: float
    expected_total_cost: float
    cost_q50: float
    cost_se: float
    failure: float
    failure_diff_se: float
    saving: float
    ess_median: float


@dataclass(frozen=True)
class PilotValue:
    """What the next measurement is worth: the one-shot plan now against each pilot.

    ``saving`` of an option = ``commit_cost - expected_total_cost`` (the pilot's own
    cost included); ``recommended`` is the option with the largest saving that exceeds two
    Monte Carlo standard errors (``cost_se``) and whose failure probability is within two
    standard errors of committing now's (``commit_failure``), else ``None``.
    """

    commit_allocation: dict[str, int]
    commit_cost: float
    commit_failure: float
    options: list[PilotOption]
    recommended: dict[str, int] | None
    worlds: int
    replicates: int
    note: str

    def to_dict(self) -> dict[str, Any]:
        """plan.json ``pilot``."""
        return asdict(self)

    def renamed(self, given: Mapping[str, str]) -> PilotValue:
        """The same value with source names as the user gave them (``given``: internal
        name -> given name), the note rewritten.

        Examples
        --------
        >>> v = PilotValue({"real:a": 9}, 9.0, 0.1, [], None, 4, 3, "")
        >>> v.renamed({"real:a": "real"}).commit_allocation
        {'real': 9}
        """
        def ren(a: Mapping[str, int]) -> dict[str, int]:
            return {given.get(k, k): v for k, v in a.items()}

        options = [replace(o, allocation=ren(o.allocation)) for o in self.options]
        pick = None if self.recommended is None else ren(self.recommended)
        best = next((o for o in options if o.allocation == pick), None)
        return replace(self, commit_allocation=ren(self.commit_allocation), options=options,
                       recommended=pick, note=pilot_note(best, self.commit_cost,
                                                         self.commit_failure, self.worlds))


def pilot_candidates(problem: PlanProblem, commit: Mapping[str, int]) -> list[dict[str, int]]:
    """One pilot per source the one-shot plan buys: the count that takes the source to the
    geometric mean of its current size and the plan's (a quarter of the plan's count when
    it has no data yet), rounded to the source's granularity, at least its minimum.

    Examples
    --------
    >>> from sim2real.planner.optim.problem import OperatingPoint, Source
    >>> op = OperatingPoint({}, {}, {"a": 100.0})
    >>> p = PlanProblem((Source("real:a", 1.0),), 1e4, op, {"a": 0.1})
    >>> pilot_candidates(p, {"real:a": 300})
    [{'real:a': 100}]
    """
    op = problem.operating
    out = []
    for src in problem.sources:
        b = int(commit.get(src.name, 0))
        if b <= 0:
            continue
        if src.is_real:
            now = op.n_real.get(str(src.task), 0.0)
        else:
            now = max((v for (_, s), v in op.n_sim.items() if s == src.name), default=0.0)
        count = np.sqrt(now * (now + b)) - now if now > 0 else 0.25 * b
        g = src.granularity
        count = max(round(float(count) / g) * g, g, src.min)
        if count < b:
            out.append({src.name: int(count)})
    return out


def pilot_value(model: ErrorModel, problem: PlanProblem, probability: float, *,
                commit: PlanResult | None = None,
                candidates: Sequence[Mapping[str, int]] | None = None, worlds: int = 16,
                replicates: int = 3, pool: int = 400, penalty: float = 100.0,
                seed: int = 0, progress: Progress | None = None) -> PilotValue:
    """Expected cost-to-target of a pilot round, then the one-shot plan, against
    committing to the one-shot plan now (both within ``problem.budget``).

    Parameters
    ----------
    model, problem, probability
        As for :func:`forecast_schedule`; the one-shot plan is the cheapest batch with
        P(all targets met) >= ``probability``.
    commit : PlanResult, optional
        That plan, if already computed.
    candidates : sequence of dict, optional
        Pilot batches (default :func:`pilot_candidates`).
    worlds, replicates, pool, penalty, seed, progress
        As for :func:`forecast_schedule`; the same truths and run noise serve every option
        (paired comparison).

    Returns
    -------
    PilotValue

    Examples
    --------
    >>> v = pilot_value(model, problem, 0.9, worlds=8)     # doctest: +SKIP
    >>> [o.saving for o in v.options]                     # doctest: +SKIP
    [1250.0]
    """
    if worlds < 2:
        raise PlanningError(f"pilot worlds {worlds}: use at least 2 (default 16).")
    objective = min_cost_with_probability(probability, penalty)
    if commit is None:
        commit = plan_batch(model, problem, objective, seed=seed, maxiter=MAXITER)
    S = int(model.n_draws)
    rng = np.random.default_rng([seed, 11])
    truths = rng.choice(S, size=worlds, replace=worlds > S)
    base = [new_world(model, problem, int(t), rng) for t in truths]
    after = problem.with_operating(advance(problem.operating, commit.allocation))
    everyone = np.arange(S)
    commit_met = np.array([truth_met(model, after, everyone, w)[0] for w in base])
    cands = list(candidates) if candidates is not None else \
        pilot_candidates(problem, commit.allocation)
    options = []
    for c in cands:
        cost = float(problem.batch_cost(np.array([c.get(n, 0) for n in problem.names],
                                                 dtype=float)))
        if cost >= problem.budget:
            continue
        follow = replace(problem.with_operating(advance(problem.operating, c)),
                         budget=problem.budget - cost)
        totals, met, ess = [], [], []
        for w in base:
            world = replace(w, loglik=w.loglik.copy(), ess=[])
            measure(model, problem, c, world, rng, replicates)
            idx, e = reweight(world.loglik, min(pool, S), rng, exclude=world.truth)
            res = plan_batch(DrawSubset(model, idx), follow, objective, seed=seed,
                             maxiter=MAXITER)
            final = follow.with_operating(advance(follow.operating, res.allocation))
            totals.append(cost + res.total_cost)
            met.append(truth_met(model, final, idx, world)[0])
            ess.append(e)
            if progress is not None:
                progress(f"pilot {c}: world {len(totals)}/{worlds}")
        diff = commit_met.astype(float) - np.array(met, dtype=float)
        options.append(PilotOption(
            allocation=dict(c), pilot_cost=cost, expected_total_cost=float(np.mean(totals)),
            cost_q50=float(np.median(totals)),
            cost_se=float(np.std(totals, ddof=1) / np.sqrt(worlds)),
            failure=float(1 - np.mean(met)),
            failure_diff_se=float(diff.std(ddof=1) / np.sqrt(worlds)),
            saving=float(commit.total_cost - np.mean(totals)),
            ess_median=float(np.median(ess))))
    commit_failure = float(1 - commit_met.mean())
    ok = [o for o in options if o.saving > 2 * o.cost_se
          and o.failure <= commit_failure + 2 * o.failure_diff_se]
    best = max(ok, key=lambda o: o.saving) if ok else None
    return PilotValue(
        commit_allocation=dict(commit.allocation), commit_cost=float(commit.total_cost),
        commit_failure=commit_failure, options=options,
        recommended=None if best is None else best.allocation, worlds=worlds,
        replicates=replicates,
        note=pilot_note(best, commit.total_cost, commit_failure, worlds))


def pilot_note(best: PilotOption | None, commit_cost: float, commit_failure: float,
               worlds: int) -> str:
    """The sentence ``plan`` and the report show about the pilot.

    Examples
    --------
    >>> pilot_note(None, 1000.0, 0.1, 16)[:40]
    'no pilot pays for itself: committing to '
    """
    if best is None:
        return (f"no pilot pays for itself: committing to the plan now ({commit_cost:,.0f}) "
                f"is not expected to cost clearly more than measuring first ({worlds} "
                "simulated truths)")
    bought = ", ".join(f"{v:,} {k}" for k, v in best.allocation.items())
    return (f"a pilot of {bought} (cost {best.pilot_cost:,.0f}) is worth "
            f"{best.saving + best.pilot_cost:,.0f} in expected savings on the rest of the "
            f"plan, a net {best.saving:,.0f} below committing now ({commit_cost:,.0f}; "
            f"{worlds} simulated truths; P(the final run misses a target) "
            f"{best.failure:.0%} against {commit_failure:.0%})")
