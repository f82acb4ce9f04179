"""Every command on a posterior of every registered family (small simulated grid).

Each family is fitted with a tiny sampler on first use (once per xdist worker that needs
it); each command must run,
exit 0 and write its output. The default suite runs the fast commands for all six; the
refitting commands (update, backtest, compare, demo) and the report run for all six
behind the ``slow`` marker and for one curve family and one surface by default.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim2real.models.families import FAMILIES
from sim2real.models.families.simulate import simulate_surface_table
from sim2real.planner.cli import build_app

runner = CliRunner()
FAST = ("edt",)   # update/backtest/compare/demo of the default family have their own CLI
                  # tests; every family runs them under `slow`
TINY = ["--draws", "30", "--chains", "2"]


def _table() -> pd.DataFrame:
    return simulate_surface_table(
        "edt", {"C": 0.1, "A": 0.5, "beta": 0.5},
        sources={"db": {"k": 0.5, "a": 0.6, "b": 0.0}}, n_sim=(100, 1000, 10000),
        n_real=(25, 50, 100, 200), seeds=2, sigma=0.05, rng_seed=3)


@pytest.fixture(scope="session")
def grid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("grid") / "curves.csv"
    _table().to_csv(path, index=False)
    return path


class Fitted(dict):  # type: ignore[type-arg]
    """family -> posterior file, fitted on first use (an xdist worker fits only the
    families of the tests it runs)."""

    def __init__(self, grid: Path, folder: Path) -> None:
        super().__init__()
        self.grid, self.folder = grid, folder

    def __missing__(self, name: str) -> Path:
        path = self.folder / f"{name}.nc"
        res = runner.invoke(build_app(), ["fit", str(self.grid), "--family", name, "--out",
                                          str(path), "--tune", "60", *TINY])
        assert res.exit_code == 0, f"{name}: {res.output}"
        self[name] = path
        return path


@pytest.fixture(scope="session")
def fitted(grid: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return Fitted(grid, tmp_path_factory.mktemp("posteriors"))


def _ok(args: list[str]) -> str:
    res = runner.invoke(build_app(), args)
    assert res.exit_code == 0, res.output
    return str(res.output)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_predict_plan_exchange(family: str, fitted: dict[str, Path], tmp_path: Path) -> None:
    post = fitted[family]
    at = tmp_path / "at.csv"
    pd.DataFrame({"task": ["task", "task"], "sim_source": ["none", "db"], "n_sim": [0, 3000],
                  "n_real": [400, 100]}).to_csv(at, index=False)
    _ok(["predict", str(post), "--at", str(at), "--out", str(tmp_path / "p.csv")])
    pred = pd.read_csv(tmp_path / "p.csv")
    assert len(pred) == 2 and (pred["q05"] <= pred["q95"]).all()
    _ok(["plan", str(post), "--budget", "20000", "--cost", "db=1", "--cost", "real=50",
         "--target", "task=0.2", "--out", str(tmp_path / "plan.json")])
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["total_cost"] <= 20000
    _ok(["exchange", str(post), "--out", str(tmp_path / "x.csv")])
    assert len(pd.read_csv(tmp_path / "x.csv")) >= 1


def _report(family: str, fitted: dict[str, Path], tmp_path: Path) -> None:
    _ok(["report", str(fitted[family]), "--out", str(tmp_path / "rep"), "--budget", "20000",
         "--cost", "db=1", "--cost", "real=50", "--target", "task=0.2"])
    assert json.loads((tmp_path / "rep" / "report.json").read_text())


def _heavy(family: str, fitted: dict[str, Path], grid: Path, tmp_path: Path) -> None:
    post = fitted[family]
    _report(family, fitted, tmp_path)
    new = tmp_path / "new.csv"
    _table().assign(seed=7).head(4).to_csv(new, index=False)
    copy = tmp_path / "curves.csv"
    copy.write_text(grid.read_text())
    refit = tmp_path / "refit.nc"
    refit.write_bytes(post.read_bytes())
    _ok(["update", str(copy), str(new), "--posterior", str(refit), *TINY])
    from sim2real.models.posterior.storage import load_posterior

    assert load_posterior(refit).family.name == family
    if FAMILIES[family].layout == "curve":
        _ok(["backtest", str(grid), "--family", family, "--train-fraction", "0.5", "--methods",
             "hierarchical,least_squares", "--tune", "30", *TINY])
        others = ("power_law_floor,power_law" if family != "power_law"
                  else "power_law,exp_saturation")
        _ok(["compare", str(grid), "--families", others, "--tune", "30", *TINY])
    else:
        _ok(["compare", str(grid), "--surface", "--tune", "30", *TINY])
    _ok(["demo", "--example", "synthetic", "--family", family, "--out",
         str(tmp_path / "demo"), "--draws", "30", "--tune", "30", "--chains", "2",
         "--no-compare"])
    assert (tmp_path / "demo" / "report.html").is_file()


@pytest.mark.parametrize("family", FAST)
def test_report(family: str, fitted: dict[str, Path], tmp_path: Path) -> None:
    _report(family, fitted, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_report_update_backtest_compare_demo_every_family(family: str,
                                                          fitted: dict[str, Path],
                                                          grid: Path, tmp_path: Path) -> None:
    _heavy(family, fitted, grid, tmp_path)
