"""Assemble BENCHMARKS.md from the recorded sections in ``benchmarks/sections/``.

Each benchmark script prints its result; the person who runs it records the command, the
machine and the verbatim output in its section file. This script only concatenates them
(``summary.md`` first: the targets at a glance, then pipeline order) and writes
BENCHMARKS.md atomically.

Usage::

    .venv/bin/python benchmarks/assemble.py
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORDER = ("summary", "fit_speed", "calibration", "slow_tests", "models", "extrapolation",
         "planner", "report", "sweep", "retrospective")



def main() -> None:
    """Write BENCHMARKS.md from the section files."""
    sections = ROOT / "benchmarks" / "sections"
    names = [n for n in ORDER if (sections / f"{n}.md").exists()]
    names += sorted(p.stem for p in sections.glob("*.md") if p.stem not in ORDER)
    body = "\n\n".join((sections / f"{n}.md").read_text(encoding="utf-8").strip()
                       for n in names)
    out = ROOT / "BENCHMARKS.md"
    fd, tmp = tempfile.mkstemp(dir=ROOT, prefix=".BENCHMARKS.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(body + "\n")
    os.replace(tmp, out)
    print(f"wrote {out} from {len(names)} sections: {', '.join(names)}")


if __name__ == "__main__":
    main()
