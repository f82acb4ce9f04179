"""Model checks for the report: PSIS-LOO of the fitted model and a posterior predictive check.

Both work on the fitted posterior of any family (:class:`models.posterior.base.Posterior`:
its ``pointwise_log_likelihood``, ``posterior_predictive`` and ``observations``) and return
small frozen, JSON-ready summaries.

Examples
--------
>>> s = PpcSummary(n_obs=4, coverage_50=0.5, coverage_90=0.75, observed=(1.0,),
...                q05=(0.9,), q50=(1.0,), q95=(1.1,), curve_ids=("a",))
>>> s.ok, s.problems()[0][:16]
(False, 'posterior predic')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

PPC_MIN_COVERAGE_90 = 0.8


@dataclass(frozen=True)
class LooSummary:
    """PSIS-LOO of the fitted model on its own observations.

    ``k_counts`` counts observations by Pareto k: ``good`` (k <= ``good_k``), ``bad``
    (``good_k`` < k <= 1) and ``very_bad`` (k > 1). LOO is unreliable when any k is above
    ``good_k``.
    """

    elpd_loo: float
    se: float
    p_loo: float
    n_obs: int
    n_draws: int
    good_k: float
    k_counts: dict[str, int]
    worst: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when every Pareto k is below ``good_k``."""
        return self.k_counts.get("bad", 0) + self.k_counts.get("very_bad", 0) == 0

    def problems(self) -> list[str]:
        """Failed checks with advice (empty when fine)."""
        if self.ok:
            return []
        n_bad = self.k_counts.get("bad", 0) + self.k_counts.get("very_bad", 0)
        return [f"PSIS-LOO: {n_bad} of {self.n_obs} observations have Pareto k > "
                f"{self.good_k:.2f} (worst: {', '.join(self.worst) or 'n/a'}); the LOO "
                "estimate is unreliable and those points are influential. Check them "
                "for outliers or try the Student-t likelihood (--likelihood student_t)."]


@dataclass(frozen=True)
class PpcSummary:
    """Posterior predictive check: do replicated errors cover the measured ones?

    ``observed``, ``q05``, ``q50``, ``q95`` are per observation (in the task's error units),
    ``coverage_50`` / ``coverage_90`` the fractions inside the central 50% / 90% predictive
    intervals (nominal 0.5 / 0.9).
    """

    n_obs: int
    coverage_50: float
    coverage_90: float
    observed: tuple[float, ...]
    q05: tuple[float, ...]
    q50: tuple[float, ...]
    q95: tuple[float, ...]
    curve_ids: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when the 90% predictive intervals cover at least 80% of the points."""
        return self.coverage_90 >= PPC_MIN_COVERAGE_90

    def problems(self) -> list[str]:
        """Failed checks with advice (empty when fine)."""
        if self.ok:
            return []
        return [f"posterior predictive check: only {self.coverage_90:.0%} of the measured "
                f"errors fall inside their 90% predictive intervals (expect about 90%; "
                f"flagged below {PPC_MIN_COVERAGE_90:.0%}). The curve form or the noise "
                "model does not describe the data; inspect the learning-curve plots."]


def loo_summary(posterior: Any, labels: Sequence[str] | None = None) -> LooSummary:
    """PSIS-LOO (ArviZ) of a fitted posterior from its pointwise log-likelihood.

    Parameters
    ----------
    posterior : Posterior
        Needs ``pointwise_log_likelihood()`` and ``idata.posterior``.
    labels : sequence of str, optional
        One label per observation, used to name the worst points.
    """
    import arviz as az
    import xarray as xr

    ll = np.asarray(posterior.pointwise_log_likelihood())            # (chain, draw, N)
    dataset = xr.Dataset({"error": (("chain", "draw", "obs"), ll)})
    idata = az.InferenceData(posterior=posterior.idata.posterior, log_likelihood=dataset)
    import warnings

    with warnings.catch_warnings():  # the warning is reported as a red flag instead
        warnings.simplefilter("ignore")
        res = az.loo(idata, pointwise=True)
    k = np.asarray(res.pareto_k)
    good_k = float(getattr(res, "good_k", 0.7))
    counts = {"good": int((k <= good_k).sum()), "bad": int(((k > good_k) & (k <= 1)).sum()),
              "very_bad": int((k > 1).sum())}
    order = np.argsort(-k)[:3]
    names = list(labels) if labels is not None else [f"obs {i + 1}" for i in range(k.size)]
    worst = tuple(f"{names[i]} (k={k[i]:.2f})" for i in order if k[i] > good_k)
    return LooSummary(elpd_loo=float(res.elpd_loo), se=float(res.se), p_loo=float(res.p_loo),
                      n_obs=int(k.size), n_draws=int(ll.shape[0] * ll.shape[1]),
                      good_k=good_k, k_counts=counts, worst=worst)


def ppc_summary(posterior: Any, seed: int = 0) -> PpcSummary:
    """Coverage of the measured errors by posterior predictive intervals.

    Examples
    --------
    >>> ppc_summary(post).coverage_90  # doctest: +SKIP
    0.93
    """
    rep = np.asarray(posterior.posterior_predictive(seed=seed))          # (S, N)
    obs = posterior.observations()
    observed = obs["error"].to_numpy(dtype=float)
    q = np.quantile(rep, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    in50 = (observed >= q[1]) & (observed <= q[3])
    in90 = (observed >= q[0]) & (observed <= q[4])
    return PpcSummary(n_obs=int(observed.size), coverage_50=float(in50.mean()),
                      coverage_90=float(in90.mean()), observed=_tup(observed),
                      q05=_tup(q[0]), q50=_tup(q[2]), q95=_tup(q[4]),
                      curve_ids=tuple(str(c) for c in obs["curve_id"]))


def observation_labels(posterior: Any) -> list[str]:
    """``label @ n_sim=.., n_real=.. (seed s)`` for every observation, in design order
    (``label``: the observation's noise group, e.g. its curve)."""
    obs = posterior.observations()
    return [f"{r.curve_id} @ n_sim={r.n_sim}, n_real={r.n_real} (seed {r.seed})"
            for r in obs.itertuples(index=False)]


def _tup(values: np.ndarray) -> tuple[float, ...]:
    return tuple(float(v) for v in np.asarray(values, dtype=float).ravel())
