"""Scoring of a retrospective planning run: predictive intervals, coverage, cost to target.

Pure NumPy / pandas helpers used by :mod:`case_studies.retrospective`. A *route point* is
one run the planner's convention predicts: the scratch learner at the task's ``n_real``, or
a database curve at its ``n_sim`` and the ``n_real`` it was measured at.

Examples
--------
>>> import pandas as pd
>>> rows = pd.DataFrame({"strategy": ["a", "a"], "realized": [0.5, 0.9],
...                      "q05": [0.4, 0.4], "q25": [0.45, 0.45], "q75": [0.55, 0.55],
...                      "q95": [0.6, 0.6]})
>>> coverage_table(rows)[["in50", "in90", "n"]].values.tolist()
[[1, 1, 2]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim2real.models.families.noise import standard_noise

PRED_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
QCOLS: tuple[str, ...] = ("q05", "q25", "q50", "q75", "q95")


def replicate_draws(model: Any, task: str, sim_source: str, n_sim: float, n_real: float,
                    n_mean: int = 1, seed: int = 0) -> np.ndarray:
    """Posterior predictive draws of the error of ``n_mean`` averaged new replicates.

    The expected error draws of ``model.error_draws`` are multiplied by the model's
    log-normal replicate noise, ``exp(sigma * eps)`` with the curve's ``sigma`` draws
    (Student-t noise when the posterior's likelihood is ``student_t``). Models without
    ``noise_draws`` (hand-built draws) give the expected error only.

    Parameters
    ----------
    model : ErrorModel
        A fitted :class:`~models.posterior.base.Posterior` (or any ErrorModel).
    task, sim_source, n_sim, n_real
        The operating point of the new run.
    n_mean : int
        Number of replicates averaged (1 = a single run).
    seed : int
        Seed of the noise draws.

    Returns
    -------
    ndarray, shape (S,)

    Examples
    --------
    >>> class M:
    ...     def error_draws(self, task, src, n_sim, n_real):
    ...         return np.full((4, 1), 0.5)
    >>> replicate_draws(M(), "t", "none", 0, 10).tolist()
    [0.5, 0.5, 0.5, 0.5]
    """
    mean = np.asarray(model.error_draws(task, sim_source, n_sim, n_real), dtype=float)[:, 0]
    noise = getattr(model, "noise_draws", None)
    if noise is None:
        return mean
    sigma = np.asarray(noise(task, sim_source, n_sim, n_real), dtype=float)
    rng = np.random.default_rng(seed)
    shape = (mean.size, n_mean)
    eps = standard_noise(rng, getattr(model, "nu_draws", None), shape)
    return mean * np.exp(sigma[:, None] * eps).mean(axis=1)


def interval_row(draws: np.ndarray) -> dict[str, float]:
    """Mean and the :data:`PRED_QUANTILES` of draws as ``q05 ... q95`` columns.

    Examples
    --------
    >>> interval_row(np.arange(101.0))["q25"]
    25.0
    """
    q = np.quantile(draws, PRED_QUANTILES)
    return {"pred_mean": float(draws.mean()), **dict(zip(QCOLS, map(float, q), strict=True))}


def add_coverage(rows: pd.DataFrame) -> pd.DataFrame:
    """Add ``in50`` / ``in90``: realized error inside the central 50% / 90% interval.

    Examples
    --------
    >>> t = pd.DataFrame({"realized": [1.0], "q05": [0.0], "q25": [1.5], "q75": [2.0],
    ...                   "q95": [3.0]})
    >>> add_coverage(t)[["in50", "in90"]].values.tolist()
    [[False, True]]
    """
    out = rows.copy()
    r = out["realized"].to_numpy(float)
    out["in50"] = (r >= out["q25"].to_numpy(float)) & (r <= out["q75"].to_numpy(float))
    out["in90"] = (r >= out["q05"].to_numpy(float)) & (r <= out["q95"].to_numpy(float))
    out["above90"] = r > out["q95"].to_numpy(float)
    out["below90"] = r < out["q05"].to_numpy(float)
    return out


def coverage_table(rows: pd.DataFrame, by: str = "strategy") -> pd.DataFrame:
    """Counts and fractions of realized errors inside the 50% / 90% intervals.

    One row per value of ``by`` plus an ``all`` row; ``in50``/``in90`` are counts out of
    ``n``, ``cov50``/``cov90`` the fractions (nominal 0.5 and 0.9).
    """
    scored = add_coverage(rows) if "in50" not in rows else rows
    groups = [(str(k), g) for k, g in scored.groupby(by, sort=True)]
    if len(groups) > 1:
        groups.append(("all", scored))
    out = []
    for name, g in groups:
        n = len(g)
        out.append({by: name, "n": n, "in50": int(g["in50"].sum()),
                    "in90": int(g["in90"].sum()),
                    "below90": int(g.get("below90", pd.Series(dtype=bool)).sum()),
                    "above90": int(g.get("above90", pd.Series(dtype=bool)).sum()),
                    "cov50": float(g["in50"].mean()) if n else float("nan"),
                    "cov90": float(g["in90"].mean()) if n else float("nan")})
    return pd.DataFrame(out)


def realized_task_error(table: pd.DataFrame, task: str) -> tuple[float, str]:
    """Best route at the current operating point: min over routes of the seed-mean error.

    Routes: scratch at the task's largest ``n_real``; each database at its largest
    ``n_sim`` and the largest ``n_real`` measured with it (the planner's convention).

    Examples
    --------
    >>> t = pd.DataFrame({"task": "t", "sim_source": ["none", "none", "mp", "mp"],
    ...                   "n_sim": [0, 0, 10, 20], "n_real": [5, 9, 9, 9],
    ...                   "error": [1.0, 0.8, 0.9, 0.7]})
    >>> realized_task_error(t, "t")
    (0.7, 'mp')
    """
    rows = table[table["task"] == task]
    best = (float("inf"), "")
    scratch = rows[rows["sim_source"] == "none"]
    if not scratch.empty:
        at = scratch[scratch["n_real"] == scratch["n_real"].max()]
        best = min(best, (float(at["error"].mean()), "none"))
    for src, g in rows[rows["sim_source"] != "none"].groupby("sim_source", sort=True):
        at = g[g["n_sim"] == g["n_sim"].max()]
        at = at[at["n_real"] == at["n_real"].max()]
        best = min(best, (float(at["error"].mean()), str(src)))
    return best


def cost_to_target(rounds: pd.DataFrame) -> pd.DataFrame:
    """Per strategy: cumulative cost when the realized error first met the target.

    ``rounds`` has columns ``strategy, round, cum_cost, met`` (round 0 = initial data).
    ``cost_to_target`` is NaN and ``met_round`` is -1 when never met.

    Examples
    --------
    >>> r = pd.DataFrame({"strategy": ["a", "a"], "round": [0, 1], "cum_cost": [0, 5.0],
    ...                   "met": [False, True], "realized": [0.9, 0.5]})
    >>> cost_to_target(r)[["met_round", "cost_to_target"]].values.tolist()
    [[1.0, 5.0]]
    """
    out = []
    for name, g in rounds.sort_values("round").groupby("strategy", sort=False):
        hit = g[g["met"].astype(bool)]
        last = g.iloc[-1]
        out.append({"strategy": name,
                    "met_round": int(hit["round"].iloc[0]) if len(hit) else -1,
                    "cost_to_target": float(hit["cum_cost"].iloc[0]) if len(hit)
                    else float("nan"),
                    "total_cost": float(last["cum_cost"]), "rounds_run": int(last["round"]),
                    "final_error": float(last["realized"])})
    return pd.DataFrame(out)


def stated_vs_realized(rounds: pd.DataFrame, predictions: pd.DataFrame,
                       target: float) -> pd.DataFrame:
    """Per strategy-round: the stated P(target) of the batch against the share of the
    chosen route's runs (one per seed) that met the target.

    The chosen route is the one with the lowest predicted mean error (the team's choice
    without hindsight, as the planner's evaluator makes it). ``stated`` is the round's
    ``p_target`` (run-level unless the plan said otherwise).

    Examples
    --------
    >>> r = pd.DataFrame({"strategy": ["a"], "round": [1], "p_target": [0.5]})
    >>> p = pd.DataFrame({"strategy": ["a"] * 3, "round": [1] * 3, "sim_source": ["mp"] * 3,
    ...                   "pred_mean": [0.6] * 3, "realized": [0.5, 0.7, 0.6]})
    >>> stated_vs_realized(r, p, 0.6)[["stated", "met", "runs"]].values.tolist()
    [[0.5, 2.0, 3.0]]
    """
    rows = []
    for (name, k), g in predictions.groupby(["strategy", "round"]):
        r = rounds[(rounds["strategy"] == name) & (rounds["round"] == k)]
        if r.empty or pd.isna(r["p_target"].iloc[0]):
            continue
        route = g.groupby("sim_source")["pred_mean"].mean().idxmin()
        runs = g[g["sim_source"] == route]
        rows.append({"strategy": name, "round": int(k), "route": route,
                     "stated": float(r["p_target"].iloc[0]),
                     "met": int((runs["realized"] <= target).sum()), "runs": len(runs)})
    return pd.DataFrame(rows)
