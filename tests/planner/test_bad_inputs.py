"""Table-driven bad-input corpus of the ``sim2real`` commands (issue 14).

One row per case. Each case runs in its own folder holding a hand-built posterior
(``post.nc``), a valid curve table (``curves.csv``) and the case's own files, and asserts:

* the exit code (1: bad data / option values, 2: usage errors, 0: accepted with a warning);
* no Python traceback (the command exits through ``typer.Exit`` / Click, never crashes);
* the message names the file (or option) and, where it applies, the row / column and a fix;
* no file in the folder was written, changed or left behind (temp files included).

Everything is cheap: MCMC, the BoTorch optimizer and the report studies are replaced by
functions that fail the test if a bad input ever gets that far.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim2real.planner.cli import build_app
from tests.planner.bad_input_fixtures import (
    curves_table,
    queries,
    save_posterior_file,
    sweep_config,
)

runner = CliRunner()
Content = pd.DataFrame | str | bytes | Callable[[Path], Any]
HEADER = "task,sim_source,n_sim,n_real,seed,error,metric\n"
GRID = "n_sim = [0, 10, 20]\nn_real = [5, 10, 20, 40]\nseeds = [0]"


@dataclass(frozen=True)
class Case:
    """``args`` may use ``{d}`` (the case folder), ``{post}`` and ``{curves}``."""

    id: str
    args: tuple[str, ...]
    needles: tuple[str, ...] = ()      # all must appear in the output (whitespace-free)
    files: dict[str, Content] = field(default_factory=dict)
    code: int = 1
    fix: bool = True                   # the message must say "Fix: ..."


def edit(**cells: Any) -> pd.DataFrame:
    """The valid curves table with row 0's ``cells`` replaced (data row 1, CSV line 2)."""
    table = curves_table()
    for col, value in cells.items():
        table[col] = table[col].astype(object)
        table.loc[0, col] = value
    return table


def rows(where: Any, **cells: Any) -> pd.DataFrame:
    table = curves_table()
    mask = where(table)
    for col, value in cells.items():
        table[col] = table[col].astype(object)
        table.loc[mask, col] = value
    return table


def triplicate_outlier() -> pd.DataFrame:
    table = curves_table()
    extra = table.iloc[[0]].assign(seed=2)
    table = pd.concat([table, extra], ignore_index=True)
    table.loc[0, "error"] *= 20.0          # data row 1 is 20x its two replicates
    return table


def truncated_posterior(d: Path) -> bytes:
    return (d / "post.nc").read_bytes()[:2000]


V = "validate"
BAD = "{d}/bad.csv"
OUT_NC, AT, OUT_CSV, PLAN_JSON = "{d}/fit.nc", "{d}/at.csv", "{d}/pred.csv", "{d}/plan.json"
ROW1 = ("row 1", "CSV lines 2")

