"""``sim2real sweep`` command: help, errors naming file/key, a small local run."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sim2real.planner.cli import build_app


def test_sweep_help_lists_options() -> None:
    result = CliRunner().invoke(build_app(), ["sweep", "--help"])
    assert result.exit_code == 0
    for option in ("--data-dir", "--out", "--workers", "--scheduler", "--resume"):
        assert option in result.output


def test_bad_config_fails_cleanly(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[sweep]\ntask = "x"\n', encoding="utf-8")
    result = CliRunner().invoke(build_app(), ["sweep", str(bad)])
    assert result.exit_code == 1
    assert "bad.toml" in result.output and "Fix" in result.output


def test_missing_data_dir_fails_cleanly(toy_config: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(build_app(), ["sweep", str(toy_config), "--data-dir",
                                              str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "does not exist" in result.output and "SIM2REAL_DATA" in result.output
