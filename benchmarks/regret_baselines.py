"""Non-Bayesian baselines of the regret benchmark, each with a risk knob (issue 13, item 5).

Every baseline sees only what a user has (:class:`Situation`: the measured table, prices,
targets, current sizes and the round's budget) and returns new samples per source. They
share the route logic: per task and route a required total size, then the cheapest choice
of one route per task (databases serve every task that uses them,
:func:`regret_worlds.cheapest_allocation` on the *estimates*), scaled down to the budget.
A task whose measurements already meet its target gets nothing; one that the estimate
calls met although its measurements do not gets at least 25% more of its route (a user
does not stop on a fit that contradicts the data); one that the estimate calls unreachable
on every route gets ``GROW`` times its best-measured route (a user does not give up).

- ``ls_margin`` (knob ``m``): least-squares power law per curve (log residuals, seed-mean
  errors), required size times ``1 + m``;
- ``ls_bootstrap`` (knob ``q``): the least-squares fit refitted on ``BOOT`` residual
  bootstrap resamples; buy the size where the ``q``-quantile of the predicted error meets
  the target;
- ``mahmood`` (knob ``k``): Mahmood et al. (CVPR 2022), "How much more data do I need?":
  fit on sub-prefixes of each curve's sizes, measure how much the fit under-estimates the
  error at the largest measured size (mean log ratio ``tau >= 0`` over prefixes and
  curves), and aim at the stricter target ``target exp(-k tau)`` (their ``V* + tau``);
- ``until_flat`` (knob ``thr``): grow the route with the lowest measured error ``GROW``-fold
  each round until its measured improvement per doubling of size falls below ``thr`` (then
  the next route; all flat: stop the task).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from regret_worlds import cheapest_allocation, required_size
from scipy.optimize import curve_fit

BOOT = 20  # residual bootstrap resamples of ls_bootstrap
GROW = 3.0  # size growth per round of until_flat
MIN_STEP = 0.25  # least growth of a task's route when the fit contradicts the data


@dataclass
class Situation:
    """What a user knows before a round (no truth, no oracle)."""

    table: pd.DataFrame
    tasks: list[str]
    dbs: list[str]
    prices: dict[str, float]
    targets: dict[str, float]
    m: dict[str, float]
    n: dict[str, float]
    budget: float
    remaining: int

    def size(self, task: str, route: str) -> float:
        return self.m[task] if route == "none" else self.n[route]

    @cached_property
    def curves(self) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
        """Per (task, route): distinct sizes and seed-mean errors (sorted by size)."""
        out = {}
        for (t, r), rows in self.table.groupby(["task", "sim_source"]):
            col = "n_real" if r == "none" else "n_sim"
            g = rows.groupby(col)["error"].mean()
            out[(str(t), str(r))] = (g.index.to_numpy(float), g.to_numpy(float))
        return out


def measured_best(table: pd.DataFrame) -> dict[str, tuple[str, float]]:
    """Per task, the route with the lowest seed-mean error at its largest measured size."""
    best: dict[str, tuple[str, float]] = {}
    for (t, r), rows in table.groupby(["task", "sim_source"]):
        col = "n_real" if r == "none" else "n_sim"
        last = rows[rows[col] == rows[col].max()]["error"].mean()
        if str(t) not in best or last < best[str(t)][1]:
            best[str(t)] = (str(r), float(last))
    return best


def measured_met(table: pd.DataFrame, targets: dict[str, float]) -> set[str]:
    """Tasks whose own measurements (best route's seed mean) meet the target."""
    return {t for t, (_, e) in measured_best(table).items() if e <= targets[t]}


def _f(x: np.ndarray, lc: float, ld: float, a: float) -> np.ndarray:
    return np.log(np.exp(lc) + np.exp(ld) * x ** (-a))


def fit_curve(x: np.ndarray, y: np.ndarray, p0: np.ndarray | None = None) -> np.ndarray:
    """Least-squares ``(log c, log d, alpha)`` of ``log y = log(c + d x^-alpha)``."""
    if p0 is None:
        c0 = max(float(y.min()) * 0.5, 1e-6)
        p0 = np.array([np.log(c0), np.log(max(float(y.max() - c0), 1e-6)) +
                       0.5 * np.log(x.min()), 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            p, _ = curve_fit(_f, x, np.log(y), p0=p0, bounds=([-20, -20, 0.01], [10, 30, 3]),
                             maxfev=2000)
        except (RuntimeError, ValueError):
            p = np.asarray(p0, dtype=float)
    return p


def _curve_fn(p: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    return lambda x: np.exp(p[0]) + np.exp(p[1]) * np.asarray(x, dtype=float) ** (-p[2])


def bootstrap_fits(x: np.ndarray, y: np.ndarray, rng: np.random.Generator,
                   boot: int = BOOT) -> np.ndarray:
    """``(boot, 3)`` fits on residual bootstrap resamples of the log seed means."""
    p = fit_curve(x, y)
    res = np.log(y) - _f(x, *p)
    fits = [fit_curve(x, np.exp(_f(x, *p) + rng.choice(res, len(res))), p)
            for _ in range(boot)]
    return np.array(fits)


def allocate(sit: Situation, req: Callable[[str, str], float]) -> dict[str, float]:
    """Cheapest route per task from required total sizes ``req(task, route)``, within
    the round's budget (scaled down proportionally when over it)."""
    met = measured_met(sit.table, sit.targets)
    need: dict[str, dict[str, float]] = {}
    for t in sit.tasks:
        routes = ["none"] + [s for s in sit.dbs if (t, s) in sit.curves]
        if t in met:
            need[t] = dict.fromkeys(routes, 0.0)
            continue
        need[t] = {}
        for r in routes:
            cur = sit.size(t, r)
            need[t][r] = max(req(t, r) - cur, MIN_STEP * cur)
        if not any(np.isfinite(v) for v in need[t].values()):
            best = measured_best(sit.table)[t][0]      # no route reaches: grow the best
            need[t] = {best: (GROW - 1) * sit.size(t, best)}
    cost, alloc = cheapest_allocation(need, sit.prices)
    if not np.isfinite(cost):
        return {}
    scale = min(1.0, sit.budget / cost) if cost > 0 else 1.0
    return {k: float(np.floor(v * scale)) for k, v in alloc.items() if v * scale >= 1}


def ls_margin(sit: Situation, m: float = 0.2, **_: object) -> dict[str, float]:
    """Least-squares required size times ``1 + m``."""
    curves = sit.curves
    fits = {k: fit_curve(*v) for k, v in curves.items()}

    def req(t: str, r: str) -> float:
        return (1 + m) * required_size(_curve_fn(fits[(t, r)]), sit.size(t, r), sit.targets[t])

    return allocate(sit, req)


def ls_bootstrap(sit: Situation, q: float = 0.8, rng: np.random.Generator | None = None,
                 **_: object) -> dict[str, float]:
    """Size where the ``q``-quantile of the bootstrap-predicted error meets the target."""
    rng = rng if rng is not None else np.random.default_rng(0)
    curves = sit.curves
    boots = {k: bootstrap_fits(*v, rng) for k, v in curves.items()}

    def req(t: str, r: str) -> float:
        b = boots[(t, r)]

        def qerr(x: np.ndarray) -> np.ndarray:
            x = np.atleast_1d(np.asarray(x, dtype=float))
            e = np.exp(b[:, :1]) + np.exp(b[:, 1:2]) * x[None, :] ** (-b[:, 2:3])
            out = np.quantile(e, q, axis=0)
            return out if out.size > 1 else out[0]

        return required_size(qerr, sit.size(t, r), sit.targets[t])

    return allocate(sit, req)


def underestimate(curves: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]) -> float:
    """Mahmood et al.'s correction: mean log ratio of measured to prefix-predicted error at
    each curve's largest size (prefixes of >= 3 sizes), floored at 0."""
    ratios = []
    for x, y in curves.values():
        for j in range(3, len(x)):
            p = fit_curve(x[:j], y[:j])
            ratios.append(np.log(y[-1]) - float(_f(x[-1:], *p)[0]))
    return max(0.0, float(np.mean(ratios))) if ratios else 0.0


def mahmood(sit: Situation, k: float = 1.0, **_: object) -> dict[str, float]:
    """Least-squares size for the corrected target ``target exp(-k tau)``."""
    curves = sit.curves
    tau = underestimate(curves)
    fits = {key: fit_curve(*v) for key, v in curves.items()}

    def req(t: str, r: str) -> float:
        return required_size(_curve_fn(fits[(t, r)]), sit.size(t, r),
                             sit.targets[t] * np.exp(-k * tau))

    return allocate(sit, req)


def is_flat(x: np.ndarray, y: np.ndarray, thr: float) -> bool:
    """Measured relative improvement per doubling between the last two sizes < ``thr``."""
    if len(x) < 2:
        return False
    gain = (y[-2] - y[-1]) / y[-2] / np.log2(x[-1] / x[-2])
    return bool(gain < thr)


def until_flat(sit: Situation, thr: float = 0.02, **_: object) -> dict[str, float]:
    """Grow each unmet task's best-looking non-flat route ``GROW``-fold."""
    curves = sit.curves
    met = measured_met(sit.table, sit.targets)
    alloc: dict[str, float] = {}
    for t in sit.tasks:
        if t in met:
            continue
        routes = sorted((r for (tt, r) in curves if tt == t), key=lambda r: curves[(t, r)][1][-1])
        live = [r for r in routes if not is_flat(*curves[(t, r)], thr)]
        if not live:
            continue
        key = "real:" + t if live[0] == "none" else live[0]
        alloc[key] = max(alloc.get(key, 0.0), (GROW - 1) * sit.size(t, live[0]))
    cost = sum(v * sit.prices[k] for k, v in alloc.items())
    scale = min(1.0, sit.budget / cost) if cost > 0 else 1.0
    return {k: float(np.floor(v * scale)) for k, v in alloc.items() if v * scale >= 1}


BASELINES: dict[str, tuple[Callable[..., dict[str, float]], str]] = {
    "ls_margin": (ls_margin, "m"), "ls_bootstrap": (ls_bootstrap, "q"),
    "mahmood": (mahmood, "k"), "until_flat": (until_flat, "thr"),
}