VALIDATE = [
    Case("missing-file", (V, "{d}/nope.csv"), ("{d}/nope.csv", "file not found")),
    Case("directory", (V, "{d}"), ("is a directory",)),
    Case("empty-file", (V, BAD), (BAD, "empty"), {"bad.csv": ""}),
    Case("header-only", (V, BAD), (BAD, "no rows"), {"bad.csv": HEADER}),
    Case("binary-garbage", (V, BAD), (BAD, "missing column"),
         {"bad.csv": b"\x00\x01\x02garbage\n\x03\x04"}),
    Case("unsupported-suffix", (V, "{d}/bad.txt"), ("bad.txt", "unsupported file type"),
         {"bad.txt": HEADER}),
    Case("corrupt-parquet", (V, "{d}/bad.parquet"), ("bad.parquet", "parquet"),
         {"bad.parquet": "not parquet"}),
    Case("missing-seed-column", (V, BAD), (BAD, "missing column", "seed"),
         {"bad.csv": curves_table().drop(columns="seed")}),
    Case("missing-three-columns", (V, BAD), (BAD, "missing column", "metric", "n_real"),
         {"bad.csv": curves_table().drop(columns=["metric", "n_real", "error"])}),
    Case("duplicated-error-header", (V, BAD), (BAD, "line 1", "'error'", "more than once"),
         {"bad.csv": "task,sim_source,n_sim,n_real,seed,error,error,metric\n"
                     + "".join(f"t,none,0,{m},0,0.5,0.4,MAE\n" for m in (10, 20, 40))}),
    Case("duplicated-task-header", (V, BAD), (BAD, "'task'", "more than once"),
         {"bad.csv": "task,task,sim_source,n_sim,n_real,seed,error,metric\n"
                     "t,t,none,0,10,0,0.5,MAE\n"}),
    Case("error-1e300", (V, BAD), (BAD, *ROW1, "column 'error'", "1e+300"),
         {"bad.csv": edit(error=1e300)}),
    Case("error-1e-300", (V, BAD), (BAD, *ROW1, "column 'error'"),
         {"bad.csv": edit(error=1e-300)}),
    Case("error-rate-as-percent", (V, BAD), (BAD, "column 'error'", "error_rate",
                                             "[0, 1]"),
         {"bad.csv": curves_table().assign(metric="error_rate",
                                           error=lambda t: t["error"] * 100)}),
    Case("error-rate-one-row-above-1", (V, BAD), (BAD, *ROW1, "error_rate"),
         {"bad.csv": curves_table().assign(metric="error_rate").pipe(
             lambda t: t.assign(error=[1.5, *t["error"].iloc[1:] / 3]))}),
    Case("negative-mae", (V, BAD), (BAD, *ROW1, "column 'error'", "> 0"),
         {"bad.csv": edit(error=-0.3)}),
    Case("zero-error", (V, BAD), (BAD, *ROW1, "column 'error'"), {"bad.csv": edit(error=0)}),
    Case("empty-error-cell", (V, BAD), (BAD, *ROW1, "column 'error'", "not a number"),
         {"bad.csv": edit(error="")}),
    Case("inf-error", (V, BAD), (BAD, *ROW1, "column 'error'"),
         {"bad.csv": edit(error="inf")}),
    Case("text-error", (V, BAD), (BAD, *ROW1, "column 'error'", "'abc'"),
         {"bad.csv": edit(error="abc")}),
    Case("comma-decimal-error", (V, BAD), (BAD, *ROW1, "column 'error'", "not a number"),
         {"bad.csv": edit(error="0,5")}),
    Case("nan-size", (V, BAD), (BAD, *ROW1, "column 'n_real'", "not a number"),
         {"bad.csv": edit(n_real=float("nan"))}),
    Case("negative-size", (V, BAD), (BAD, *ROW1, "column 'n_real'", "negative"),
         {"bad.csv": edit(n_real=-5)}),
    Case("zero-size-on-varying-axis", (V, BAD), (BAD, *ROW1, "column 'n_real'", "= 0"),
         {"bad.csv": edit(n_real=0)}),
    Case("fractional-n-sim", (V, BAD), (BAD, "column 'n_sim'", "whole number"),
         {"bad.csv": rows(lambda t: t["sim_source"] == "dft", n_sim=100.5)}),
    Case("text-n-sim", (V, BAD), (BAD, "column 'n_sim'", "not a number"),
         {"bad.csv": rows(lambda t: t.index == 8, n_sim="many")}),
    Case("negative-n-sim", (V, BAD), (BAD, "column 'n_sim'", "negative"),
         {"bad.csv": rows(lambda t: t.index == 8, n_sim=-100)}),
    Case("fractional-seed", (V, BAD), (BAD, *ROW1, "column 'seed'"),
         {"bad.csv": edit(seed=0.5)}),
    Case("text-seed", (V, BAD), (BAD, *ROW1, "column 'seed'"), {"bad.csv": edit(seed="x")}),
    Case("empty-task", (V, BAD), (BAD, *ROW1, "column 'task'", "empty"),
         {"bad.csv": edit(task="")}),
    Case("empty-sim-source", (V, BAD), (BAD, *ROW1, "column 'sim_source'"),
         {"bad.csv": edit(sim_source="")}),
    Case("empty-metric", (V, BAD), (BAD, *ROW1, "column 'metric'"),
         {"bad.csv": edit(metric="")}),
    Case("none-with-n-sim", (V, BAD), (BAD, *ROW1, "column 'sim_source'", "'none'"),
         {"bad.csv": edit(n_sim=100)}),
    Case("database-with-zero-n-sim", (V, BAD), (BAD, "column 'sim_source'", "n_sim = 0"),
         {"bad.csv": rows(lambda t: t.index == 8, n_sim=0)}),
    Case("mixed-metrics", (V, BAD), (BAD, *ROW1, "column 'metric'", "mixes"),
         {"bad.csv": edit(metric="RMSE")}),
    Case("curve-with-two-sizes", (V, BAD), (BAD, "column 'n_real'", "2 distinct size"),
         {"bad.csv": curves_table().query("not (task == 'u' and n_real > 20)")}),
    Case("zero-n-test", (V, BAD), (BAD, "column 'n_test'"),
         {"bad.csv": curves_table().assign(n_test=0)}),
    Case("fractional-n-test", (V, BAD), (BAD, "column 'n_test'"),
         {"bad.csv": curves_table().assign(n_test=10.5)}),
    Case("markup-in-missing-path", (V, "{d}/a[/x]b/[bold]c.csv"),
         ("{d}/a[/x]b/[bold]c.csv", "file not found")),
    Case("markup-in-task-is-shown-verbatim", (V, BAD), ("a[/x]|none|n_sim=0",),
         {"bad.csv": curves_table().assign(task="a[/x]")}, code=0, fix=False),
    Case("replicate-outlier-warns", (V, BAD), ("warning", BAD, *ROW1, "column 'error'",
                                               "replicates"),
         {"bad.csv": triplicate_outlier()}, code=0),
    Case("duplicate-rows-warn", (V, BAD), ("warning", BAD, "duplicate rows"),
         {"bad.csv": pd.concat([curves_table(), curves_table().head(1)])}, code=0),
    Case("unknown-column-warns", (V, BAD), ("warning", BAD, "ignoring unknown column",
                                            "notes"),
         {"bad.csv": curves_table().assign(notes="x")}, code=0),
]

