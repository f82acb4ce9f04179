"""Report figures: matplotlib drawings of a :class:`~planner.report.content.ReportContent`,
returned as inline, accessible SVG strings.

Figures are drawn from the content only (never from the model object). Each SVG carries
``role="img"``, a ``<title>`` and a ``<desc>`` (alt text) referenced by ``aria-labelledby``;
element ids are prefixed per figure so several figures can share one HTML page; text stays
text (``svg.fonttype = none``) and output is deterministic (``svg.hashsalt``).

Examples
--------
>>> from matplotlib.figure import Figure
>>> fig = Figure(figsize=(2, 1)); _ = fig.add_subplot().plot([1, 2], [1, 2])
>>> svg = to_svg(fig, "demo", "A line", "A rising line.")
>>> svg.startswith("<svg") and 'role="img"' in svg and "<title" in svg
True
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim2real.planner.report.formatting import fmt_num, fmt_pct, fmt_size, slug
from sim2real.planner.report.records import CurveBand, ExchangeRate, ReportContent, RequiredSize
from sim2real.planner.report.studies import StudyPoint

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
          "#F0E442")
TARGET_COLOR = "#C00000"
RC: Any = {"svg.fonttype": "none", "font.size": 9, "font.family": "DejaVu Sans",
      "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
      "grid.alpha": 0.3, "legend.frameon": False}


@dataclass(frozen=True)
class FigureSVG:
    """One rendered figure: its HTML id, caption title, alt text and SVG markup."""

    fig_id: str
    title: str
    desc: str
    svg: str

    def _repr_svg_(self) -> str:
        """Jupyter shows the figure itself (the SVG markup) as a cell's output."""
        return self.svg


def to_svg(fig: Any, fig_id: str, title: str, desc: str) -> str:
    """Serialize a matplotlib figure to an accessible, responsive inline ``<svg>``."""
    import matplotlib as mpl

    buf = io.StringIO()
    rc: Any = {**RC, "svg.hashsalt": fig_id}
    with mpl.rc_context(rc):
        fig.savefig(buf, format="svg", bbox_inches="tight")
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = ET.fromstring(buf.getvalue())
    for meta in root.findall(f"{{{SVG_NS}}}metadata"):  # creation date: not reproducible
        root.remove(meta)
    _prefix_ids(root, fig_id)
    for attr in ("width", "height"):
        root.attrib.pop(attr, None)
    root.set("role", "img")
    root.set("aria-labelledby", f"{fig_id}-title {fig_id}-desc")
    root.set("class", "figure-svg")
    root.set("preserveAspectRatio", "xMidYMid meet")
    desc_el = ET.Element(f"{{{SVG_NS}}}desc", {"id": f"{fig_id}-desc"})
    desc_el.text = desc
    title_el = ET.Element(f"{{{SVG_NS}}}title", {"id": f"{fig_id}-title"})
    title_el.text = title
    root.insert(0, desc_el)
    root.insert(0, title_el)
    return ET.tostring(root, encoding="unicode")


def _prefix_ids(root: Any, prefix: str) -> None:
    """Make every id unique on the page and update ``url(#..)`` / ``href`` references."""
    href = f"{{{XLINK_NS}}}href"
    for el in root.iter():
        if "id" in el.attrib:
            el.set("id", f"{prefix}-{el.get('id')}")
        for key, value in list(el.attrib.items()):
            if "url(#" in value:
                el.set(key, value.replace("url(#", f"url(#{prefix}-"))
            elif key in (href, "href") and value.startswith("#"):
                el.set(key, f"#{prefix}-{value[1:]}")


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _panels(n: int, width: float = 7.0, row_height: float = 2.7) -> tuple[Any, list[Any]]:
    cols = min(n, 2)
    rows = int(np.ceil(n / cols))
    fig = _figure(width, row_height * rows + 0.3)
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


# ---------------------------------------------------------------- section figures
def curves_figure(content: ReportContent, task: str) -> FigureSVG:
    """Section 2: one panel per route of ``task`` (scratch on n_real, databases on n_sim)."""
    import matplotlib as mpl

    bands = [b for b in content.curves if b.task == task]
    routes = sorted({b.sim_source for b in bands}, key=lambda s: (s != "none", s))
    target = next((t.target for t in content.decision.tasks if t.task == task), None)
    with mpl.rc_context(RC):
        fig, axes = _panels(len(routes))
        for ax, route in zip(axes, routes, strict=True):
            _route_panel(ax, [b for b in bands if b.sim_source == route], target)
        _shared_legend(fig, axes)
    metric = bands[0].metric if bands else "error"
    desc = (f"Learning curves of {task} ({metric}) with measured replicates, posterior mean "
            "and 50%/90% bands, one panel per route. " + _curves_desc(bands, target))
    return FigureSVG(f"fig-curves-{slug(task)}", f"Learning curves: {task}", desc,
                     to_svg(fig, f"fig-curves-{slug(task)}", f"Learning curves: {task}",
                            desc))


