"""Assemble BENCHMARKS.md from the recorded sections in ``benchmarks/sections/``.

Each benchmark script prints its result; the person who runs it records the command, the
machine and the verbatim output in its section file. BENCHMARKS.md is kept short and
readable:

* ``summary.md`` is written by hand: the table of targets (target, measured, status,
  command, each row linking to its section) and a short paragraph per area. Every figure
  in it is copied from a section file.
* After it, this script appends a generated index of the section files (their titles and
  subsection headings, linked). The verbatim outputs stay in the section files; they are
  linked, not inlined.

The script checks that every relative link of the result points to an existing file (and,
for ``file.md#anchor`` links, to an existing heading), and that every section file is linked
from ``summary.md``. The output depends only on the files, so it is deterministic.

Usage::

    python benchmarks/assemble.py            # write BENCHMARKS.md (atomically)
    python benchmarks/assemble.py --check    # exit 1 if BENCHMARKS.md is out of date

Exit status: 0 written / up to date, 1 out of date (``--check``), 2 broken links or a
section missing from ``summary.md``. Standard library only.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import unicodedata
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = Path("benchmarks") / "sections"
OUTPUT = "BENCHMARKS.md"
SUMMARY = "summary"
ORDER = ("fit_speed", "calibration", "slow_tests", "models", "extrapolation",
         "planner", "report", "sweep", "retrospective")

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LINK = re.compile(r"(?<!!)\[(?:[^\]\\]|\\.)*\]\(([^()\s]+)\)")


def github_anchor(title: str) -> str:
    """Return the anchor GitHub gives a Markdown heading.

    Lower case; characters other than letters, marks, digits, ``_``, ``-`` and spaces are
    dropped; spaces become hyphens.

    Examples
    --------
    >>> github_anchor("Against the issue's targets (latest)")
    'against-the-issues-targets-latest'
    >>> github_anchor("Latest: planning time, 10 sources x 4,000 draws")
    'latest-planning-time-10-sources-x-4000-draws'
    """
    kept = [c for c in title.strip().lower()
            if c in " -_" or unicodedata.category(c)[0] in "LMN"]
    return "".join(kept).replace(" ", "-")


def headings(text: str) -> list[tuple[int, str]]:
    """Return the ``(level, title)`` of every ATX heading outside fenced code blocks.

    Examples
    --------
    >>> headings("# A\\n```\\n# not a heading\\n```\\n### B `c`")
    [(1, 'A'), (3, 'B `c`')]
    """
    found: list[tuple[int, str]] = []
    fenced = False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else _HEADING.match(line)
        if match:
            found.append((len(match.group(1)), match.group(2)))
    return found


def anchors(text: str) -> set[str]:
    """Return the heading anchors of a Markdown text, with GitHub's ``-1``, ``-2`` suffixes.

    Examples
    --------
    >>> sorted(anchors("## Targets\\n### Targets"))
    ['targets', 'targets-1']
    """
    seen: dict[str, int] = {}
    out: set[str] = set()
    for _, title in headings(text):
        base = github_anchor(title)
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.add(base if count == 0 else f"{base}-{count}")
    return out


def links(text: str) -> list[str]:
    """Return the targets of the inline Markdown links of ``text`` outside code blocks.

    Examples
    --------
    >>> links("see [a](x.md#b) and [c](https://e.org)\\n```\\n[d](y.md)\\n```")
    ['x.md#b', 'https://e.org']
    """
    out: list[str] = []
    fenced = False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            out += _LINK.findall(re.sub(r"`[^`]*`", "", line))
    return out


def broken_links(text: str, base: Path) -> list[str]:
    """Return a message for every relative link of ``text`` that does not resolve from ``base``.

    A link ``file#anchor`` to a Markdown file also needs the heading; a bare ``#anchor``
    is looked up in ``text`` itself. Absolute URLs (``scheme:``) are not checked.
    """
    problems: list[str] = []
    for target in links(text):
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
            continue
        path, _, anchor = target.partition("#")
        file = base / path if path else None
        if file is not None and not file.exists():
            problems.append(f"{target}: no file {path}")
        elif anchor and (file is None or file.suffix == ".md"):
            page = text if file is None else file.read_text(encoding="utf-8")
            if anchor not in anchors(page):
                problems.append(f"{target}: no heading with anchor #{anchor}")
    return problems


def section_names(sections: Path) -> list[str]:
    """Return the section stems in pipeline order (others sorted after), without the summary."""
    names = [n for n in ORDER if (sections / f"{n}.md").exists()]
    names += sorted(p.stem for p in sections.glob("*.md")
                    if p.stem not in ORDER and p.stem != SUMMARY)
    return names


def section_index(sections: Path, names: Sequence[str]) -> str:
    """Return the generated Markdown index of the section files, linked from the repo root."""
    rel = SECTIONS.as_posix()
    lines = ["## Section files (verbatim outputs)", "",
             "Generated by `benchmarks/assemble.py` from the headings of the section files.",
             "Each file records the command, the machine, the date and the verbatim output "
             "of every recorded run.", ""]
    for name in names:
        text = (sections / f"{name}.md").read_text(encoding="utf-8")
        found = headings(text)
        title = found[0][1] if found else name
        lines.append(f"- [`{name}.md`]({rel}/{name}.md): {title}")
        lines += [f"  - [{t}]({rel}/{name}.md#{github_anchor(t)})"
                  for level, t in found[1:] if level == 3]
    return "\n".join(lines)


def render(root: Path) -> str:
    """Return the text of BENCHMARKS.md for the repository at ``root``."""
    sections = root / SECTIONS
    summary = (sections / f"{SUMMARY}.md").read_text(encoding="utf-8").strip()
    index = section_index(sections, section_names(sections))
    return f"{summary}\n\n{index}\n"


def problems(root: Path, text: str) -> list[str]:
    """Return what is wrong with the rendered ``text``: broken links, unlinked sections."""
    out = broken_links(text, root)
    sections = root / SECTIONS
    summary = (sections / f"{SUMMARY}.md").read_text(encoding="utf-8")
    linked = {(root / t.partition("#")[0]).resolve() for t in links(summary)}
    for name in section_names(sections):
        if (sections / f"{name}.md").resolve() not in linked:
            out.append(f"{SECTIONS.as_posix()}/{name}.md is not linked from {SUMMARY}.md "
                       "(add its targets to the table)")
    return out


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or with ``--check`` compare) BENCHMARKS.md; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if BENCHMARKS.md is out of date")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="repository root (default: this script's repository)")
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    out = root / OUTPUT
    text = render(root)
    found = problems(root, text)
    if found:
        for problem in found:
            print(f"assemble: {problem}", file=sys.stderr)
        return 2
    if args.check:
        current = out.read_text(encoding="utf-8") if out.exists() else None
        if current != text:
            print(f"{out} is out of date: run `python benchmarks/assemble.py`",
                  file=sys.stderr)
            return 1
        print(f"{out} is up to date ({len(text.encode('utf-8')):,} bytes)")
        return 0
    write_atomic(out, text)
    names = section_names(root / SECTIONS)
    print(f"wrote {out} ({len(text.encode('utf-8')):,} bytes): {SUMMARY}.md + index of "
          f"{len(names)} sections: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
