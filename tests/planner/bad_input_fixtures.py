"""Small data builders for the bad-input corpus (not a test module).

Everything is cheap: the posterior is hand-built from known laws (no MCMC) and saved with
the library's own writer, the tables are a few rows.

Examples
--------
>>> table = curves_table()
>>> sorted(table["sim_source"].unique())
['dft', 'none']
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tests.conftest import make_simple_table
from tests.planner.report_fixtures import law_posterior

#: Laws (C, D, alpha) of the three curves of :func:`curves_table`, in error units.
LAWS = {"t|none|n_sim=0": (0.2, 2.0, 0.5), "t|dft|n_real=20": (0.1, 1.0, 0.3),
        "u|none|n_sim=0": (0.1, 1.0, 0.4)}


def curves_table() -> pd.DataFrame:
    """Task ``t``: a scratch curve (n_real 10..80) and a ``dft`` transfer curve at
    n_real = 20 (n_sim 100..10000); task ``u``: a scratch curve only (no database).
    Two seeds each, with a little noise."""
    table = make_simple_table()
    scratch = table[table["sim_source"] == "none"].assign(task="u")
    scratch["error"] = 0.1 + 1.0 * scratch["n_real"] ** -0.4
    table = pd.concat([table, scratch], ignore_index=True)
    rng = np.random.default_rng(0)
    table["error"] = table["error"] * np.exp(0.02 * rng.standard_normal(len(table)))
    return table


def posterior(table: pd.DataFrame | None = None) -> Any:
    """A power-law-with-floor Posterior of ``table`` whose draws are :data:`LAWS`."""
    return law_posterior(curves_table() if table is None else table, LAWS, draws=50)


def save_posterior_file(path: Path) -> Path:
    """Write :func:`posterior` with the library's own writer."""
    from sim2real.models.posterior.storage import save_posterior

    return save_posterior(posterior(), path)


def queries(**columns: Any) -> pd.DataFrame:
    """A one-row predict query on the transfer curve; ``columns`` override cells."""
    row: dict[str, Any] = {"task": "t", "sim_source": "dft", "n_sim": 1000, "n_real": 20}
    row.update(columns)
    return pd.DataFrame([row])


def sweep_config(grid: str = "n_sim = [0, 10, 20]\nn_real = [5, 10]\nseeds = [0]",
                 sweep: str = 'task = "toy"\nfeaturizer = "composition"\n'
                              'id_column = "formula"\ntarget_column = "target"') -> str:
    """Text of a sweep TOML with the given ``[grid]`` and ``[sweep]`` bodies."""
    return textwrap.dedent("""\
        [sweep]
        {sweep}
        [data]
        real = "real.csv"
        element_table = "elements.csv"
        [data.sim]
        dft = "dft.csv"
        [grid]
        {grid}
        """).format(sweep=sweep, grid=grid)