FIT = [
    Case("bad-table", ("fit", BAD, "--out", OUT_NC), (BAD, *ROW1, "column 'error'"),
         {"bad.csv": edit(error=-1)}),
    Case("missing-table", ("fit", "{d}/nope.csv", "--out", OUT_NC), ("nope.csv",
                                                                    "file not found")),
    Case("error-rate-above-1", ("fit", BAD, "--out", OUT_NC), (BAD, "error_rate"),
         {"bad.csv": curves_table().assign(metric="error_rate", error=2.0)}),
    Case("empty-table", ("fit", BAD, "--out", OUT_NC), (BAD, "empty"), {"bad.csv": ""}),
    Case("out-is-a-directory", ("fit", "{curves}", "--out", "{d}/sub"),
         ("{d}/sub", "is a directory"), {"sub/keep.txt": "x"}),
    Case("out-parent-is-a-file", ("fit", "{curves}", "--out", "{d}/f.txt/post.nc"),
         ("{d}/f.txt", "not a directory"), {"f.txt": "x"}),
    Case("out-existing-file-kept", ("fit", BAD, "--out", "{d}/old.nc"), (BAD,),
         {"bad.csv": edit(error=-1), "old.nc": "previous posterior"}),
    Case("unknown-family", ("fit", "{curves}", "--family", "cubic", "--out", OUT_NC),
         ("cubic", "unknown model family")),
    Case("prior-syntax", ("fit", "{curves}", "--prior", "sigma", "--out", OUT_NC),
         ("--prior", "NAME=Distribution")),
    Case("prior-unknown-distribution", ("fit", "{curves}", "--prior", "sigma=Foo(x=1)",
                                        "--out", OUT_NC), ("sigma", "Foo")),
    Case("prior-negative-scale", ("fit", "{curves}", "--prior",
                                  "sigma=HalfNormal(sigma=-1)", "--out", OUT_NC),
         ("sigma", "> 0")),
    Case("unknown-likelihood", ("fit", "{curves}", "--likelihood", "cauchy", "--out", OUT_NC),
         ("cauchy",)),
    Case("unknown-discrepancy", ("fit", "{curves}", "--discrepancy", "wiggly", "--out",
                                 OUT_NC), ("discrepancy", "wiggly")),
    Case("unknown-noise", ("fit", "{curves}", "--noise", "loud", "--out", OUT_NC),
         ("noise", "loud", "constant")),
    Case("unknown-replicates", ("fit", "{curves}", "--replicates", "paired", "--out",
                                OUT_NC), ("replicates", "paired", "independent")),
    Case("unknown-pooling", ("fit", "{curves}", "--pooling", "tasks", "--out", OUT_NC),
         ("pooling", "tasks", "route")),
    Case("discrepancy-on-a-surface", ("fit", "{curves}", "--family", "edt",
                                      "--discrepancy", "gp", "--out", OUT_NC),
         ("surface", "gp")),
    Case("target-accept-above-1", ("fit", "{curves}", "--target-accept", "1.5", "--out",
                                   OUT_NC), ("target_accept", "1.5")),
    Case("unknown-backend", ("fit", "{curves}", "--backend", "stan", "--out", OUT_NC),
         ("stan",)),
    Case("zero-draws-usage", ("fit", "{curves}", "--draws", "0", "--out", OUT_NC),
         ("--draws",), code=2, fix=False),
    Case("text-draws-usage", ("fit", "{curves}", "--draws", "abc", "--out", OUT_NC),
         ("--draws",), code=2, fix=False),
]

