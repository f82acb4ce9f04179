"""Installation is honest outside the CI machine: metadata, extras, licence, Makefile."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _reqs(items: list[str]) -> dict[str, Requirement]:
    return {Requirement(r).name.lower(): Requirement(r) for r in items}


def _make_install(tmp_path: Path, *args: str) -> list[str]:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = subprocess.run(["make", "-n", "-B", "install", f"VENV={tmp_path / 'venv'}", *args],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if "pip install" in line]


def test_make_install_uses_the_configured_index_by_default(tmp_path: Path) -> None:
    lines = _make_install(tmp_path)
    torch = [line for line in lines if "torch==" in line]
    assert len(torch) == 1 and "--index-url" not in torch[0]
    assert not any("--index-url" in line for line in lines)
    assert lines.index(torch[0]) < next(i for i, line in enumerate(lines) if "-e" in line)


def test_make_install_takes_the_torch_index_from_a_variable(tmp_path: Path) -> None:
    lines = _make_install(tmp_path, f"TORCH_INDEX={CPU_INDEX}")
    torch = [line for line in lines if "torch==" in line]
    assert len(torch) == 1 and f"--index-url {CPU_INDEX}" in torch[0]
    others = [line for line in lines if line not in torch]
    assert not any("--index-url" in line for line in others)   # the package: ordinary PyPI


def test_dependencies_are_declared_honestly() -> None:
    project = PYPROJECT["project"]
    base = _reqs(project["dependencies"])
    extras = {name: _reqs(items) for name, items in project["optional-dependencies"].items()}
    assert "pytensor" in base                                  # imported directly
    assert not {"rdkit", "dask", "pyarrow"} & set(base)       # optional features only
    assert {"dask", "rdkit"} <= set(extras["sweep"]) and "pyarrow" in extras["parquet"]
    assert extras["dev"]["sim2real-planner"].extras >= {"sweep", "parquet"}
    assert not any(s.operator in ("<", "<=") for s in base["torch"].specifier)
    for name in ("botorch", "nutpie", "arviz"):
        assert any(s.operator == "<" for s in base[name].specifier), name


def test_license_is_spdx_with_the_file() -> None:
    project = PYPROJECT["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "2026 the sim2real-planner authors" in text
    setuptools = _reqs(PYPROJECT["build-system"]["requires"])["setuptools"]
    assert "77" in setuptools.specifier and "76.9" not in setuptools.specifier   # PEP 639


def test_cli_start_imports_no_optional_dependency() -> None:
    code = ("import sys\nfrom sim2real.planner.cli import build_app\nbuild_app()\n"
            "print(sorted(m for m in ('rdkit', 'distributed', 'dask', 'pyarrow') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_a_missing_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from sim2real.case_studies.data import MissingExtraError
    from sim2real.case_studies.runner import dask_client
    from sim2real.models.errors import Sim2RealError

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "distributed"
                        else real_find_spec(name, *a))
    with pytest.raises(MissingExtraError, match=r"pip install 'sim2real-planner\[sweep\]'") \
            as info, dask_client(workers=1):
        pass
    assert isinstance(info.value, Sim2RealError)   # the CLI prints it as a one-line error


def test_package_list_covers_every_package_folder() -> None:
    """``[tool.setuptools] packages`` names every folder with an ``__init__.py``, under the
    installed prefix ``sim2real.`` (a folder missing from the list would be left out of the
    wheel)."""
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {"sim2real." + ".".join(p.parent.relative_to(ROOT).parts)
             for top in ("models", "planner", "case_studies")
             for p in (ROOT / top).rglob("__init__.py")}
    assert listed == found
    assert PYPROJECT["tool"]["setuptools"]["package-dir"] == {
        "sim2real.models": "models", "sim2real.planner": "planner",
        "sim2real.case_studies": "case_studies"}


def test_users_own_models_module_does_not_shadow_the_package(tmp_path: Path) -> None:
    """A notebook folder with its own ``models.py`` / ``planner.py`` still imports the
    library: the installed import path is ``sim2real.*``."""
    (tmp_path / "models.py").write_text("raise RuntimeError('the user models.py')\n")
    (tmp_path / "planner.py").write_text("raise RuntimeError('the user planner.py')\n")
    code = ("from sim2real.models.families import DEFAULT_FAMILY\n"
            "from sim2real.planner import workflow\n"
            "print(DEFAULT_FAMILY, workflow.__name__)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert "sim2real.planner.workflow" in out.stdout


def _floor_script() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("floor_constraints",
                                                  ROOT / "scripts" / "floor_constraints.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_floor_constraints_pin_every_declared_floor() -> None:
    """``make test-floor`` installs ``scripts/floor_constraints.py``'s output: one
    ``name==X`` per ``>=X`` of pyproject.toml (runtime and every extra; torch comes from
    TORCH_SPEC), no extras syntax, no self-reference."""
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "floor_constraints.py"),
                          "--pyproject", str(ROOT / "pyproject.toml"), "--exclude", "torch"],
                         capture_output=True, text=True, check=True).stdout.split()
    pins = {Requirement(line).name: Requirement(line) for line in out}
    project = PYPROJECT["project"]
    declared = [Requirement(r) for r in project["dependencies"]]
    declared += [Requirement(r) for extra in project["optional-dependencies"].values()
                 for r in extra]
    expected = {r.name.lower(): next(s.version for s in r.specifier if s.operator == ">=")
                for r in declared if r.name not in ("sim2real-planner", "torch")}
    assert {n: str(r.specifier) for n, r in pins.items()} == {
        n: f"=={v}" for n, v in expected.items()}
    assert all(not r.extras for r in pins.values()) and "torch" not in pins


def test_floor_constraints_refuse_a_dependency_without_a_floor() -> None:
    script = _floor_script()
    with pytest.raises(ValueError, match="'scipy<2' has no single '>=' floor"):
        script.floor_constraints({"project": {"name": "p", "dependencies": ["scipy<2"]}})
    assert script.main(["--pyproject", str(ROOT / "pyproject.toml")]) == 0


def test_make_test_floor_uses_its_own_venv_and_is_not_part_of_make_test(
        tmp_path: Path) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    floor = subprocess.run(["make", "-n", "test-floor", f"FLOOR_VENV={tmp_path / 'f'}"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "floor_constraints.py --exclude torch" in floor and " -c " in floor
    assert f"{tmp_path / 'f'}/bin/python -m pytest" in floor and "torch==" in floor
    test = subprocess.run(["make", "-n", "-B", "test", f"VENV={tmp_path / 'v'}"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout
    assert "floor_constraints" not in test and ".venv-floor" not in test


@pytest.mark.slow
def test_a_wheel_installed_in_a_fresh_venv_runs_the_demo_from_any_folder(
        tmp_path: Path) -> None:
    """Build the wheel, install it (no dependencies: they come from the test venv's
    site-packages, added as a plain path so its editable finder stays off) into a new venv
    and run ``sim2real demo`` from an unrelated folder."""
    import sysconfig
    import venv

    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-w", str(dist), str(ROOT)], check=True, capture_output=True)
    wheel = next(dist.glob("sim2real_planner-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True,
                          check=True).stdout.strip()
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "models.py").write_text("raise RuntimeError('user module')\n")
    out = subprocess.run([str(env_dir / "bin" / "sim2real"), "demo", "--example", "synthetic",
                          "--draws", "60", "--tune", "60", "--chains", "2", "--no-compare",
                          "--out", "demo"], cwd=elsewhere, capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert (elsewhere / "demo" / "report.html").is_file()
    where = subprocess.run([str(py), "-c", "import sim2real.planner as p; print(p.__file__)"],
                           cwd=elsewhere, capture_output=True, text=True, check=True).stdout
    assert str(env_dir) in where and str(ROOT) not in where


def test_every_package_ships_py_typed() -> None:
    data = PYPROJECT["tool"]["setuptools"]["package-data"]
    for top in ("models", "planner", "case_studies"):
        assert (ROOT / top / "py.typed").is_file()
        assert "py.typed" in data[f"sim2real.{top}"]
