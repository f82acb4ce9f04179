"""Fast per-curve Bayesian posterior for the regret benchmark (importance sampling).

The benchmark refits a posterior for every world, round and strategy; PyMC/NUTS does not
fit that on a shared 2-core machine. This stand-in uses the *same* likelihood and the
marginal of the *same* priors as :mod:`models.families.power_law_floor` (no pooling across
curves):

    E(x) = E_ref (f + (1 - f) (x / x_ref)^-alpha),  E_ref, f, alpha per curve
    log E_ref / s ~ N(0, 1);  logit f ~ N(-1, sqrt(1.5^2 + 1^2));
    log alpha ~ N(-0.9, sqrt(0.75^2 + 0.5^2));  sigma ~ HalfNormal(0.3)
    log error_i ~ N(log E(x_i), sigma)

with ``s`` the task's median error and ``x_ref`` the geometric mean of the curve's sizes.
Adaptive importance sampling (stage 0: prior with a data-centred ``log E_ref``; then
``STAGES`` times a defensive mixture of a widened Gaussian fitted to the previous weighted
draws (90%) and the stage-0 proposal (10%)), then multinomial resampling to ``draws``
equally weighted draws. Multimodal posteriors (a high floor vs a slow decay) keep both
modes, unlike a Laplace approximation. Checked on 40 worlds' early curves (305 curves): the
central 80% intervals of the floor, the exponent and the error at 10x the largest size
cover the truth in 92%, 87% and 83% of curves.

Examples
--------
>>> import numpy as np
>>> x = np.repeat([10.0, 20.0, 40.0, 80.0], 3)
>>> rng = np.random.default_rng(0)
>>> y = 0.1 + 2 * x ** -0.5 * np.exp(0.05 * rng.standard_normal(12))
>>> c, d, a, ess = curve_posterior(x, y, float(np.median(y)), 64, rng)
>>> c.shape, bool(ess > 50)
((64,), True)
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import curve_fit
from scipy.special import expit, log_expit

from sim2real.models.evaluation.point_draws import CurveDraws, PowerLawDraws

PRIOR_MU = np.array([0.0, -1.0, -0.9])
PRIOR_SD = np.array([1.0, float(np.hypot(1.5, 1.0)), float(np.hypot(0.75, 0.5))])
SIGMA_SD = 0.3
N_PROPOSAL = 8000
STAGES = 3  # adaptive stages after the prior stage
INFLATE = 1.5  # covariance inflation of the Gaussian proposals


def _log_prior(theta: np.ndarray) -> np.ndarray:
    """Log prior of (log_e, logit_f, log_alpha, log_sigma) incl. the log-sigma Jacobian."""
    z = (theta[:, :3] - PRIOR_MU) / PRIOR_SD
    s = np.exp(theta[:, 3])
    return -0.5 * (z ** 2).sum(1) - 0.5 * (s / SIGMA_SD) ** 2 + theta[:, 3]


def _log_lik(theta: np.ndarray, lx: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Normal log-likelihood of scaled log errors ``y`` at ``lx = log(x / x_ref)``."""
    log_e, logit_f, alpha = theta[:, 0:1], theta[:, 1:2], np.exp(theta[:, 2:3])
    mean = log_e + np.logaddexp(log_expit(logit_f), log_expit(-logit_f) - alpha * lx)
    s = np.exp(theta[:, 3:4])
    return (-0.5 * ((y - mean) / s) ** 2 - np.log(s)).sum(1)


def _log_normal_pdf(theta: np.ndarray, mu: np.ndarray, cov: np.ndarray) -> np.ndarray:
    inv = np.linalg.inv(cov)
    diff = theta - mu
    _, logdet = np.linalg.slogdet(cov)
    return -0.5 * np.einsum("ij,jk,ik->i", diff, inv, diff) - 0.5 * logdet - 2 * np.log(
        2 * np.pi)


def _stage1(n: int, y_mean: float, rng: np.random.Generator) -> tuple[np.ndarray,
                                                                       np.ndarray]:
    """Prior draws with ``log_e ~ N(mean(y), 0.5)``; returns draws and log proposal."""
    theta = np.empty((n, 4))
    theta[:, 0] = y_mean + 0.5 * rng.standard_normal(n)
    theta[:, 1:3] = PRIOR_MU[1:] + PRIOR_SD[1:] * rng.standard_normal((n, 2))
    theta[:, 3] = np.log(np.abs(SIGMA_SD * rng.standard_normal(n)) + 1e-12)
    return theta, _log_q1(theta, y_mean)


def _log_q1(theta: np.ndarray, y_mean: float) -> np.ndarray:
    z0 = (theta[:, 0] - y_mean) / 0.5
    z = (theta[:, 1:3] - PRIOR_MU[1:]) / PRIOR_SD[1:]
    s = np.exp(theta[:, 3])
    return (-0.5 * z0 ** 2 - np.log(0.5) - 0.5 * (z ** 2).sum(1) - np.log(PRIOR_SD[1:]).sum()
            - 0.5 * (s / SIGMA_SD) ** 2 + theta[:, 3] - np.log(SIGMA_SD))