P = ("predict", "{post}", "--at", AT, "--out", OUT_CSV)
PREDICT = [
    Case("empty-at-file", P, (AT, "empty"), {"at.csv": ""}),
    Case("header-only-at-file", P, (AT, "no query rows"),
         {"at.csv": "task,sim_source,n_sim,n_real\n"}),
    Case("at-missing-column", P, (AT, "missing column", "n_real"),
         {"at.csv": queries().drop(columns="n_real")}),
    Case("at-unknown-task", P, (AT, "row 1", "'zz'"), {"at.csv": queries(task="zz")}),
    Case("at-unknown-source", P, (AT, "row 1", "'zz'"), {"at.csv": queries(sim_source="zz")}),
    Case("at-markup-task", P, (AT, "row 1", "'a[/x]'"), {"at.csv": queries(task="a[/x]")}),
    Case("at-nan-size", P, (AT, "[1]", "column 'n_sim'"),
         {"at.csv": queries(n_sim=float("nan"))}),
    Case("at-text-size", P, (AT, "[1]", "column 'n_sim'"), {"at.csv": queries(n_sim="lots")}),
    Case("at-inf-size", P, (AT, "[1]", "column 'n_sim'", "finite"),
         {"at.csv": queries(n_sim="inf")}),
    Case("at-negative-size", P, (AT, "[1]", "column 'n_real'"),
         {"at.csv": queries(n_real=-3)}),
    Case("at-zero-size-on-curve", P, (AT, "row 1", "> 0"),
         {"at.csv": queries(sim_source="none", n_sim=0, n_real=0)}),
    Case("at-off-the-measured-curve", P, (AT, "row 1", "n_real=40"),
         {"at.csv": queries(n_real=40)}),
    Case("at-empty-task", P, (AT, "[1]", "column 'task'"), {"at.csv": queries(task="")}),
    Case("at-missing", P, (AT, "file not found")),
    Case("at-is-a-directory", ("predict", "{post}", "--at", "{d}", "--out", OUT_CSV),
         ("is a directory",)),
    Case("quantile-above-1", (*P, "--quantiles", "1.5"), ("quantile 1.5",),
         {"at.csv": queries()}),
    Case("quantile-text", (*P, "--quantiles", "a,b"), ("--quantiles", "not numbers"),
         {"at.csv": queries()}),
    Case("quantile-none", (*P, "--quantiles", ","), ("--quantiles", "no quantile"),
         {"at.csv": queries()}),
    Case("quantile-repeated", (*P, "--quantiles", "0.5,0.5"), ("--quantiles", "repeated"),
         {"at.csv": queries()}),
    Case("quantile-not-whole-percent", (*P, "--quantiles", "0.123"), ("0.123", "percent"),
         {"at.csv": queries()}),
    Case("corrupted-posterior-bytes", ("predict", "{d}/bad.nc", "--at", AT, "--out", OUT_CSV),
         ("{d}/bad.nc", "not a sim2real posterior"),
         {"bad.nc": b"\x89HDF\r\n\x1a\ngarbage" * 10, "at.csv": queries()}),
    Case("truncated-posterior", ("predict", "{d}/bad.nc", "--at", AT, "--out", OUT_CSV),
         ("{d}/bad.nc", "not a sim2real posterior"),
         {"bad.nc": truncated_posterior, "at.csv": queries()}),
    Case("csv-as-posterior", ("predict", "{curves}", "--at", AT, "--out", OUT_CSV),
         ("curves.csv", "not a sim2real posterior"), {"at.csv": queries()}),
    Case("missing-posterior", ("predict", "{d}/nope.nc", "--at", AT, "--out", OUT_CSV),
         ("nope.nc", "not found"), {"at.csv": queries()}),
    Case("out-existing-directory", ("predict", "{post}", "--at", AT, "--out", "{d}/sub"),
         ("{d}/sub", "is a directory"), {"at.csv": queries(), "sub/keep.txt": "x"}),
    Case("out-existing-file-kept", ("predict", "{post}", "--at", AT, "--out", "{d}/old.csv"),
         (AT, "'zz'"), {"at.csv": queries(task="zz"), "old.csv": "previous,predictions\n"}),
    Case("at-option-missing-usage", ("predict", "{post}"), ("--at",), code=2, fix=False),
]

