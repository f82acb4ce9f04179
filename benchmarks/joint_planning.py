"""Print the joint-planning figures of the case studies (issue 12) from their results.

Run ``python -m sim2real.case_studies.run_study STUDY`` first (it fits the joint model and
writes ``plan.json``, ``price_plans.json`` and ``fit.json``); this script prints, per study,
the model and diagnostics, the plan at the study's price, the flip point and the plans at
the other experiment prices. Output: ``benchmarks/sections/joint_planning.md``.

Usage::

    .venv/bin/python benchmarks/joint_planning.py [band_gap chi_parameter]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def report(study: str) -> list[str]:
    """The lines printed for one study."""
    res = ROOT / "case_studies" / study / "results"
    p = json.loads((res / "plan.json").read_text())
    s = json.loads((res / "price_plans.json").read_text())
    f = json.loads((res / "fit.json").read_text())
    out = [f"== {study}: spec {f['spec']}, diagnostics {json.dumps(f['diagnostics'])}, "
           f"fit {f['fit_wall_seconds']} s, plan {f['plan_seconds']} s",
           f"plan.json allocation {p['allocation']} total_cost {p['total_cost']} "
           f"p_target {p['p_target']}"]
    keys = ("experiment", "database", "ratio", "rate_q05", "rate_q50", "rate_q95",
            "current_ratio")
    out += ["flip_points " + json.dumps({k: fl[k] for k in keys})
            for fl in p.get("flip_points", [])]
    out += [f"price_plans[{k}] allocation {v['allocation']} total_cost {v['total_cost']} "
            f"p_target {v['p_target']}" for k, v in s.items()]
    return out


if __name__ == "__main__":
    for name in sys.argv[1:] or ["band_gap", "chi_parameter"]:
        print("\n".join(report(name)))
