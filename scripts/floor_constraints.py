"""Print pip constraints pinning every declared dependency at its floor (``>=X`` -> ``==X``).

``make test-floor`` installs the package with these constraints into a separate venv and
runs the fast tests there, so the minimum versions that ``pyproject.toml`` promises are
the versions that are tested. Runtime dependencies and every optional extra are covered
(the extras' self-reference ``sim2real-planner[...]`` is skipped); extras of a dependency
(``dask[distributed]``) are dropped, since pip constraints take a name and a version only.

Usage::

    python scripts/floor_constraints.py [--pyproject pyproject.toml] [--exclude torch]

Examples
--------
>>> floor_constraints({"project": {"name": "p", "dependencies": ["numpy>=1.26,<3"]}})
['numpy==1.26']
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def declared_requirements(pyproject: dict[str, Any]) -> list[Requirement]:
    """Runtime and optional requirements of ``pyproject``, without the self-reference."""
    project = pyproject["project"]
    own = canonicalize_name(project["name"])
    items = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        items.extend(extra)
    return [r for r in map(Requirement, items) if canonicalize_name(r.name) != own]


def floor_constraints(pyproject: dict[str, Any], exclude: Iterable[str] = ()) -> list[str]:
    """One ``name==floor`` line per requirement with a ``>=`` floor, sorted by name.

    Raises
    ------
    ValueError
        When a requirement has no ``>=`` floor (nothing to test it at) or two different
        floors are declared for one package.
    """
    skip = {canonicalize_name(n) for n in exclude}
    floors: dict[str, tuple[str, str]] = {}
    for req in declared_requirements(pyproject):
        name = canonicalize_name(req.name)
        if name in skip:
            continue
        lows = [s.version for s in req.specifier if s.operator == ">="]
        if len(lows) != 1:
            raise ValueError(f"pyproject.toml: '{req}' has no single '>=' floor. Fix: "
                             "declare the lowest supported version as '>=X'.")
        marker = f"; {req.marker}" if req.marker else ""
        if name in floors and floors[name][0] != lows[0]:
            raise ValueError(f"pyproject.toml: {name} has two floors ({floors[name][0]}, "
                             f"{lows[0]}). Fix: declare one.")
        floors[name] = (lows[0], marker)
    return [f"{n}=={v}{m}" for n, (v, m) in sorted(floors.items())]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: print the constraints, one a line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pyproject", type=Path, default=Path("pyproject.toml"))
    parser.add_argument("--exclude", action="append", default=[],
                        help="package installed separately (e.g. torch); repeatable")
    args = parser.parse_args(argv)
    pyproject = tomllib.loads(args.pyproject.read_text(encoding="utf-8"))
    try:
        lines = floor_constraints(pyproject, args.exclude)
    except ValueError as exc:
        print(f"{args.pyproject}: {exc}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
