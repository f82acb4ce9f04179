"""Rich terminal tables for the CLI (pure presentation: DataFrames in, renderables out).

Examples
--------
>>> import pandas as pd
>>> t = render_frame(pd.DataFrame({"a": [1.23456]}), title="x")
>>> t.title
'x'
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from rich.markup import escape
from rich.table import Table


def fmt_number(value: Any, digits: int = 4) -> str:
    """Compact number: 4 significant digits, thousands for big sizes, '-' for missing.

    Examples
    --------
    >>> fmt_number(0.000123456), fmt_number(123456.0), fmt_number(float("nan"))
    ('0.0001235', '1.235e+05', '-')
    """
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "-" if value is None or np.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return f"{float(value):.{digits}g}"
    return str(value)


def render_frame(frame: pd.DataFrame, title: str | None = None) -> Table:
    """Render any DataFrame as a rich Table with compact numbers."""
    table = Table(title=title, show_lines=False)
    for col in frame.columns:   # cells and headers are data, not markup: a[/x] stays as typed
        table.add_column(escape(str(col)), justify="right" if frame[col].dtype.kind in "iuf"
                         else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*(escape(fmt_number(v)) for v in row))
    return table


def render_curve_summary(summary: pd.DataFrame, title: str | None = None) -> Table:
    """Table of curves: label (task|source|fixed value), varying axis, sizes, replicates."""
    frame = pd.DataFrame({
        "curve": summary["curve_id"], "varies": summary["axis"],
        "sizes": [f"{n} in {lo}-{hi}" for n, lo, hi in
                  zip(summary["n_sizes"], summary["size_min"], summary["size_max"],
                      strict=True)],
        "reps": summary["replicates"],
        "error range": [f"{fmt_number(a, 3)}-{fmt_number(b, 3)}" for a, b in
                        zip(summary["error_min"], summary["error_max"], strict=True)],
        "metric": summary["metric"],
    })
    return render_frame(frame, title=title)


def parameter_frame(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary pivoted: one row per entry (curve, task, pair or noise group), one
    ``mean [lower, upper]`` column per parameter label (in the summary's order), then the
    entry's largest R-hat.

    Works for the summary of any family (``Posterior.summary``: columns ``level,
    curve_id, parameter, mean, lower, upper, r_hat``); a ``level`` column is added when
    the entries have several levels (surfaces).

    Examples
    --------
    >>> s = pd.DataFrame({"level": "curve", "curve_id": ["a", "a"], "parameter": ["C", "D"],
    ...                   "mean": [0.1, 2.0], "lower": [0.05, 1.0], "upper": [0.2, 3.0],
    ...                   "r_hat": [1.0, 1.01]})
    >>> parameter_frame(s).columns.tolist()
    ['curve', 'C', 'D', 'R-hat']
    """
    cells = {(r.curve_id, r.parameter): f"{fmt_number(r.mean, 3)} "
             f"[{fmt_number(r.lower, 3)}, {fmt_number(r.upper, 3)}]"
             for r in summary.itertuples(index=False)}
    entries = list(dict.fromkeys(summary["curve_id"]))
    labels = list(dict.fromkeys(summary["parameter"]))
    rhat = summary.groupby("curve_id", sort=False)["r_hat"].max()
    frame = pd.DataFrame({"curve": entries})
    if "level" in summary and summary["level"].nunique() > 1:
        level = summary.groupby("curve_id", sort=False)["level"].first()
        frame.insert(0, "level", [level[e] for e in entries])
    for p in labels:
        frame[p] = [cells.get((e, p), "-") for e in entries]
    frame["R-hat"] = [rhat[e] for e in entries]
    return frame


def render_parameters(summary: pd.DataFrame, interval: float = 0.94,
                      description: str | None = None) -> Table:
    """Parameter table with ``interval`` credible intervals, for any family's summary
    (:func:`parameter_frame`); ``description`` (the family's formula) heads the title."""
    pct = round(interval * 100)
    head = description or "Parameters"
    return render_frame(parameter_frame(summary), title=f"{head}: mean [{pct}% interval]")


def render_diagnostics(diagnostics: Any) -> Table:
    """Diagnostics table with a pass/fail status line."""
    d = diagnostics.to_dict()
    table = Table(title="MCMC diagnostics " + ("[green]OK[/green]" if d["ok"] else
                                               "[bold red]FAILED[/bold red]"))
    for col in ("max R-hat", "min ESS bulk", "min ESS tail", "divergences", "min E-BFMI",
                "chains x draws"):
        table.add_column(col, justify="right")
    table.add_row(fmt_number(d["max_rhat"]), fmt_number(d["min_ess_bulk"]),
                  fmt_number(d["min_ess_tail"]), str(d["divergences"]),
                  fmt_number(d["min_bfmi"]), f"{d['chains']} x {d['draws']}")
    return table


EXCHANGE_QUANTITIES = (("m_eq", "Equivalent real sample size m_eq"),
                       ("transferred", "Data transferred m_eq - m"),
                       ("average_rate", "Average rate: simulations per transferred experiment"),
                       ("marginal_rate", "Marginal rate: simulations per experiment"),
                       ("extrapolation", "m_eq / largest measured from-scratch n_real "
                                         "(extrapolation factor)"))


def render_exchange(rates: pd.DataFrame, suffix: str = "") -> list[Table]:
    """One table per exchange quantity (q05 / q50 / q95 per task and database).

    ``rates`` is the output of :func:`planner.decisions.exchange_table` (any family).
    """
    cols = ["task", "sim_source", "n_sim", "n_real"]
    tables = []
    for name, title in EXCHANGE_QUANTITIES:
        qcols = {f"{name}_q{q}": f"q{q}" for q in ("05", "50", "95")}
        if not set(qcols) <= set(rates.columns):
            continue
        tables.append(render_frame(rates[[*cols, *qcols]].rename(columns=qcols),
                                   title=title + suffix))
    if {"p_no_transfer", "p_m_eq_infinite", "extrapolated"} <= set(rates.columns):
        shares = rates[[*cols, "p_no_transfer", "p_m_eq_infinite", "extrapolated"]].copy()
        shares["extrapolated"] = shares["extrapolated"].map(
            {True: "YES: m_eq > 10x measured", False: "no"})
        tables.append(render_frame(shares, title="Share of draws: nothing transfers "
                                   "(m_eq <= m) / no scratch size matches (m_eq = inf)"
                                   + suffix))
    return tables