L = ("plan", "{post}", "--out", PLAN_JSON)
OK = ("--budget", "100", "--cost", "dft=1")
TOML = ("--config", "{d}/plan.toml")
PLAN = [
    Case("target-task-without-data", (*L, *OK, "--target", "zz=0.1"), ("'zz'", "no data")),
    Case("target-without-priced-route", (*L, *OK, "--target", "u=0.1"),
         ("--target u=0.1", "no priced source", "real:u")),
    Case("same-cost-twice", (*L, "--budget", "100", "--cost", "dft=1", "--cost", "dft=2"),
         ("--cost", "twice")),
    Case("negative-budget", (*L, "--budget", "-100", "--cost", "dft=1"), ("--budget -100",)),
    Case("zero-budget", (*L, "--budget", "0", "--cost", "dft=1"), ("--budget 0",)),
    Case("nan-budget", (*L, "--budget", "nan", "--cost", "dft=1"), ("--budget nan", "finite")),
    Case("inf-budget", (*L, "--budget", "inf", "--cost", "dft=1"), ("--budget inf", "finite")),
    Case("negative-price", (*L, "--budget", "100", "--cost", "dft=-1"), ("'dft'", "cost")),
    Case("zero-price", (*L, "--budget", "100", "--cost", "dft=0"), ("'dft'", "cost")),
    Case("inf-price", (*L, "--budget", "100", "--cost", "dft=inf"), ("dft",)),
    Case("price-not-a-number", (*L, "--budget", "100", "--cost", "dft=cheap"),
         ("--cost", "NAME=NUMBER")),
    Case("cost-without-equals", (*L, "--budget", "100", "--cost", "dft"),
         ("--cost", "NAME=NUMBER")),
    Case("probability-above-1", (*L, *OK, "--target", "t=0.3", "--probability", "1.5"),
         ("probability", "1.5")),
    Case("probability-zero", (*L, *OK, "--target", "t=0.3", "--probability", "0"),
         ("probability",)),
    Case("unknown-objective", (*L, *OK, "--objective", "fastest"), ("fastest",)),
    Case("negative-target", (*L, *OK, "--target", "t=-1"), ("'t'", "> 0")),
    Case("zero-rounds", (*L, *OK, "--rounds", "0"), ("--rounds 0",)),
    Case("unknown-probability-of", (*L, *OK, "--probability-of", "sometimes"),
         ("probability_of", "sometimes")),
    Case("zero-remaining-rounds", (*L, *OK, "--remaining-rounds", "0"),
         ("remaining_rounds",)),
    Case("unknown-source", (*L, "--budget", "100", "--cost", "zz=1"), ("'zz'",)),
    Case("ambiguous-real", (*L, "--budget", "100", "--cost", "real=1"),
         ("'real'", "ambiguous")),
    Case("markup-in-cost-name", (*L, "--budget", "100", "--cost", "a[/x]=1"), ("'a[/x]'",)),
    Case("no-budget", (*L, "--cost", "dft=1"), ("no budget", "--budget")),
    Case("no-cost", (*L, "--budget", "100"), ("no source costs", "--cost")),
    Case("bad-toml-syntax", (*L, *TOML), ("{d}/plan.toml",), {"plan.toml": "budget = = 3"}),
    Case("toml-budget-text", (*L, *TOML), ("{d}/plan.toml", "budget", "'lots'"),
         {"plan.toml": 'budget = "lots"\n[costs]\ndft = 1\n'}),
    Case("toml-cost-text", (*L, *TOML), ("{d}/plan.toml", "[costs] dft", "'x'"),
         {"plan.toml": 'budget = 100\n[costs]\ndft = "x"\n'}),
    Case("toml-costs-not-a-table", (*L, *TOML), ("{d}/plan.toml", "costs", "table"),
         {"plan.toml": "budget = 100\ncosts = 3\n"}),
    Case("toml-source-bound-text", (*L, *TOML), ("{d}/plan.toml", "[sources.dft] min"),
         {"plan.toml": 'budget = 100\n[costs]\ndft = 1\n[sources.dft]\nmin = "a"\n'}),
    Case("toml-rounds-text", (*L, *TOML), ("{d}/plan.toml", "rounds", "whole number"),
         {"plan.toml": 'budget = 100\nrounds = "two"\n[costs]\ndft = 1\n'}),
    Case("toml-unknown-key", (*L, *TOML), ("{d}/plan.toml", "unknown keys", "bugdet"),
         {"plan.toml": "bugdet = 100\n"}),
    Case("toml-missing", (*L, "--config", "{d}/nope.toml"), ("{d}/nope.toml",)),
    Case("out-existing-directory", ("plan", "{post}", *OK, "--out", "{d}/sub"),
         ("{d}/sub", "is a directory"), {"sub/keep.txt": "x"}),
    Case("out-existing-file-kept", ("plan", "{post}", "--budget", "-1", "--cost", "dft=1",
                                    "--out", "{d}/old.json"), ("--budget -1",),
         {"old.json": "{}"}),
    Case("corrupted-posterior", ("plan", "{d}/bad.nc", *OK, "--out", PLAN_JSON),
         ("{d}/bad.nc", "not a sim2real posterior"), {"bad.nc": "garbage"}),
    Case("budget-text-usage", (*L, "--budget", "lots", "--cost", "dft=1"), ("--budget",),
         code=2, fix=False),
]

