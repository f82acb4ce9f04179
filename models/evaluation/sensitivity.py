"""Prior sensitivity of decision quantities, by importance reweighting of posterior draws.

How much does a decision quantity (the expected error after a batch, the probability that it,
or one training run, meets a target) owe to the default priors? Refitting under every
alternative prior is slow; instead the draws of the fitted posterior are reweighted to the
posterior under the alternative. For draws ``theta_s`` of the posterior under the default
priors ``p``, the posterior under alternative priors ``q`` (same likelihood) has importance
weights ::

    log w_s = sum over changed priors of  log q(theta_s) - log p(theta_s)

evaluated on the draws of the top-level variables the priors sit on (``log_alpha_mu``,
``logit_f_sigma``...; the joint prior factorises over them, so nothing else enters). The
weights are Pareto-smoothed (PSIS, :func:`arviz.psislw`); the Pareto shape ``k-hat`` says
whether the draws can represent the alternative posterior at all: ``k-hat > 0.7``
(:data:`PARETO_K_MAX`) means they cannot, and the table gives no numbers for it
("unreliable: refit with this prior"). The weights' effective sample size is
``ESS = (sum w)^2 / sum w^2``.

The alternatives (:data:`ALTERNATIVES`), each a declarative :class:`PriorAlternative`, perturb
the priors the decisions lean on most and the data identify least. They are written relative
to the priors the posterior was fitted with (the family's defaults and any user override), so
they stay perturbations whatever the defaults are:

* ``wide_exponents`` - the prior on the population mean of every learning-curve exponent
  (``log_alpha_mu``, ``log_alpha2_mu``, ``log_beta_mu``, ``log_a_t_mu``) twice as wide on
  the log scale. Extrapolated errors, and so the size that reaches a target, depend on the
  exponent more than on anything else, and a curve measured over one or two decades
  constrains it weakly: this asks whether the decision rests on the prior's calibration.
* ``slow_exponents`` - the same priors shifted down by 1 on the log scale: exponents about
  e = 2.7 times smaller, i.e. slower learning, the pessimistic direction for extrapolation.
* ``low_floors`` - the prior on the population mean of the floor fraction's logit
  ``logit_f_mu`` shifted down by 2 (floors about e^2 = 7 times smaller while they are small).
  A floor is identified only once a curve flattens; before that the prior decides how much
  of the measured error is irreducible, hence whether more data of a route can reach a
  target at all.
* ``half_scales`` - the scale prior of every pooled parameter's population (``X_sigma``
  of a partially pooled ``X``: exponents, floor fractions, noise slopes...) with its scale
  halved: stronger pooling, curves shrunk harder towards each other. With few curves the
  population scales are weakly identified, and how much a curve borrows from the others is
  set by them.

Only the overrides of priors the posterior's spec has (and whose variable is in its draws)
are applied; an alternative with none applies to nothing and leaves every weight 1.

The moves rule (:func:`error_moves`, :func:`probability_moves`): an error quantity moves
when the alternative's weighted median lies outside the default's 90% interval; a
probability moves when it changes by more than ``max(2 * 1.645 * sqrt(p (1 - p) / ESS),
0.05)``, the width of its 90% binomial Monte Carlo interval (``p`` the default
probability, ``ESS`` that of the alternative's weights) or 0.05, whichever is larger.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> theta = rng.normal(-0.5, 0.3, 4000)          # posterior draws of a hyperparameter
>>> log_r = log_density_ratio(theta, Prior("Normal", mu=-0.9, sigma=0.75),
...                           Prior("Normal", mu=-0.4, sigma=0.75))
>>> w = importance_weights(log_r)
>>> shift = np.average(theta, weights=w.weights) - theta.mean()
>>> round(float(shift), 2)            # analytic: 0.3^2 * 0.5 / 0.75^2 = 0.08
0.08
>>> w.reliable, w.ess > 3000
(True, True)
>>> sorted(ALTERNATIVES)
['half_scales', 'low_floors', 'slow_exponents', 'wide_exponents']
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim2real.models.families.noise import standard_noise
from sim2real.models.families.priors import Prior

#: Pareto k-hat above which the reweighted draws cannot represent the alternative.
PARETO_K_MAX = 0.7
#: Central interval of the error quantities.
INTERVAL = 0.9
#: Normal quantile of a two-sided 90% interval.
Z90 = 1.645
#: Smallest change of a probability that counts as moving it.
MIN_PROBABILITY_CHANGE = 0.05
#: Seed of the standard draws of one training run's noise.
DEFAULT_SEED = 20251203
QUANTITIES = ("expected_error", "p_expected", "p_run")


@dataclass(frozen=True)
class PriorAlternative:
    """A named set of alternative priors, relative to the priors of the fitted spec.

    Attributes
    ----------
    name, description : str
    overrides : Mapping[str, Prior]
        Prior name -> alternative prior, replacing it outright.
    shift : Mapping[str, float]
        Prior name -> amount added to its location ``mu`` (Normal, StudentT, LogNormal).
    widen : Mapping[str, float]
        Prior name -> factor on its scale ``sigma`` (Normal, StudentT, LogNormal).
    pooled_scale_factor : float
        Rescales (:func:`scaled_prior`) the prior of every population scale ``X_sigma`` of
        a pooled ``X`` (a prior with an ``X_mu`` twin); 1 leaves them alone.

    Names the spec lacks are ignored, so one alternative serves every family.

    Examples
    --------
    >>> defaults = {"a_mu": Prior("Normal", mu=0.0, sigma=1.0),
    ...             "a_sigma": Prior("HalfNormal", sigma=0.5),
    ...             "sigma": Prior("HalfNormal", sigma=0.3)}
    >>> PriorAlternative("x", "halved", pooled_scale_factor=0.5).applied(defaults)
    {'a_sigma': Prior(distribution='HalfNormal', params={'sigma': 0.25})}
    >>> PriorAlternative("y", "", shift={"a_mu": -1.0}, widen={"a_mu": 2.0, "b_mu": 2.0}
    ...                  ).applied(defaults)["a_mu"].params
    {'mu': -1.0, 'sigma': 2.0}
    """

    name: str
    description: str
    overrides: Mapping[str, Prior] = field(default_factory=dict)
    shift: Mapping[str, float] = field(default_factory=dict)
    widen: Mapping[str, float] = field(default_factory=dict)
    pooled_scale_factor: float = 1.0

    def applied(self, defaults: Mapping[str, Prior]) -> dict[str, Prior]:
        """The priors of ``defaults`` this alternative changes, with their new priors."""
        out: dict[str, Prior] = {}
        for name, prior in defaults.items():
            if name in self.overrides:
                new = self.overrides[name]
            elif name in self.shift or name in self.widen:
                new = _moved(prior, self.shift.get(name, 0.0), self.widen.get(name, 1.0))
            elif (self.pooled_scale_factor != 1.0 and name.endswith("_sigma")
                  and f"{name[:-len('_sigma')]}_mu" in defaults):
                new = scaled_prior(prior, self.pooled_scale_factor)
            else:
                continue
            if new != prior:
                out[name] = new
        return out


def _moved(prior: Prior, shift: float, widen: float) -> Prior:
    """``prior`` with ``shift`` added to its ``mu`` and its ``sigma`` times ``widen``."""
    if prior.distribution not in ("Normal", "StudentT", "LogNormal"):
        raise ValueError(f"cannot shift or widen a {prior.distribution} prior (no mu, sigma).")
    p = dict(prior.params)
    p["mu"] += shift
    p["sigma"] *= widen
    return Prior(prior.distribution, **p)


def scaled_prior(prior: Prior, factor: float) -> Prior:
    """``prior`` of a positive quantity ``x`` as the prior of ``factor * x``.

    Examples
    --------
    >>> scaled_prior(Prior("Exponential", lam=2.0), 0.5).params
    {'lam': 4.0}
    """
    p = dict(prior.params)
    if prior.distribution in ("HalfNormal", "HalfStudentT"):
        p["sigma"] *= factor
    elif prior.distribution == "HalfCauchy":
        p["beta"] *= factor
    elif prior.distribution == "Exponential":
        p["lam"] /= factor
    elif prior.distribution == "Gamma":
        p["beta"] /= factor
    elif prior.distribution == "LogNormal":
        p["mu"] += math.log(factor)
    else:
        raise ValueError(f"{prior.distribution} is not a prior of a positive scale.")
    return Prior(prior.distribution, **p)


#: Population means of the learning-curve exponents (log scale), every family's names.
EXPONENT_MEANS = ("log_alpha_mu", "log_alpha2_mu", "log_beta_mu", "log_a_t_mu")
ALTERNATIVES: dict[str, PriorAlternative] = {a.name: a for a in (
    PriorAlternative(
        "wide_exponents", "prior of the exponents' population mean twice as wide (log scale)",
        widen=dict.fromkeys(EXPONENT_MEANS, 2.0)),
    PriorAlternative(
        "slow_exponents", "prior of the exponents' population mean shifted down by 1 (log "
        "scale): exponents about 2.7 times smaller, slower learning",
        shift=dict.fromkeys(EXPONENT_MEANS, -1.0)),
    PriorAlternative(
        "low_floors", "prior of the floor fraction's population mean (logit_f_mu) shifted "
        "down by 2: floors about 7 times smaller", shift={"logit_f_mu": -2.0}),
    PriorAlternative(
        "half_scales", "every pooled parameter's population-scale prior halved (stronger "
        "pooling: curves shrunk harder towards each other)", pooled_scale_factor=0.5),
)}


class _Half:
    """A distribution folded onto ``x >= 0`` (``logpdf`` only): scipy has no half-t."""

    def __init__(self, base: Any) -> None:
        self.base = base

    def logpdf(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore"):
            return np.where(x >= 0, math.log(2.0) + self.base.logpdf(x), -np.inf)


def prior_distribution(prior: Prior) -> Any:
    """The scipy.stats frozen distribution of ``prior`` (PyMC's parametrisation).

    Examples
    --------
    >>> d = prior_distribution(Prior("Gamma", alpha=2.0, beta=0.1))
    >>> round(float(d.mean()), 6)
    20.0
    >>> round(float(prior_distribution(Prior("HalfStudentT", nu=3.0, sigma=1.0)).logpdf(0.0)), 4)
    -0.3077
    """
    from scipy import stats

    p = prior.params
    makers: dict[str, Callable[[], Any]] = {
        "Normal": lambda: stats.norm(loc=p["mu"], scale=p["sigma"]),
        "StudentT": lambda: stats.t(df=p["nu"], loc=p["mu"], scale=p["sigma"]),
        "HalfNormal": lambda: stats.halfnorm(scale=p["sigma"]),
        "HalfCauchy": lambda: stats.halfcauchy(scale=p["beta"]),
        "HalfStudentT": lambda: _Half(stats.t(df=p["nu"], scale=p["sigma"])),
        "Exponential": lambda: stats.expon(scale=1.0 / p["lam"]),
        "Gamma": lambda: stats.gamma(a=p["alpha"], scale=1.0 / p["beta"]),
        "LogNormal": lambda: stats.lognorm(s=p["sigma"], scale=math.exp(p["mu"])),
    }
    if prior.distribution not in makers:
        raise ValueError(f"no density for prior distribution '{prior.distribution}'.")
    return makers[prior.distribution]()


def prior_text(prior: Prior) -> str:
    """``prior`` in the call form ``sim2real fit --prior`` reads.

    Examples
    --------
    >>> prior_text(Prior("Normal", mu=-2.0, sigma=1.3))
    'Normal(mu=-2, sigma=1.3)'
    """
    return f"{prior.distribution}({', '.join(f'{k}={v:g}' for k, v in prior.params.items())})"


def log_density_ratio(draws: Any, default: Prior, alternative: Prior) -> np.ndarray:
    """``log q(theta) - log p(theta)`` per draw, summed over the trailing entries.

    ``draws`` is ``(S,)`` or ``(S, entries)`` (one prior per entry, e.g. per population).
    """
    x = np.asarray(draws, dtype=float)
    x = x.reshape(x.shape[0], -1)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = prior_distribution(alternative).logpdf(x) - prior_distribution(default).logpdf(x)
    return np.asarray(np.sum(diff, axis=1), dtype=float)


@dataclass(frozen=True)
class Weights:
    """Importance weights of the draws under an alternative.

    Attributes
    ----------
    weights : ndarray
        ``(S,)``, PSIS-smoothed, mean 1 (all exactly 1 when nothing changed).
    khat : float
        Pareto shape estimate (NaN: no reweighting, the log ratio is constant).
    ess : float
        Effective sample size of the weights, ``(sum w)^2 / sum w^2``.
    """

    weights: np.ndarray
    khat: float
    ess: float

    @property
    def reliable(self) -> bool:
        """Whether the draws represent the alternative (k-hat <= 0.7 or no reweighting)."""
        return not self.khat > PARETO_K_MAX


def importance_weights(log_ratio: Any) -> Weights:
    """PSIS-smoothed :class:`Weights` from per-draw log density ratios ``(S,)``."""
    lr = np.asarray(log_ratio, dtype=float).reshape(-1)
    n = lr.size
    finite = lr[np.isfinite(lr)]
    if finite.size == 0:
        return Weights(np.zeros(n), math.inf, 0.0)
    if finite.size == n and np.ptp(lr) == 0:
        return Weights(np.ones(n), math.nan, float(n))
    import arviz as az

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lw, k = az.psislw(np.where(np.isfinite(lr), lr - finite.max(), -np.inf))
    w = np.exp(np.asarray(lw, dtype=float))
    w *= n / w.sum()
    return Weights(w, float(k), float(w.sum() ** 2 / np.sum(w**2)))


def weighted_quantile(x: Any, q: Any, weights: Any = None) -> np.ndarray:
    """Quantiles ``q`` of draws ``x`` with ``weights``, interpolated between the midpoints of
    the weighted CDF's steps (equal weights: ``np.quantile(x, q, method="hazen")``).

    Examples
    --------
    >>> weighted_quantile([1.0, 2.0, 3.0, 4.0], [0.5, 0.25]).tolist()
    [2.5, 1.5]
    >>> float(weighted_quantile([1.0, 2.0], 0.5, [1.0, 3.0]))
    1.75
    """
    x = np.asarray(x, dtype=float).reshape(-1)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float).reshape(-1)
    keep = w > 0
    order = np.argsort(x[keep], kind="stable")
    xs, ws = x[keep][order], w[keep][order]
    mid = (np.cumsum(ws) - 0.5 * ws) / ws.sum()
    return np.asarray(np.interp(q, mid, xs))


def error_moves(value: float, lo: float, hi: float) -> bool:
    """An error quantity moves when the alternative's median ``value`` lies outside the
    default's 90% interval ``[lo, hi]``.

    Examples
    --------
    >>> error_moves(0.52, 0.40, 0.50), error_moves(0.45, 0.40, 0.50)
    (True, False)
    """
    return bool(not lo <= value <= hi)


def probability_threshold(p: float, ess: float) -> float:
    """``max(2 * 1.645 * sqrt(p (1 - p) / ESS), 0.05)``: the change that moves a
    probability ``p`` estimated with weights of effective sample size ``ess``.

    Examples
    --------
    >>> round(probability_threshold(0.5, 100.0), 4), probability_threshold(0.99, 4000.0)
    (0.1645, 0.05)
    """
    width = 2.0 * Z90 * math.sqrt(p * (1.0 - p) / ess) if ess > 0 else math.inf
    return max(width, MIN_PROBABILITY_CHANGE)


def probability_moves(p_default: float, p_alt: float, ess: float) -> bool:
    """A probability moves when it changes by more than :func:`probability_threshold`.

    Examples
    --------
    >>> probability_moves(0.5, 0.6, 100.0), probability_moves(0.5, 0.7, 100.0)
    (False, True)
    """
    return bool(abs(p_alt - p_default) > probability_threshold(p_default, ess))


@dataclass(frozen=True)
class DecisionDraws:
    """Draws ``(S,)`` of the decision quantities at one query point.

    ``expected``: the expected error; ``run``: the error of one training run (``None``
    without a noise model); ``target``: the task's target (``None``: no probabilities).
    """

    label: str
    expected: np.ndarray
    run: np.ndarray | None = None
    target: float | None = None


@dataclass(frozen=True)
class Query:
    """An operating point and its target, queried on a posterior by :meth:`draws`."""

    task: str
    sim_source: str
    n_sim: float
    n_real: float
    target: float | None = None

    @property
    def label(self) -> str:
        """``task source n_sim=.. n_real=..``."""
        return f"{self.task} {self.sim_source} n_sim={self.n_sim:g} n_real={self.n_real:g}"

    def draws(self, posterior: Any, seed: int = DEFAULT_SEED) -> DecisionDraws:
        """Expected-error draws and, where the model has ``noise_draws``, those of one
        run: ``exp(sigma_s eps_s)`` times the expected error, ``eps`` fixed by ``seed``
        (Student-t with the posterior's ``nu`` when it has one)."""
        e = np.asarray(posterior.error_draws(self.task, self.sim_source, [float(self.n_sim)],
                                             [float(self.n_real)]), dtype=float)[:, 0]
        run = None
        if getattr(posterior, "noise_draws", None) is not None:
            sigma = np.asarray(posterior.noise_draws(self.task, self.sim_source,
                                                     float(self.n_sim), float(self.n_real)),
                               dtype=float).reshape(-1)
            rng = np.random.default_rng(seed)
            nu = getattr(posterior, "nu_draws", None)
            run = e * np.exp(sigma * standard_noise(rng, nu, (e.size,)))
        return DecisionDraws(self.label, e, run, self.target)


def summarize(d: DecisionDraws, weights: np.ndarray) -> dict[str, tuple[float, float, float]]:
    """Per quantity ``(value, lo, hi)`` under ``weights``: the expected error's weighted
    median and 90% interval, and the probabilities (``lo = hi = NaN``) of meeting the
    target."""
    tail = (1.0 - INTERVAL) / 2.0
    lo, med, hi = weighted_quantile(d.expected, [tail, 0.5, 1.0 - tail], weights)
    out = {"expected_error": (float(med), float(lo), float(hi))}
    if d.target is not None:
        for name, x in (("p_expected", d.expected), ("p_run", d.run)):
            if x is not None:
                p = float(np.sum(weights * (x <= d.target)) / np.sum(weights))
                out[name] = (p, math.nan, math.nan)
    return out


def compare_rows(draws: Sequence[DecisionDraws],
                 alternatives: Mapping[str, Weights]) -> list[dict[str, Any]]:
    """The NumPy core: one record per (alternative, query, quantity) with the default and
    alternative values and the moves rule applied (NaN values where k-hat > 0.7)."""
    rows = []
    for d in draws:
        base = summarize(d, np.ones(d.expected.size))
        for name, w in alternatives.items():
            if w.weights.size != d.expected.size:
                raise ValueError(f"{w.weights.size} weights for {d.expected.size} draws of "
                                 f"'{d.label}': the draws must be the posterior's, unthinned.")
            alt = summarize(d, w.weights) if w.reliable else {}
            for quantity, (ref, ref_lo, ref_hi) in base.items():
                value, lo, hi = alt.get(quantity, (math.nan, math.nan, math.nan))
                if quantity == "expected_error":
                    threshold = math.nan
                    moves = w.reliable and error_moves(value, ref_lo, ref_hi)
                else:
                    threshold = probability_threshold(ref, w.ess)
                    moves = w.reliable and probability_moves(ref, value, w.ess)
                rows.append({"alternative": name, "query": d.label, "quantity": quantity,
                             "target": math.nan if d.target is None else float(d.target),
                             "default": ref, "default_lo": ref_lo, "default_hi": ref_hi,
                             "value": value, "lo": lo, "hi": hi, "change": value - ref,
                             "threshold": threshold, "khat": w.khat, "ess": w.ess,
                             "reliable": w.reliable, "moves": bool(moves)})
    return rows


def fitted_priors(posterior: Any) -> tuple[dict[str, Prior], str]:
    """The priors ``posterior`` was fitted with, and where they come from: ``"file"``, as
    stored in its posterior file (``sim2real_priors``, :mod:`models.posterior.files`);
    ``"fit"``, the spec's resolved priors of a posterior fitted in this session; or
    ``"assumed"``, the same for a file that does not store its priors (written before they
    were stored: wrong if the defaults changed since its fit)."""
    from sim2real.models.posterior.files import PRIORS_ATTR

    attrs = posterior.idata.posterior.attrs
    stored = attrs.get(PRIORS_ATTR)
    if stored:
        return {k: Prior.from_dict(v) for k, v in json.loads(stored).items()}, "file"
    return (dict(posterior.spec.resolved_priors()),
            "assumed" if "sim2real_kind" in attrs else "fit")


def reweight(posterior: Any, alternative: PriorAlternative,
             defaults: Mapping[str, Prior] | None = None) -> tuple[dict[str, Prior], Weights]:
    """The priors ``alternative`` changes on ``posterior`` and the importance weights of its
    draws (``posterior``: a :class:`~models.posterior.base.Posterior`, or anything with
    ``idata.posterior`` and ``spec.resolved_priors()``; ``defaults``: the priors it was
    fitted with, default :func:`fitted_priors`)."""
    post = posterior.idata.posterior
    n = int(post.sizes["chain"] * post.sizes["draw"])
    base = fitted_priors(posterior)[0] if defaults is None else dict(defaults)
    changed = {k: v for k, v in alternative.applied(base).items() if k in post}
    log_r = np.zeros(n)
    for name, prior in changed.items():
        log_r += log_density_ratio(post[name].values.reshape(n, -1), base[name], prior)
    return changed, importance_weights(log_r)


def prior_sensitivity(posterior: Any,
                      queries: Sequence[Query] | Callable[[Any], Sequence[DecisionDraws]],
                      alternatives: Sequence[PriorAlternative] | None = None,
                      seed: int = DEFAULT_SEED,
                      defaults: Mapping[str, Prior] | None = None) -> pd.DataFrame:
    """The prior-sensitivity table of ``posterior``'s decision quantities.

    Parameters
    ----------
    posterior : Posterior
        Fitted posterior (its spec's priors are the default).
    queries : sequence of Query, or callable
        Operating points with targets, or a function of the posterior returning the
        :class:`DecisionDraws` to check (draws in the posterior's draw order).
    alternatives : sequence of PriorAlternative, optional
        Default: every alternative of :data:`ALTERNATIVES`.
    seed : int
        Seed of the run noise of :meth:`Query.draws`.
    defaults : Mapping[str, Prior], optional
        The priors the posterior was fitted with (default: :func:`fitted_priors`; give them
        for a file that does not store them and was fitted under other defaults).

    Returns
    -------
    DataFrame
        One row per (alternative, query, quantity): ``alternative, description, priors``
        (the changed priors, ``name=Distribution(...)``, empty when none applies),
        ``baseline`` (where the fitted priors come from: :func:`fitted_priors`, or
        ``given``),
        ``query, quantity`` (``expected_error``: median and 90% interval; ``p_expected``,
        ``p_run``: probability of meeting the target), ``target, default, default_lo,
        default_hi, value, lo, hi, change, threshold, khat, ess, reliable, moves``.

    Examples
    --------
    >>> table = prior_sensitivity(post, [Query("t", "dft", 1e5, 20, target=0.15)])  # doctest: +SKIP
    >>> table[table["moves"]]  # doctest: +SKIP
    """
    alts = list(ALTERNATIVES.values()) if alternatives is None else list(alternatives)
    draws = queries(posterior) if callable(queries) else [q.draws(posterior, seed)
                                                            for q in queries]
    base, origin = (fitted_priors(posterior) if defaults is None
                    else (dict(defaults), "given"))
    weights, info = {}, {}
    for alt in alts:
        changed, weights[alt.name] = reweight(posterior, alt, base)
        info[alt.name] = {"description": alt.description, "baseline": origin,
                          "priors": "; ".join(f"{k}={prior_text(v)}" for k, v in changed.items())}
    rows = compare_rows(draws, weights)
    columns = ["alternative", "description", "priors", "baseline", "query", "quantity",
               "target", "default", "default_lo", "default_hi", "value", "lo", "hi", "change",
               "threshold", "khat", "ess", "reliable", "moves"]
    return pd.DataFrame([{**r, **info[r["alternative"]]} for r in rows], columns=columns)
