"""Does a real curve fit inside the exponent prior?  (issue 11, item 5)

Per-curve least-squares exponents of ``E = C + D x^-alpha`` on the *tuning* curve sets
(the library studies that are not in the extrapolation scoring set), against the prior
predictive distribution of one curve's exponent, ``alpha = exp(mu + s z)`` with
``mu ~ log_alpha_mu``, ``s ~ log_alpha_sigma``, ``z ~ N(0, 1)``, under the release prior
and the current default (``models.families._shared.LOG_EXPONENT``). Prints the prior
quantiles, the share of real exponents inside each prior's central 90%, and writes
``docs/figures/exponent_prior.png`` (exponents, and normalised prior-predictive learning
curves with the real ones on top).

Run: ``python benchmarks/exponent_prior.py`` (about 10 s, no MCMC).
"""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

import numpy as np
import pandas as pd

from sim2real.models.evaluation.least_squares import curve_groups, fit_power_law
from sim2real.models.families._shared import LOG_EXPONENT, LOGIT_F
from sim2real.models.families.priors import Prior

ROOT = Path(__file__).resolve().parents[1]
SCORING = {"aflow_gap_transfer", "band_gap_new_levels"}   # + band_gap, chi (not library)
RELEASE = {"mu": Prior("Normal", mu=-0.9, sigma=0.75), "sigma": Prior("HalfNormal", sigma=0.5)}


def tuning_curves() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``(study|task|source, sizes, seed-mean errors)`` of every tuning-set curve with at
    least 4 sizes."""
    out = []
    for path in sorted((ROOT / "case_studies" / "library").glob("*/curves.csv")):
        if path.parent.name in SCORING:
            continue
        table = pd.read_csv(path)
        for task, src, _, x, y in curve_groups(table):
            if len(x) >= 4 and np.all(y > 0):
                out.append((f"{path.parent.name}|{task}|{src}", x, y))
    return out


def exponent_draws(priors: dict[str, Prior], n: int, seed: int = 0) -> np.ndarray:
    """Prior predictive draws of one curve's exponent."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(priors["mu"].params["mu"], priors["mu"].params["sigma"], n)
    s = np.abs(rng.normal(0.0, priors["sigma"].params["sigma"], n))
    return np.exp(mu + s * rng.standard_normal(n))


def floor_draws(n: int, seed: int = 1) -> np.ndarray:
    """Prior predictive draws of one curve's floor fraction ``f = C / E_ref``."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(LOGIT_F["logit_f_mu"].params["mu"], LOGIT_F["logit_f_mu"].params["sigma"], n)
    s = np.abs(rng.normal(0.0, LOGIT_F["logit_f_sigma"].params["sigma"], n))
    return 1.0 / (1.0 + np.exp(-(mu + s * rng.standard_normal(n))))


def figure(curves: list[tuple[str, np.ndarray, np.ndarray]], alphas: np.ndarray,
           draws: dict[str, np.ndarray], out: Path) -> None:
    """Left: real exponents vs each prior; right: normalised curves vs prior bands."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    bins = np.geomspace(0.003, 5, 40)
    def share(v: np.ndarray) -> np.ndarray:                # fraction per (log) bin
        return np.full(v.size, 1.0 / v.size)

    a.hist(alphas, bins=bins, weights=share(alphas), color="0.6",
           label="least squares, tuning curves")
    for (name, d), colour in zip(draws.items(), ("tab:red", "tab:blue"), strict=True):
        a.hist(d, bins=bins, weights=share(d), histtype="step", lw=2, color=colour, label=name)
    a.set_xscale("log")
    a.set_xlabel("exponent alpha (one curve)")
    a.set_ylabel("share per bin (log-spaced bins)")
    a.legend(fontsize=8)
    r = np.geomspace(1 / 30, 30, 60)                     # size / reference size
    f = floor_draws(4000)
    for (name, d), colour in zip(draws.items(), ("tab:red", "tab:blue"), strict=True):
        e = f[:, None] + (1 - f[:, None]) * r[None, :] ** -d[:4000, None]
        lo, hi = np.quantile(e, [0.05, 0.95], axis=0)
        b.fill_between(r, lo, hi, color=colour, alpha=0.18, label=f"{name}: 90% band")
    for _, x, y in curves:
        ref = float(np.exp(np.mean(np.log(x))))
        b.plot(x / ref, y / np.interp(np.log(ref), np.log(x), y), color="0.3", lw=0.7)
    b.set_xscale("log")
    b.set_yscale("log")
    b.set_xlabel("size / geometric-middle size")
    b.set_ylabel("E / E(reference)")
    b.legend(fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=110)
    tmp.replace(out)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--figure", type=Path, default=ROOT / "docs" / "figures" /
                        "exponent_prior.png")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    curves = tuning_curves()
    alphas = np.array([fit_power_law(x, y)[2] for _, x, y in curves])
    q = np.quantile(alphas, [0.05, 0.25, 0.5, 0.75, 0.95])
    print(f"{len(curves)} tuning curves; least-squares exponents (fit bounds 0.01-3): "
          f"5/25/50/75/95% = {', '.join(f'{v:.3f}' for v in q)}; "
          f"{np.mean(alphas <= 0.011):.0%} at the lower bound")
    draws = {"release prior N(-0.9, 0.75)": exponent_draws(RELEASE, 200_000),
             (f"default N({LOG_EXPONENT['mu'].params['mu']}, "
              f"{LOG_EXPONENT['mu'].params['sigma']})"): exponent_draws(LOG_EXPONENT, 200_000)}
    for name, d in draws.items():
        lo, hi = np.quantile(d, [0.05, 0.95])
        inside = np.mean((alphas >= lo) & (alphas <= hi))
        below = np.mean(d < 0.05)
        print(f"{name}: one curve's exponent 90% in [{lo:.3f}, {hi:.2f}], median "
              f"{np.median(d):.3f}, P(alpha < 0.05) = {below:.3f}; real exponents inside the "
              f"90%: {inside:.0%}")
    figure(curves, alphas, draws, args.figure)
    print(f"figure: {args.figure.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
