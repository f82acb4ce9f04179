"""Study outputs: PPC and residual tables on hand-built posteriors with known laws."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim2real.case_studies.retro_scoring import replicate_draws
from sim2real.case_studies.run_study import PLANS, ppc_table, residual_table


def test_residuals_vanish_on_the_true_law(hand_built_posterior: Callable[..., Any]) -> None:
    res = residual_table(hand_built_posterior())
    assert len(res) == 7                                   # 4 scratch + 3 transfer sizes
    assert res["log_resid"].abs().max() < 1e-9
    ppc = ppc_table(hand_built_posterior()).set_index("curve_id")
    assert ppc.loc["all", "n"] == 14
    assert ppc.loc["all", "cov90"] == 1.0                  # exact data, sigma = 0.05


def test_residuals_flag_a_curve_that_bends(hand_built_posterior: Callable[..., Any],
                                           simple_table: pd.DataFrame) -> None:
    table = simple_table.copy()
    last = (table["sim_source"] == "dft") & (table["n_sim"] == 10000)
    table.loc[last, "error"] *= 0.8                        # steeper at the large end
    res = residual_table(hand_built_posterior(table=table)).set_index(["curve_id", "size"])
    assert res.loc[("t|dft|n_real=20", 10000), "log_resid"] == pytest.approx(np.log(0.8))
    ppc = ppc_table(hand_built_posterior(table=table)).set_index("curve_id")
    assert ppc.loc["t|dft|n_real=20", "cov90"] == pytest.approx(4 / 6)


def test_replicate_draws_use_the_curve_noise(hand_built_posterior: Callable[..., Any]
                                             ) -> None:
    post = hand_built_posterior()
    one = replicate_draws(post, "t", "dft", 5000, 20, seed=1)
    expected = 0.1 + 1.0 * 5000 ** -0.3
    assert np.median(one) == pytest.approx(expected, rel=0.02)
    assert np.std(np.log(one)) == pytest.approx(0.05, rel=0.15)   # 100 draws


def test_plan_settings_name_known_sources() -> None:
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "case_studies"
    for study, plan in PLANS.items():
        cfg = tomllib.loads((root / study / "config.toml").read_text())
        sims = set(cfg["data"]["sim"])
        assert set(plan["costs"]) - {"real"} == sims
        assert set(plan["targets"]) == {cfg["sweep"]["task"]}
