"""Entry points: ``sim2real --version``, ``python -m sim2real.planner``, a fast ``--help``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from sim2real.planner.cli import build_app

ROOT = Path(__file__).resolve().parents[2]


def test_version_prints_the_package_version() -> None:
    res = CliRunner().invoke(build_app(), ["--version"])
    assert res.exit_code == 0
    assert res.output.startswith("sim2real-planner ")


def test_python_m_planner_runs_the_cli_without_heavy_imports() -> None:
    code = ("import runpy, sys; sys.argv = ['sim2real', '--help']\n"
            "try:\n    runpy.run_module('sim2real.planner', run_name='__main__')\n"
            "except SystemExit as e:\n    assert e.code in (0, None)\n"
            "heavy = [m for m in ('pymc', 'torch', 'botorch', 'pandas', 'arviz') "
            "if m in sys.modules]\nprint('HEAVY', heavy)\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                       text=True, check=False, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "plan" in r.stdout and "HEAVY []" in r.stdout
