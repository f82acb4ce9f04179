"""Time ``sim2real demo`` (fit + plan + studies + report) and print its decision.

Issue 5 target: ``make demo`` finishes in a few minutes on a 2-core machine (<= 300 s).

Usage::

    .venv/bin/python benchmarks/report_demo.py [--out /tmp/demo_bench] [-- extra demo args]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

TARGET_SECONDS = 300.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("/tmp/demo_bench"))
    parser.add_argument("extra", nargs="*", help="extra `sim2real demo` arguments")
    args = parser.parse_args()
    exe = Path(sys.executable).with_name("sim2real")
    cmd = [str(exe), "demo", "--out", str(args.out), *args.extra]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        print(proc.stdout, proc.stderr)
        raise SystemExit(f"demo failed with exit code {proc.returncode}")
    report = json.loads((args.out / "report.json").read_text())
    d = report["decision"]
    print("command:", " ".join(cmd))
    print(f"wall {wall:.1f} s, CPU (user+sys) {usage.ru_utime + usage.ru_stime:.1f} s")
    batch = ", ".join(f"{b['count']:,} {b['source']}" for b in d["batch"] if b["count"])
    print(f"decision: buy {batch or 'nothing'} for {d['total_cost']:,.0f} of "
          f"{d['budget']:,.0f} ({d['objective']})")
    for t in d["tasks"]:
        a = t["after"]
        print(f"  {t['task']}: now {t['current']['mean']:.3f}, after {a['mean']:.3f} "
              f"[{a['q05']:.3f}, {a['q95']:.3f}], target {t['target']}, "
              f"P(target) {t['p_target']}")
    print("  " + d["exchange_sentence"])
    print(f"red flags ({len(report['red_flags'])}):")
    for flag in report["red_flags"]:
        print("  - " + flag)
    m = report["diagnostics"]["mcmc"]
    print(f"MCMC: {m['chains']} chains x {m['draws']} draws, max R-hat {m['max_rhat']:.3f}, "
          f"min bulk ESS {m['min_ess_bulk']:.0f}")
    status = "met" if wall <= TARGET_SECONDS else "MISSED"
    print(f"target demo <= {TARGET_SECONDS:.0f} s wall: {status} ({wall:.1f} s)")


if __name__ == "__main__":
    main()
