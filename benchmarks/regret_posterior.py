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

import numpy as np
import pandas as pd
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
    w = np.exp(logw - logw.max())
    return w / w.sum()


def curve_posterior(x: np.ndarray, err: np.ndarray, scale: float, draws: int,
                    rng: np.random.Generator, n: int = N_PROPOSAL
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Draws of ``(c, d, alpha)`` of ``E = c + d x^-alpha`` and the final ESS."""
    x_ref = float(np.exp(np.mean(np.log(np.unique(x)))))
    lx = np.log(x / x_ref)[None, :]
    y = np.log(err / scale)[None, :]
    y_mean = float(y.mean())
    theta, lq = _stage1(n, y_mean, rng)
    w = _normalized(_log_prior(theta) + _log_lik(theta, lx, y) - lq)
    for _ in range(STAGES):
        mu = w @ theta
        cov = np.cov(theta.T, aweights=w) * INFLATE + 1e-6 * np.eye(4)
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
    return e_ref * f, e_ref * (1 - f) * x_ref ** alpha, alpha, ess


def is_posterior(table: pd.DataFrame, draws: int, rng: np.random.Generator,
                 m0: float) -> PowerLawDraws:
    """Importance-sampling posterior of every curve of a benchmark table.

    Database curves are functions of ``n_sim`` at their measured ``n_real`` (``m0``).
    """
    scales = table.groupby("task")["error"].median()
    curves = {}
    for (t, r), rows in table.groupby(["task", "sim_source"]):
        x = (rows["n_real"] if r == "none" else rows["n_sim"]).to_numpy(float)
        c, d, a, _ = curve_posterior(x, rows["error"].to_numpy(float), float(scales[t]),
                                     draws, rng)
        curves[(str(t), str(r))] = CurveDraws(c, d, a, None if r == "none" else m0)
    return PowerLawDraws(curves)
