"""The CLI printers show user text verbatim: a ``[/x]`` in a task, source or note is not
Rich markup (it used to raise ``MarkupError`` or vanish); file errors exit 1."""

from __future__ import annotations

import pandas as pd
import pytest
import typer

from sim2real.planner.cli import _common
from sim2real.planner.cli._curves import print_predictions
from sim2real.planner.cli._plan import print_plan
from sim2real.planner.report.tables import render_frame

TASK, SOURCE = "gap[/x]", "mp[bold]"


def _flat(text: str) -> str:
    return "".join(text.split())


def _payload() -> dict:
    summary = {"mean": 0.3, "q05": 0.2, "q95": 0.4}
    return {"objective": "min_cost_with_probability", "allocation": {SOURCE: 100},
            "total_cost": 100.0, "budget": 200.0, "expected_error": {TASK: summary},
            "current_error": {TASK: summary}, "targets": {TASK: 0.1},
            "p_target": {TASK: 0.2}, "rounds": [{SOURCE: 50}, {SOURCE: 50}],
            "provenance": {"p_all_targets": 0.2, "fallback": f"target of {TASK} [/red] "
                                                             "unreachable"}}


def test_print_plan_keeps_brackets(capsys: pytest.CaptureFixture[str]) -> None:
    sizes = pd.DataFrame({"task": [TASK], "route": [SOURCE], "p_unreachable": [1.0],
                          "note": ["floor [/i] above target"]})
    print_plan(_payload(), sizes)
    out = _flat(capsys.readouterr().out)
    for text in (TASK, SOURCE, f"targetof{TASK}[/red]unreachable", "floor[/i]above",
                 f"'{SOURCE}':50"):
        assert _flat(text) in out, text



def test_print_plan_shows_setup_paid_and_constraints(
        capsys: pytest.CaptureFixture[str]) -> None:
    payload = {**_payload(), "setup_paid": {SOURCE: 5000.0},
               "constraints": {SOURCE: {"min": 10, "setup": 5000.0}, "real:t": {"max": 20}}}
    print_plan(payload, None)
    out = " ".join(capsys.readouterr().out.split())
    assert f"Set-up costs paid: {SOURCE} 5,000.00" in out
    assert f"Constraints: {SOURCE} min=10, setup=5,000; real:t max=20" in out


def test_print_plan_without_setup_or_constraints_has_no_such_lines(
        capsys: pytest.CaptureFixture[str]) -> None:
    print_plan({**_payload(), "setup_paid": {}, "constraints": {}}, None)
    out = capsys.readouterr().out
    assert "Set-up costs" not in out and "Constraints" not in out


def test_print_predictions_keeps_brackets(capsys: pytest.CaptureFixture[str]) -> None:
    table = pd.DataFrame({"task": [TASK], "sim_source": [SOURCE], "n_sim": [1], "n_real": [1],
                          "mean": [0.1], "extrapolation": [1.0], "extrapolated": [False]})
    print_predictions(table, 10)
    out = capsys.readouterr().out
    assert TASK in out and SOURCE in out


def test_render_frame_escapes_cells_and_headers(capsys: pytest.CaptureFixture[str]) -> None:
    _common.console.print(render_frame(pd.DataFrame({"[/c]": [TASK]})))
    out = capsys.readouterr().out
    assert "[/c]" in out and TASK in out


def test_os_errors_become_exit_1_with_the_path(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as exit_info, _common.fail_on_error():
        raise PermissionError(13, "Permission denied", "/data/out[/x].csv")
    assert exit_info.value.exit_code == _common.EXIT_DATA_ERROR == 1
    err = _flat(capsys.readouterr().err)
    assert "/data/out[/x].csv:Permissiondenied" in err and "Fix" in err