X = ("exchange", "{post}")
EXCHANGE = [
    Case("unknown-task", (*X, "--task", "zz"), ("'zz'",)),
    Case("markup-task", (*X, "--task", "a[/x]"), ("'a[/x]'",)),
    Case("corrupted-posterior", ("exchange", "{d}/bad.nc"), ("{d}/bad.nc",),
         {"bad.nc": "x"}),
    Case("missing-posterior", ("exchange", "{d}/nope.nc"), ("{d}/nope.nc", "no such file")),
    Case("out-existing-directory", (*X, "--out", "{d}/sub"), ("{d}/sub", "is a directory"),
         {"sub/keep.txt": "x"}),
    Case("surface-mismatch", (*X, "--surface", "edt"), ("--surface", "power_law_floor")),
]

U = ("update", "{d}/c.csv", "{d}/new.csv", "--posterior", "{d}/p.nc")
NEW = curves_table().assign(seed=lambda t: t["seed"] + 10)
UPDATE = [
    Case("negative-error-in-new", U, ("{d}/new.csv", *ROW1, "column 'error'"),
         {"c.csv": curves_table(), "new.csv": NEW.assign(error=[-1.0, *NEW["error"][1:]])}),
    Case("rows-appended-twice", U, ("{d}/new.csv", "appended twice"),
         {"c.csv": curves_table(), "new.csv": curves_table()}),
    Case("empty-new-file", U, ("{d}/new.csv", "empty"),
         {"c.csv": curves_table(), "new.csv": ""}),
    Case("new-missing-column", U, ("{d}/new.csv", "missing column", "seed"),
         {"c.csv": curves_table(), "new.csv": NEW.drop(columns="seed")}),
    Case("new-mixes-metric", U, ("{d}/new.csv", "column 'metric'", "mixes"),
         {"c.csv": curves_table(), "new.csv": NEW.head(1).assign(metric="RMSE")}),
    Case("new-error-rate-above-1", U, ("{d}/new.csv", "error_rate"),
         {"c.csv": curves_table().assign(metric="error_rate", error=0.3),
          "new.csv": NEW.assign(metric="error_rate", error=30.0)}),
    Case("missing-curves", U, ("{d}/c.csv", "file not found"), {"new.csv": NEW}),
    Case("corrupted-posterior", U, ("{d}/p.nc", "not a sim2real posterior"),
         {"c.csv": curves_table(), "new.csv": NEW, "p.nc": "junk"}),
    Case("posterior-is-a-directory", ("update", "{d}/c.csv", "{d}/new.csv", "--posterior",
                                      "{d}/sub"), ("{d}/sub", "is a directory"),
         {"c.csv": curves_table(), "new.csv": NEW, "sub/keep.txt": "x"}),
    Case("out-curves-is-a-directory", (*U, "--out-curves", "{d}/sub"),
         ("{d}/sub", "is a directory"),
         {"c.csv": curves_table(), "new.csv": NEW, "sub/keep.txt": "x"}),
]

