"""Notebook figures of planning results (matplotlib ``Figure`` objects, no pyplot state).

Figures are drawn from result objects only (never from a model object):
:meth:`PlanResult.plot <planner.optim.result.PlanResult.plot>` delegates here. The
report's own figures are in :mod:`planner.report.figures`.

Examples
--------
>>> from sim2real.planner.optim.result import ErrorSummary, PlanResult
>>> s = ErrorSummary(mean=0.4, q05=0.3, q50=0.4, q95=0.5)
>>> r = PlanResult("min_cost_with_probability", {"mp": 1000, "real:gap": 10}, 3000.0,
...                5000.0, {"gap": s}, {"gap": 0.9}, {"gap": 0.45}, current_error={"gap": s})
>>> fig = plan_figure(r, costs={"mp": 1.0, "real:gap": 200.0})
>>> [ax.get_title() for ax in fig.axes]
['Batch (total cost 3,000 of 5,000)', 'Error after the batch']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

# The report's colours (Okabe-Ito blue and vermillion) and style, repeated here: the report
# package imports the optimizer, which returns the results that are plotted here.
COLORS = ("#0072B2", "#D55E00")
TARGET_COLOR = "#C00000"
RC: Any = {"font.size": 9, "font.family": "DejaVu Sans", "axes.spines.top": False,
           "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
           "legend.frameon": False}


def plan_figure(result: Any, costs: Mapping[str, float] | None = None) -> Any:
    """Two panels: the batch's cost per source (labelled with its count), and per task
    the error now and after the batch (posterior mean, 90% interval) with its target.

    Parameters
    ----------
    result : PlanResult
        A plan from :func:`planner.api.plan` (or the optimizer / a baseline).
    costs : mapping, optional
        Unit cost per source, when the result's provenance does not hold the settings.
    """
    import matplotlib as mpl
    from matplotlib.figure import Figure

    frame = result.to_frame(costs)
    with mpl.rc_context(RC):
        fig = Figure(figsize=(8.0, 0.5 * max(len(frame), len(result.expected_error)) + 2.2),
                     layout="constrained")
        left, right = fig.subplots(1, 2)
        _batch_panel(left, frame, result)
        _error_panel(right, result)
    return fig


def _batch_panel(ax: Any, frame: Any, result: Any) -> None:
    y = np.arange(len(frame))
    known = bool(np.isfinite(frame["cost"]).all())
    values = frame["cost"] if known else frame["count"]
    ax.barh(y, values, color=COLORS[0])
    for i, (n, v) in enumerate(zip(frame["count"], values, strict=True)):
        ax.annotate(f"{n:,}", (float(v), i), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize=8)
    ax.set_yticks(y, frame["source"])
    ax.invert_yaxis()
    ax.set_xlabel("cost (budget units)" if known else "new samples")
    ax.set_title(f"Batch (total cost {result.total_cost:,.0f} of {result.budget:,.0f})",
                 fontsize=9)
    ax.margins(x=0.25)


def _error_panel(ax: Any, result: Any) -> None:
    tasks = list(result.expected_error)
    y = np.arange(len(tasks))
    for offset, label, summaries, color in (
            (-0.15, "now", result.current_error, COLORS[1]),
            (0.15, "after the batch", result.expected_error, COLORS[0])):
        have = [i for i, t in enumerate(tasks) if t in summaries]
        if not have:
            continue
        s = [summaries[tasks[i]] for i in have]
        mean = np.array([x.mean for x in s])
        err = np.array([[x.mean - x.q05 for x in s], [x.q95 - x.mean for x in s]])
        ax.errorbar(mean, y[have] + offset, xerr=np.clip(err, 0, None), fmt="o", ms=4,
                    color=color, capsize=2, label=f"{label} (mean, 90%)")
    for i, t in enumerate(tasks):
        if t in result.targets:
            ax.vlines(result.targets[t], i - 0.4, i + 0.4, color=TARGET_COLOR, ls=":",
                      label="target" if i == 0 or "target" not in
                      ax.get_legend_handles_labels()[1] else None)
    ax.set_yticks(y, [f"{t}\nP(met)={result.p_target[t]:.0%}" if t in result.p_target
                      else t for t in tasks])
    ax.invert_yaxis()
    ax.set_xlabel("error")
    ax.set_title("Error after the batch", fontsize=9)
    ax.legend(fontsize=7, loc="best")
