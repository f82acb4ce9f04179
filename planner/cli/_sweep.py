"""``sim2real sweep``: measure real Sim2Real learning curves from a sweep config."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim2real.planner.cli._common import console, escape, fail_on_error, note


def sweep(
    config: Annotated[Path, typer.Argument(help="Sweep TOML (e.g. "
                                           "case_studies/band_gap/config.toml).")],
    data_dir: Annotated[Path | None, typer.Option(help="Folder of the Sim2Real tables "
                                                  "(default: $SIM2REAL_DATA, then "
                                                  "../shared/data).")] = None,
    out: Annotated[Path | None, typer.Option(help="Curves table to write (.csv/.parquet); "
                                             "default: the 'output' key of the "
                                             "config, beside it.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Local Dask worker processes.")] = 2,
    scheduler: Annotated[str | None, typer.Option(help="Address of an existing Dask "
                                                  "scheduler (e.g. tcp://host:8786); "
                                                  "overrides --workers.")] = None,
    resume: Annotated[bool, typer.Option(help="Keep finished runs and compute only the "
                                         "missing ones.")] = True,
    work_dir: Annotated[Path | None, typer.Option(help="Folder of per-run records "
                                                  "(default: .<out stem>_runs beside "
                                                  "--out).")] = None,
) -> None:
    """Pre-train / fine-tune / test over the config's grid and write the curves."""
    from sim2real.case_studies.config import load_config
    from sim2real.case_studies.runner import run_sweep
    from sim2real.planner.cli._curves import check_output_path

    with fail_on_error():
        cfg = load_config(config)
        if out is not None:
            check_output_path(out)
        note(f"{cfg.task}: loading and featurizing the tables...")
        result = run_sweep(cfg, data_dir=data_dir, out=out, work_dir=work_dir,
                           workers=workers, scheduler=scheduler, resume=resume)
    for name, text in result.notes.items():
        console.print(escape(f"  {name}: {text}"), highlight=False)
    console.print(f"{len(result.computed)} run(s) computed, {result.reused} reused, "
                  f"{len(result.missing)} missing; {result.wall_seconds:.0f} s wall.")
    console.print(f"Curves ({len(result.curves)} rows) written to "
                  f"[bold]{escape(str(result.out))}[/bold]", highlight=False)
    if result.missing:
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Add the ``sweep`` command to ``app``."""
    app.command("sweep")(sweep)
