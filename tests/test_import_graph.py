"""The package import graph: no cycle, ``models`` never imports ``planner``, and every
module imports in any order (scripts/check_imports.py)."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from check_imports import cycles, import_graph, module_files, upward  # noqa: E402


def test_no_import_cycle_and_models_never_imports_planner() -> None:
    graph = import_graph(module_files())
    assert cycles(graph) == []
    assert upward(graph) == []


def test_checker_finds_a_planted_cycle(tmp_path: Path) -> None:
    for pkg in ("models", "planner", "case_studies"):
        (tmp_path / pkg).mkdir()
        (tmp_path / pkg / "__init__.py").write_text("")
    (tmp_path / "models" / "a.py").write_text("from sim2real.models.b import x\n")
    (tmp_path / "models" / "b.py").write_text("def f():\n    from sim2real.models.a import y\n")
    (tmp_path / "models" / "c.py").write_text("import sim2real.planner\n")
    graph = import_graph(module_files(tmp_path))
    assert cycles(graph) == [["sim2real.models.a", "sim2real.models.b"]]
    assert upward(graph) == ["sim2real.models.c -> sim2real.planner"]


@pytest.mark.parametrize("order", ["sorted", "reversed", "shuffled"])
def test_every_module_imports_in_any_order(order: str) -> None:
    names = sorted(module_files())
    if order == "reversed":
        names.reverse()
    elif order == "shuffled":
        random.Random(7).shuffle(names)
    code = f"import importlib\nfor n in {names!r}:\n    importlib.import_module(n)\n"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                       text=True, check=False, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