R = ("report", "{post}", "--out", "{d}/rep")
RB = (*R, *OK)
REPORT = [
    Case("out-is-a-file", ("report", "{post}", "--out", "{d}/f.txt", *OK),
         ("{d}/f.txt", "is a file"), {"f.txt": "x"}),
    Case("plan-not-json", (*R, "--plan", "{d}/plan.json"), ("{d}/plan.json", "cannot read"),
         {"plan.json": "{not json"}),
    Case("plan-json-list", (*R, "--plan", "{d}/plan.json"), ("{d}/plan.json", "not a sim2real"),
         {"plan.json": "[1, 2]"}),
    Case("plan-json-missing-keys", (*R, "--plan", "{d}/plan.json"),
         ("{d}/plan.json", "missing"), {"plan.json": '{"objective": "x"}'}),
    Case("compare-bad-columns", (*RB, "--compare", "{d}/cmp.csv"),
         ("{d}/cmp.csv", "missing column"), {"cmp.csv": "a,b\n1,2\n"}),
    Case("compare-missing", (*RB, "--compare", "{d}/nope.csv"), ("{d}/nope.csv",)),
    Case("negative-budget", (*R, "--budget", "-1", "--cost", "dft=1"), ("--budget -1",)),
    Case("bad-toml", (*R, "--config", "{d}/plan.toml"), ("{d}/plan.toml",),
         {"plan.toml": "[costs\n"}),
    Case("toml-budget-text", (*R, "--config", "{d}/plan.toml"), ("{d}/plan.toml", "budget"),
         {"plan.toml": 'budget = "x"\n[costs]\ndft = 1\n'}),
    Case("corrupted-posterior", ("report", "{d}/bad.nc", "--out", "{d}/rep", *OK),
         ("{d}/bad.nc",), {"bad.nc": "junk"}),
    Case("target-without-priced-route", (*RB, "--target", "u=0.1"),
         ("--target u=0.1", "no priced source")),
]

S = ("sweep", "{d}/sweep.toml")
SWEEP = [
    Case("missing-config", S, ("{d}/sweep.toml", "not found")),
    Case("bad-toml", S, ("{d}/sweep.toml", "not valid TOML"), {"sweep.toml": "[sweep\n"}),
    Case("negative-grid", S, ("{d}/sweep.toml", "[grid].n_sim"),
         {"sweep.toml": sweep_config(GRID.replace("10,", "-10,"))}),
    Case("text-grid", S, ("{d}/sweep.toml", "[grid]"),
         {"sweep.toml": sweep_config(GRID.replace("[0, 10, 20]", "'a'"))}),
    Case("unknown-section", S, ("{d}/sweep.toml", "[extra]"),
         {"sweep.toml": sweep_config(GRID) + "[extra]\nx = 1\n"}),
    Case("missing-data-dir", (*S, "--data-dir", "{d}/nowhere"), ("{d}/nowhere",),
         {"sweep.toml": sweep_config(GRID)}),
    Case("out-existing-directory", (*S, "--out", "{d}/sub"), ("{d}/sub", "is a directory"),
         {"sweep.toml": sweep_config(GRID), "sub/keep.txt": "x"}),
    Case("markup-in-config-path", ("sweep", "{d}/r[/x]/sweep.toml"),
         ("{d}/r[/x]/sweep.toml", "[grid].n_real"),
         {"r[/x]/sweep.toml": sweep_config(GRID.replace("[5, 10, 20, 40]", "[]"))}),
]

