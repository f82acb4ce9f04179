"""Check the package import graph: no cycles, ``models`` never imports ``planner``, and every
module imports on its own (in a fresh interpreter, in any order).

Usage: ``python scripts/check_imports.py [--import-each]``; exit 1 with the offending
modules. ``tests/test_import_graph.py`` runs it in the default test suite.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("models", "planner", "case_studies")
PREFIX = "sim2real."  # the installed import path of the three folders


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Module name -> file, for every module of the packages."""
    out = {}
    for pkg in PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            rel = path.relative_to(root).with_suffix("")
            name = ".".join(rel.parts).removesuffix(".__init__")
            out[PREFIX + name] = path
    return out


def import_graph(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> modules of the packages it imports (anywhere in the file, also inside
    functions: a cycle through a function-level import is still a cycle)."""
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                while name and name not in mods:
                    name = name.rpartition(".")[0]
                if name and name != mod and not mod.startswith(name + "."):
                    graph[mod].add(name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def upward(graph: dict[str, set[str]]) -> list[str]:
    """``models`` modules that import ``planner`` or ``case_studies``."""
    return sorted(f"{m} -> {n}" for m, deps in graph.items() if m.startswith(PREFIX + "models")
                  for n in deps
                  if n.startswith((PREFIX + "planner", PREFIX + "case_studies")))


def import_each(mods: dict[str, Path]) -> list[str]:
    """Modules that fail to import alone in a fresh interpreter."""
    failed = []
    for mod in mods:
        r = subprocess.run([sys.executable, "-c", f"import {mod}"], cwd=ROOT,
                           capture_output=True, text=True, check=False)
        if r.returncode != 0:
            failed.append(f"{mod}: {r.stderr.strip().splitlines()[-1]}")
    return failed


def main(argv: list[str]) -> int:
    mods = module_files()
    graph = import_graph(mods)
    problems = [f"import cycle: {' <-> '.join(c)}" for c in cycles(graph)]
    problems += [f"models imports upward: {e}" for e in upward(graph)]
    if "--import-each" in argv:
        problems += [f"does not import alone: {e}" for e in import_each(mods)]
    for p in problems:
        print(p)
    print(f"{len(mods)} modules, {sum(map(len, graph.values()))} imports, "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
