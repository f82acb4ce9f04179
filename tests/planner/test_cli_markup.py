"""Error messages are printed verbatim: brackets in paths or messages are not Rich markup.

A ``[/x]`` in a path used to crash the CLI with ``MarkupError``; a ``[grid]`` vanished.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sim2real.planner.cli import build_app
from tests.planner.bad_input_fixtures import sweep_config

runner = CliRunner()


def _flat(text: str) -> str:
    return "".join(text.split())


def test_missing_file_with_brackets_in_its_path(tmp_path: Path) -> None:
    missing = tmp_path / "a[/x]b" / "[grid]c[bold].csv"
    result = runner.invoke(build_app(), ["validate", str(missing)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "error:" in result.output
    assert _flat(str(missing)) in _flat(result.output)


def test_sweep_config_error_keeps_the_section_name(tmp_path: Path) -> None:
    folder = tmp_path / "runs [grid]" / "s[" / "x]"
    folder.mkdir(parents=True)
    config = folder / "sweep.toml"
    config.write_text(sweep_config(grid="n_sim = [0, 10, 20]\nn_real = []\nseeds = [0]"),
                      encoding="utf-8")
    result = runner.invoke(build_app(), ["sweep", str(config)])
    assert result.exit_code == 1, result.output
    flat = _flat(result.output)
    assert _flat(str(config)) in flat              # the path, with its [/ and ] intact
    assert "[grid].n_real" in flat                 # the section name is not eaten as markup