USAGE = [
    Case("unknown-option", (V, "{curves}", "--nope"), ("--nope",), code=2, fix=False),
    Case("unknown-command", ("frobnicate",), ("frobnicate",), code=2, fix=False),
    Case("missing-argument", (V,), ("Missing argument",), code=2, fix=False),
    Case("quiet-and-verbose", ("--quiet", "--verbose", V, "{curves}"), ("--quiet",),
         code=2, fix=False),
]

GROUPS = {"validate": VALIDATE, "fit": FIT, "predict": PREDICT, "plan": PLAN,
          "exchange": EXCHANGE, "update": UPDATE, "report": REPORT, "sweep": SWEEP,
          "usage": USAGE}
CASES = [pytest.param(c, id=f"{g}-{c.id}") for g, cs in GROUPS.items() for c in cs]


def _never(what: str) -> Callable[..., Any]:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a bad input reached {what}")
    return fail


@pytest.fixture(autouse=True)
def no_heavy_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bad inputs must be refused before MCMC, the optimizer or the report studies."""
    import sim2real.models.inference.fit as fit_module
    import sim2real.planner.workflow as workflow

    monkeypatch.setattr(fit_module, "build_model", _never("MCMC"))
    for name in ("recommend", "plan_rounds", "report_content"):
        monkeypatch.setattr(workflow, name, _never(name))


@pytest.fixture(scope="module")
def posterior_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_posterior_file(tmp_path_factory.mktemp("posterior") / "post.nc")


def _write(path: Path, content: Content, folder: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if callable(content) and not isinstance(content, pd.DataFrame):
        content = content(folder)
    if isinstance(content, pd.DataFrame):
        content.to_csv(path, index=False)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            if p.is_file() else "dir" for p in sorted(folder.rglob("*"))}


def _flat(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("case", CASES)
def test_bad_input(case: Case, posterior_file: Path, tmp_path: Path) -> None:
    d = tmp_path / "case"
    d.mkdir()
    shutil.copy(posterior_file, d / "post.nc")
    curves_table().to_csv(d / "curves.csv", index=False)
    for name, content in case.files.items():
        _write(d / name, content, d)
    fill = {"d": str(d), "post": str(d / "post.nc"), "curves": str(d / "curves.csv")}
    before = _snapshot(d)

    result = runner.invoke(build_app(), [a.format(**fill) for a in case.args])

    out = result.output
    assert "Traceback" not in out, out
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert result.exit_code == case.code, out
    for needle in case.needles:
        assert _flat(needle.format(**fill)) in _flat(out), (needle, out)
    if case.fix:
        assert "Fix:" in _flat(out), out
    assert _snapshot(d) == before, "files were written or changed"


def test_corpus_size_and_ids() -> None:
    ids = [p.id for p in CASES]
    assert len(ids) >= 100 and len(set(ids)) == len(ids)
    assert {c.code for g in GROUPS.values() for c in g} == {0, 1, 2}


def test_no_priced_route_check_is_not_triggered_by_valid_plans() -> None:
    from sim2real.planner.optim.problem import OperatingPoint, PlanProblem, Source
    from sim2real.planner.workflow import check_priced_routes

    op = OperatingPoint({("t", "dft"): 1e4}, {("t", "dft"): 20.0}, {"t": 80.0, "u": 80.0})
    check_priced_routes(PlanProblem((Source("dft", 1.0), Source("real:u", 5.0)), 100.0, op,
                                    {"t": 0.1, "u": 0.1}))
    assert np.isfinite(op.n_sim[("t", "dft")])
