"""Tables and the cost-vs-failure frontier figure of the regret benchmark (issue 13).

Intervals are 95% percentile bootstraps over worlds (:func:`scipy.stats.bootstrap`, 2,000
resamples); failure rates also get the Wilson interval of :func:`scipy.stats.binomtest`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.stats import binomtest, bootstrap


def boot_ci(values: np.ndarray, stat: str = "median") -> tuple[float, float, float]:
    """Statistic of ``values`` and its 95% percentile-bootstrap interval over worlds."""
    f = np.median if stat == "median" else np.mean
    v = np.asarray(values, dtype=float)
    if len(v) < 2 or np.all(v == v[0]):
        return float(f(v)), float(f(v)), float(f(v))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = bootstrap((v,), f, n_resamples=2000, method="percentile", random_state=0)
    return float(f(v)), float(res.confidence_interval.low), float(res.confidence_interval.high)


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """One row per strategy: cost/oracle and failure rates with intervals."""
    out = []
    for strat, g in df.groupby("strategy", sort=False):
        fail = 1.0 - g["met_run"].to_numpy(float)
        med, lo, hi = boot_ci(g["ratio"].to_numpy(), "median")
        f, flo, fhi = boot_ci(fail, "mean")
        wil = binomtest(int(fail.sum()), len(fail)).proportion_ci(0.95, method="wilson")
        ok = g[g["met_run"]]
        out.append({"strategy": strat, "worlds": len(g), "median_ratio": med,
                    "ratio_lo": lo, "ratio_hi": hi, "mean_ratio": g["ratio"].mean(),
                    "fail_run": f, "fail_lo": flo, "fail_hi": fhi, "wilson_hi": wil.high,
                    "fail_expected": 1.0 - g["met_expected"].mean(),
                    "fail_p_run": 1.0 - g["p_run"].mean(),
                    "stopped_measured_met": g["measured_met"].mean(),
                    "mean_rounds": g["rounds_used"].mean(),
                    "off_route_med": ok["off_route"].median(),
                    "overshoot_med": ok["overshoot"].median(),
                    "off_route_mean": ok["off_route"].mean(),
                    "overshoot_mean": ok["overshoot"].mean()})
    return pd.DataFrame(out)


def print_summary(s: pd.DataFrame) -> None:
    print(f"{'strategy':<24}{'median cost/oracle [95% CI]':<30}{'run fail [95% CI]':<24}"
          f"{'Wilson hi':<10}{'exp fail':<9}{'1-E[p_run]':<11}{'rounds':<7}")
    for r in s.itertuples():
        print(f"{r.strategy:<24}{r.median_ratio:6.2f} [{r.ratio_lo:5.2f},{r.ratio_hi:5.2f}]"
              f"{'':<14}{r.fail_run:6.1%} [{r.fail_lo:5.1%},{r.fail_hi:5.1%}]  "
              f"{r.wilson_hi:6.1%}    {r.fail_expected:6.1%}   {r.fail_p_run:6.1%}     "
              f"{r.mean_rounds:4.2f}")
    print("cost/oracle over every world (failures included); run fail = one fresh-seed "
          "training run at the bought sizes misses a target; exp fail = the expected error "
          "of the deployed routes does; 1-E[p_run] = mean probability over fresh seeds.")
    print("spend_breakdown (worlds met at run level, in oracle costs): off_route = sources "
          "the oracle does not buy, overshoot = beyond its counts on its own sources")
    cols = ["strategy", "off_route_med", "off_route_mean", "overshoot_med", "overshoot_mean"]
    print(s[cols].round(3).to_string(index=False))


def family(strategy: str) -> str:
    return strategy.partition(":")[0]


def equal_failure(s: pd.DataFrame, headline: str) -> None:
    """Per other family: its cheapest setting failing no more often than ``headline``."""
    if headline not in set(s["strategy"]):
        return
    h = s[s["strategy"] == headline].iloc[0]
    print(f"at equal or lower run-level failure than {headline} ({h.fail_run:.1%}, median "
          f"cost/oracle {h.median_ratio:.2f}):")
    for fam, g in s.groupby(s["strategy"].map(family), sort=False):
        if fam == family(headline):
            continue
        ok = g[g["fail_run"] <= h.fail_run + 1e-12]
        if ok.empty:
            best = g.loc[g["fail_run"].idxmin()]
            print(f"  {fam:<18} none of its settings (lowest failure {best.fail_run:.1%} at "
                  f"{best.median_ratio:.2f}x, {best.strategy})")
        else:
            best = ok.loc[ok["median_ratio"].idxmin()]
            print(f"  {fam:<18} {best.median_ratio:.2f}x ({best.strategy}, "
                  f"{best.fail_run:.1%} failures)")


def failure_modes(df: pd.DataFrame, headline: str, total_budget_x: float) -> None:
    """Why the headline strategy's run-level failures failed (counts of worlds)."""
    g = df[(df["strategy"] == headline) & ~df["met_run"]]
    if g.empty:
        return
    stopped = g["measured_met"]
    under = ~stopped & (g["cost"] < g["oracle"])
    print(f"{headline}: {len(g)} run-level failures: {int(stopped.sum())} ended with "
          f"its own measurements meeting the targets (a fresh run then missed; "
          f"{int((stopped & ~g['met_expected']).sum())} with the expected error above "
          f"the target too), {int(under.sum())} never measured the targets met and spent "
          f"less than the oracle, {int((~stopped & ~under).sum())} never measured them met "
          f"after spending at least the oracle cost")
    infeasible = (df.groupby("world")["oracle"].first()
                  > total_budget_x * df.groupby("world")["early_spend"].first())
    print(f"worlds whose oracle cost exceeds every round's budget together "
          f"({total_budget_x:g} x early spend): {int(infeasible.sum())}")