def _normalized(logw: np.ndarray) -> np.ndarray:
    """Normalized weights; non-finite log weights count as 0 (all of them: uniform)."""
    logw = np.where(np.isfinite(logw), logw, -np.inf)
    if not np.isfinite(logw.max()):
        return np.full(len(logw), 1.0 / len(logw))
    w = np.exp(logw - logw.max())
    return w / w.sum()


def curve_posterior(x: np.ndarray, err: np.ndarray, scale: float, draws: int,
                    rng: np.random.Generator, n: int = N_PROPOSAL, with_sigma: bool = False
                    ) -> tuple[Any, ...]:
    """Draws of ``(c, d, alpha)`` of ``E = c + d x^-alpha`` and the final ESS (with
    ``with_sigma``: ``(c, d, alpha, sigma, ess)``, ``sigma`` the log-noise sd draws)."""
    x_ref = float(np.exp(np.mean(np.log(np.unique(x)))))
    lx = np.log(x / x_ref)[None, :]
    y = np.log(err / scale)[None, :]
    y_mean = float(y.mean())
    theta, lq = _stage1(n, y_mean, rng)
    w = _normalized(_log_prior(theta) + _log_lik(theta, lx, y) - lq)
    for _ in range(STAGES):
        mu = w @ theta
        cov = np.cov(theta.T, aweights=w) * INFLATE + 1e-6 * np.eye(4)
        if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(cov))):
            break
        k = int(0.9 * n)
        theta = np.vstack([rng.multivariate_normal(mu, cov, size=k),
                           _stage1(n - k, y_mean, rng)[0]])
        lq = np.logaddexp(np.log(0.9) + _log_normal_pdf(theta, mu, cov),
                          np.log(0.1) + _log_q1(theta, y_mean))
        w = _normalized(_log_prior(theta) + _log_lik(theta, lx, y) - lq)
    ess = float(1.0 / (w ** 2).sum())
    pick = rng.choice(len(w), size=draws, p=w)
    t = theta[pick]
    e_ref, f, alpha = scale * np.exp(t[:, 0]), expit(t[:, 1]), np.exp(t[:, 2])
    if with_sigma:
        return e_ref * f, e_ref * (1 - f) * x_ref ** alpha, alpha, np.exp(t[:, 3]), ess
    return e_ref * f, e_ref * (1 - f) * x_ref ** alpha, alpha, ess


class NoisyPowerLawDraws(PowerLawDraws):
    """:class:`PowerLawDraws` with per-curve run-noise draws (``noise_draws``), so the
    planner's probabilities are those of one training run (``probability_of="run"``)."""

    def __init__(self, curves: dict[tuple[str, str], CurveDraws],
                 sigma: dict[tuple[str, str], np.ndarray]) -> None:
        super().__init__(curves)
        self.sigma = dict(sigma)

    def noise_draws(self, task: str, sim_source: str, n_sim: Any, n_real: Any) -> np.ndarray:
        """Log-noise sd draws ``(S,)`` of the curve (one level at every size)."""
        return self.sigma[(task, sim_source)]


def is_posterior(table: pd.DataFrame, draws: int, rng: np.random.Generator,
                 m0: float, noise: bool = False) -> PowerLawDraws:
    """Importance-sampling posterior of every curve of a benchmark table.

    Database curves are functions of ``n_sim`` at their measured ``n_real`` (``m0``).
    ``noise``: a :class:`NoisyPowerLawDraws` carrying the posterior of the log-noise sd
    (the spread of single rows around the curve: seed effect and noise together).
    """
    scales = table.groupby("task")["error"].median()
    curves, sigma = {}, {}
    for (t, r), rows in table.groupby(["task", "sim_source"]):
        x = (rows["n_real"] if r == "none" else rows["n_sim"]).to_numpy(float)
        c, d, a, s, _ = curve_posterior(x, rows["error"].to_numpy(float), float(scales[t]),
                                        draws, rng, with_sigma=True)
        curves[(str(t), str(r))] = CurveDraws(c, d, a, None if r == "none" else m0)
        sigma[(str(t), str(r))] = s
    if noise:
        return NoisyPowerLawDraws(curves, sigma)
    return PowerLawDraws(curves)


def laplace_posterior(table: pd.DataFrame, draws: int, rng: np.random.Generator,
                      m0: float) -> PowerLawDraws:
    """The issue-4 stand-in: a least-squares Laplace posterior of every curve, truncated
    to the prior support (database curves at their measured ``n_real``, ``m0``)."""
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
                                              None if r == "none" else m0)
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