def _route_panel(ax: Any, bands: list[CurveBand], target: float | None) -> None:
    main = next((b for b in bands if b.planner_curve), bands[0])
    for i, b in enumerate(sorted(bands, key=lambda b: b.fixed)):
        if b is main:
            continue
        color = COLORS[(i + 2) % len(COLORS)]
        ax.plot(b.grid, b.mean, color=color, lw=0.8, alpha=0.6)
        ax.scatter(b.sizes, b.errors, s=6, color=color, alpha=0.5,
                   label=f"{_fixed_label(b)}")
    g = np.asarray(main.grid)
    inside = g <= main.measured_max * 1.0001
    ax.fill_between(g, main.q05, main.q95, color=COLORS[0], alpha=0.15, lw=0,
                    label="90% band")
    ax.fill_between(g, main.q25, main.q75, color=COLORS[0], alpha=0.3, lw=0,
                    label="50% band")
    mean = np.asarray(main.mean)
    ax.plot(g[inside], mean[inside], color=COLORS[0], lw=1.8, label="posterior mean")
    ax.plot(g[~inside | np.roll(~inside, -1)], mean[~inside | np.roll(~inside, -1)],
            color=COLORS[0], lw=1.5, ls="--", label="extrapolation")
    ax.scatter(main.sizes, main.errors, s=12, color="black", zorder=3,
               label=f"replicates ({_fixed_label(main)})")
    if target is not None:
        ax.axhline(target, color=TARGET_COLOR, ls=":", lw=1.5, label=f"target {target:g}")
    if main.planned_size is not None and main.planned_size > main.measured_max:
        ax.axvline(main.planned_size, color="grey", ls="-.", lw=1,
                   label=f"after batch ({fmt_size(main.planned_size)})")
    ax.set_xscale("log")
    route = "from scratch" if main.sim_source == "none" else f"pre-trained on {main.sim_source}"
    ax.set_title(route, fontsize=9)
    ax.set_xlabel(main.axis)
    ax.set_ylabel(main.metric)


def _shared_legend(fig: Any, axes: list[Any]) -> None:
    """One legend under the panels (unique labels, first occurrence wins)."""
    entries: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(label, handle)
    fig.legend(list(entries.values()), list(entries), loc="outside lower center", ncol=4,
               fontsize=7)


def _fixed_label(b: CurveBand) -> str:
    return "n_sim=0" if b.sim_source == "none" else f"n_real={fmt_size(b.fixed)}"


def _curves_desc(bands: list[CurveBand], target: float | None) -> str:
    parts = []
    for b in bands:
        if b.planner_curve:
            end = len(b.grid) - 1
            parts.append(f"{b.curve_id}: posterior mean {fmt_num(b.mean[end])} at "
                         f"{b.axis}={fmt_size(b.grid[end])}")
    tail = f" Target {target:g}." if target is not None else ""
    return "; ".join(parts) + "." + tail


def required_size_figure(rows: Sequence[RequiredSize]) -> FigureSVG:
    """Section 3: 90% intervals of the size reaching the target, per task and route."""
    import matplotlib as mpl

    with mpl.rc_context(RC):
        fig = _figure(7.0, 0.55 * max(len(rows), 1) + 1.2)
        ax = fig.add_subplot()
        finite = [v for r in rows for v in (r.size.q05, r.size.q95, r.current_size)
                  if np.isfinite(v)]
        right = max(finite) * 10 if finite else 10.0
        for i, r in enumerate(rows):
            lo, mid, hi = (min(v, right) for v in (r.size.q05, r.size.q50, r.size.q95))
            ax.plot([lo, hi], [i, i], color=COLORS[0], lw=3, solid_capstyle="butt")
            ax.plot([mid], [i], "o", color=COLORS[0])
            ax.plot([r.current_size], [i], "|", color="black", ms=14, mew=2)
            if not np.isfinite(r.size.q95):
                ax.annotate("never", (right, i), xytext=(4, 0), textcoords="offset points",
                            va="center", fontsize=7)
            ax.annotate(f"P(unreachable) {fmt_pct(r.p_unreachable)}", (lo, i),
                        xytext=(0, 7), textcoords="offset points", fontsize=7)
        ax.set_yticks(range(len(rows)), [f"{r.task}: {r.route} ({r.axis})" for r in rows])
        ax.set_xscale("log")
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.invert_yaxis()
        ax.set_xlabel("size reaching the target (dot: median; bar: 90% interval; "
                      "tick: current size)")
    desc = "Required size per task and route: " + "; ".join(
        f"{r.task} via {r.route}: median {fmt_size(r.size.q50)}, 90% interval "
        f"{fmt_size(r.size.q05)} to {fmt_size(r.size.q95)}, P(unreachable) "
        f"{fmt_pct(r.p_unreachable)}" for r in rows) + "."
    title = "Required database size to reach the target"
    return FigureSVG("fig-required", title, desc, to_svg(fig, "fig-required", title, desc))