def frontier_figure(s: pd.DataFrame, path: str, title: str) -> None:
    """Median cost/oracle vs run-level failure, one line per family over its knob."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5))
    colors = iter(plt.get_cmap("tab20").colors)  # type: ignore[attr-defined]
    for fam, g in s.groupby(s["strategy"].map(family), sort=False):
        g = g.sort_values("fail_run")
        style = "-o" if len(g) > 1 else "s"
        lw = 2.5 if fam == "bayesian" else 1.2
        color = "black" if fam == "bayesian" else next(colors)
        line, = ax.plot(100 * g["fail_run"], g["median_ratio"], style, lw=lw, label=fam,
                        color=color)
        ax.errorbar(100 * g["fail_run"], g["median_ratio"],
                    xerr=[100 * (g["fail_run"] - g["fail_lo"]),
                          100 * (g["fail_hi"] - g["fail_run"])],
                    yerr=[g["median_ratio"] - g["ratio_lo"], g["ratio_hi"] - g["median_ratio"]],
                    fmt="none", ecolor=line.get_color(), alpha=0.35, lw=1)
        for r in g.itertuples():
            knob = r.strategy.partition(":")[2]
            if knob:
                ax.annotate(knob, (100 * r.fail_run, r.median_ratio), fontsize=7,
                            xytext=(3, 3), textcoords="offset points")
    ax.axvline(5, color="grey", ls=":", lw=1)
    ax.axhline(1.25, color="grey", ls=":", lw=1)
    ax.set_xlabel("run-level failure rate, % of worlds (95% bootstrap interval)")
    ax.set_ylabel("median cost / oracle cost")
    ax.set_yscale("log")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    print(f"figure: {path}")


def report(df: pd.DataFrame, headline: str, figure: str | None = None,
           total_budget_x: float = 15.0) -> pd.DataFrame:
    """Print the tables (and write the figure); returns the per-strategy summary."""
    worlds = df["world"].nunique()
    print(f"{worlds} worlds (seeds {df['world'].min()}-{df['world'].max()}); tasks per world "
          f"{df.groupby('world')['n_tasks'].first().mean():.2f}, databases "
          f"{df.groupby('world')['n_dbs'].first().mean():.2f}; oracle cost / early spend: "
          f"median {(df['oracle'] / df['early_spend']).median():.2f}")
    s = summary(df)
    print_summary(s)
    equal_failure(s, headline)
    failure_modes(df, headline, total_budget_x)
    if figure:
        frontier_figure(s, figure, f"Regret frontier, {worlds} scoring worlds, "
                        f"{int(df['rounds_used'].max())} rounds max (issue 13)")
    return s