def exchange_figure(rows: Sequence[ExchangeRate], task: str) -> FigureSVG:
    """Section 4: marginal and average rates (median, 90% band) against database size."""
    import matplotlib as mpl

    rows = [r for r in rows if r.task == task]
    sources = sorted({r.sim_source for r in rows})
    with mpl.rc_context(RC):
        fig = _figure(7.0, 2.9)
        axes = fig.subplots(1, 2)
        for ax, name, label in ((axes[0], "marginal_rate", "marginal rate"),
                                (axes[1], "average_rate", "average rate")):
            for i, src in enumerate(sources):
                rs = sorted((r for r in rows if r.sim_source == src), key=lambda r: r.n_sim)
                x = np.array([r.n_sim for r in rs])
                q = np.array([[getattr(r, name).q05, getattr(r, name).q50,
                               getattr(r, name).q95] for r in rs])
                q = np.where(np.isfinite(q), q, np.nan)
                ax.fill_between(x, q[:, 0], q[:, 2], color=COLORS[i], alpha=0.15, lw=0)
                ax.plot(x, q[:, 1], "-o", ms=3, color=COLORS[i], label=src)
                cur = [r for r in rs if r.current]
                if cur:
                    ax.plot([cur[0].n_sim], [getattr(cur[0], name).q50], "s", ms=7,
                            mfc="none", color=COLORS[i])
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("database size n_sim")
            ax.set_ylabel(f"{label} (simulations / experiment)")
            ax.legend(fontsize=7)
    cur = [r for r in rows if r.current]
    desc = (f"Exchange rates of {task} against database size, median and 90% band; squares "
            "mark the current size. At the current size: " + "; ".join(
                f"{r.sim_source} marginal {fmt_num(r.marginal_rate.q50, 2)}, average "
                f"{fmt_num(r.average_rate.q50, 2)}" for r in cur) + ".")
    fid = f"fig-exchange-{slug(task)}"
    title = f"Exchange rates: {task}"
    return FigureSVG(fid, title, desc, to_svg(fig, fid, title, desc))


def frontier_figure(points: Sequence[StudyPoint], task: str,
                    target: float | None) -> FigureSVG:
    """Section 5: expected error after the batch against budget, per strategy."""
    import matplotlib as mpl

    strategies = list(dict.fromkeys(p.strategy for p in points))
    with mpl.rc_context(RC):
        fig = _figure(7.0, 3.2)
        ax = fig.add_subplot()
        for i, s in enumerate(strategies):
            ps = sorted((p for p in points if p.strategy == s and task in p.expected_error),
                        key=lambda p: p.budget)
            x = [p.budget for p in ps]
            y = [p.expected_error[task]["mean"] for p in ps]
            lw = 2.2 if s == "bayesian" else 1.1
            ax.plot(x, y, "-o", ms=3.5, lw=lw, color=COLORS[i % len(COLORS)], label=s)
            if s == "bayesian":
                ax.fill_between(x, [p.expected_error[task]["q05"] for p in ps],
                                [p.expected_error[task]["q95"] for p in ps],
                                color=COLORS[i], alpha=0.12, lw=0, label="bayesian 90%")
        if target is not None:
            ax.axhline(target, color=TARGET_COLOR, ls=":", lw=1.5, label=f"target {target:g}")
        ax.set_xscale("log")
        ax.set_xlabel("budget (cost units)")
        ax.set_ylabel(f"expected error of {task}")
        ax.legend(fontsize=7, ncol=2)
    best = {s: min((p for p in points if p.strategy == s and task in p.expected_error),
                   key=lambda p: p.expected_error[task]["mean"], default=None)
            for s in strategies}
    desc = (f"Budget frontier of {task}: posterior mean error after the batch for each "
            "strategy at each budget. Lowest mean per strategy: " + "; ".join(
                f"{s} {fmt_num(p.expected_error[task]['mean'])}" for s, p in best.items()
                if p is not None) + ".")
    fid = f"fig-frontier-{slug(task)}"
    title = f"Budget frontier: {task}"
    return FigureSVG(fid, title, desc, to_svg(fig, fid, title, desc))


def sensitivity_figure(points: Sequence[StudyPoint]) -> FigureSVG:
    """Section 6: money share per source against the experiment:simulation price ratio."""
    import matplotlib as mpl

    sources = list(dict.fromkeys(k for p in points for k in p.allocation))
    labels = [fmt_num(p.cost_ratio, 2) for p in points]
    with mpl.rc_context(RC):
        fig = _figure(7.0, 3.0)
        ax = fig.add_subplot()
        bottom = np.zeros(len(points))
        for i, s in enumerate(sources):
            share = np.array([p.allocation.get(s, 0) * p.costs.get(s, 0.0) / p.budget
                              for p in points])
            ax.bar(labels, share, bottom=bottom, color=COLORS[i % len(COLORS)], label=s)
            bottom += share
        ax.set_ylim(0, 1.05)
        ax.set_xlabel("price ratio: one experiment / one simulation")
        ax.set_ylabel("share of the budget spent")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    desc = "Recommended spending by source at each price ratio: " + "; ".join(
        f"ratio {lab}: " + ", ".join(f"{k} {fmt_size(v)}" for k, v in p.allocation.items()
                                     if v > 0) if any(p.allocation.values()) else
        f"ratio {lab}: nothing" for lab, p in zip(labels, points, strict=True)) + "."
    title = "Sensitivity to the experiment:simulation price ratio"
    return FigureSVG("fig-sensitivity", title, desc, to_svg(fig, "fig-sensitivity", title,
                                                             desc))


def ppc_figure(content: ReportContent) -> FigureSVG | None:
    """Section 8: measured error against its 90% posterior predictive interval."""
    import matplotlib as mpl

    ppc = content.diagnostics.ppc
    if ppc is None:
        return None
    obs, lo, mid, hi = (np.asarray(v) for v in (ppc.observed, ppc.q05, ppc.q50, ppc.q95))
    inside = (obs >= lo) & (obs <= hi)
    with mpl.rc_context(RC):
        fig = _figure(7.0, 3.2)
        ax = fig.add_subplot()
        ax.errorbar(mid, mid, yerr=[mid - lo, hi - mid], fmt="none", ecolor="#999999",
                    alpha=0.5, lw=0.8, label="90% predictive interval")
        ax.scatter(mid[inside], obs[inside], s=8, color=COLORS[0], label="measured, inside")
        ax.scatter(mid[~inside], obs[~inside], s=14, color=TARGET_COLOR, marker="x",
                   label="measured, outside")
        ax.set_xlabel("posterior predictive median")
        ax.set_ylabel("measured error")
        ax.legend(fontsize=7)
    desc = (f"Posterior predictive check: {fmt_pct(ppc.coverage_90)} of {ppc.n_obs} measured "
            f"errors lie inside their 90% predictive interval and {fmt_pct(ppc.coverage_50)} "
            "inside the 50% interval.")
    title = "Posterior predictive check"
    return FigureSVG("fig-ppc", title, desc, to_svg(fig, "fig-ppc", title, desc))


def all_figures(content: ReportContent) -> dict[str, list[FigureSVG]]:
    """Every figure of the report, by section key."""
    targets = {t.task: t.target for t in content.decision.tasks}
    tasks = list(dict.fromkeys([*content.tasks, *(b.task for b in content.curves)]))
    ppc = ppc_figure(content)
    ex_tasks = list(dict.fromkeys(r.task for r in content.exchange))
    return {
        "curves": [curves_figure(content, t) for t in tasks],
        "required": [required_size_figure(content.required_sizes)]
        if content.required_sizes else [],
        "exchange": [exchange_figure(content.exchange, t) for t in ex_tasks],
        "frontier": [frontier_figure(content.frontier, t, targets.get(t)) for t in tasks
                     if content.frontier],
        "sensitivity": [sensitivity_figure(content.sensitivity)]
        if content.sensitivity else [],
        "diagnostics": [ppc] if ppc is not None else [],
    }
