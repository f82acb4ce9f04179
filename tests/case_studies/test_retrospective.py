"""Retrospective planning validation: loop logic, scoring, and the real-runner measurer."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim2real.case_studies.config import GridConfig, load_config
from sim2real.case_studies.data import load_study
from sim2real.case_studies.retro_scoring import (
    add_coverage,
    cost_to_target,
    coverage_table,
    realized_task_error,
    replicate_draws,
)
from sim2real.case_studies.retrospective import (
    RetroSpec,
    SweepMeasurer,
    batch_keys,
    build_problem,
    initial_keys,
    run_retrospective,
    runs_table,
    synthetic_measure,
)
from sim2real.case_studies.runner import dask_client, run_sweep
from sim2real.case_studies.store import RunKey
from sim2real.models.errors import InputDataError, SpecError

LAWS = {"none": (0.3, 2.0, 0.5), "dft": (0.15, 3.0, 0.4)}


def _spec(**kw: object) -> RetroSpec:
    base = {"task": "toy", "sources": ("dft",), "budget": 5000.0, "target": 0.25,
            "rounds": 2, "seeds": (0, 1), "strategies": ("bayesian", "all_experiment"),
            "draws": 100, "curve_n_real": (200,)}
    base.update(kw)
    return RetroSpec(**base)  # type: ignore[arg-type]


def test_spec_rejects_bad_settings() -> None:
    with pytest.raises(SpecError, match="strategies"):
        _spec(strategies=("magic",)).validate()
    with pytest.raises(SpecError, match="scratch_n_real"):
        _spec(scratch_n_real=(50, 100)).validate()


def test_problem_caps_and_batch_keys_are_nested() -> None:
    spec = _spec(max_n_sim=3500, max_n_real=260)
    table = runs_table(spec, synthetic_measure(LAWS)(initial_keys(spec)))
    problem = build_problem(spec, table)
    dft, real = problem.source("dft"), problem.source("real:toy")
    assert dft.max == 2000 and dft.granularity == 1000      # 3500 - 1000, on the grid
    assert real.max == 60                                   # 260 - 200
    keys = batch_keys(spec, problem.operating, {"dft": 2000, "real:toy": 30})
    assert RunKey("dft", 3000, 200, 1) in keys and RunKey("none", 0, 230, 0) in keys
    assert len(keys) == 4
    capped = dataclasses.replace(spec, source_caps={"dft": 2600})
    assert build_problem(capped, table).source("dft").max == 1000   # pool cap wins
    # a database already at its cap is no longer offered
    full = pd.concat([table, runs_table(spec, {RunKey("dft", 3500, 200, 0): 0.3})])
    assert "dft" not in build_problem(spec, full).names


def test_joint_batch_keys_move_every_route_that_fine_tunes_on_new_experiments() -> None:
    spec = _spec(curve_n_real=(100, 200))
    table = runs_table(spec, synthetic_measure(LAWS)(initial_keys(spec)))
    assert sorted(set(table.loc[table["sim_source"] == "dft", "n_real"])) == [100, 200]
    op = build_problem(spec, table).operating
    keys = batch_keys(spec, op, {"dft": 0, "real:toy": 40}, {"dft": True})
    assert set(keys) == {RunKey(s, n, 240, seed) for s, n in (("none", 0), ("dft", 1000))
                         for seed in (0, 1)}
    # single-axis convention: the database curve stays at its own n_real
    keys = batch_keys(spec, op, {"dft": 0, "real:toy": 40}, {"dft": False})
    assert {k.sim_source for k in keys} == {"none"}
    # a database no longer offered (at its cap) still fine-tunes on the new experiments
    assert set(batch_keys(spec, op, {"real:toy": 40}, {"dft": True})) == set(
        batch_keys(spec, op, {"dft": 0, "real:toy": 40}, {"dft": True}))
    keys = batch_keys(spec, op, {"dft": 2000, "real:toy": 40}, {"dft": True})
    assert RunKey("dft", 3000, 240, 1) in keys and len(keys) == 4
    assert RetroSpec(task="t", sources=("a",), budget=1.0, target=0.1,
                     curve_n_real=200).curve_n_real == (200,)   # type: ignore[arg-type]
    with pytest.raises(SpecError, match="curve_n_real"):
        _spec(curve_n_real=(200, 200)).validate()


def test_scoring_helpers() -> None:
    rows = pd.DataFrame({"strategy": ["a", "a", "b"], "realized": [0.5, 0.7, 0.2],
                         "q05": [0.4, 0.4, 0.3], "q25": [0.45, 0.45, 0.35],
                         "q75": [0.55, 0.55, 0.45], "q95": [0.6, 0.6, 0.5]})
    cov = coverage_table(rows).set_index("strategy")
    assert cov.loc["a", ["n", "in50", "in90", "above90"]].tolist() == [2, 1, 1, 1]
    assert cov.loc["b", "below90"] == 1 and cov.loc["all", "n"] == 3
    assert add_coverage(rows)["in90"].tolist() == [True, False, False]
    log = pd.DataFrame({"strategy": ["a"] * 3 + ["b"] * 2, "round": [0, 1, 2, 0, 1],
                        "cum_cost": [0, 10, 20, 0, 10], "met": [False, False, True, False,
                                                                False],
                        "realized": [0.9, 0.8, 0.6, 0.9, 0.85]})
    out = cost_to_target(log).set_index("strategy")
    assert out.loc["a", "cost_to_target"] == 20 and out.loc["a", "met_round"] == 2
    assert np.isnan(out.loc["b", "cost_to_target"]) and out.loc["b", "met_round"] == -1
    t = pd.DataFrame({"task": "t", "sim_source": ["none"] * 2 + ["mp"] * 3,
                      "n_sim": [0, 0, 10, 20, 20], "n_real": [5, 9, 9, 9, 9],
                      "error": [0.5, 0.8, 0.9, 0.6, 0.7]})
    assert realized_task_error(t, "t") == (pytest.approx(0.65), "mp")


def test_replicate_draws_widen_with_noise() -> None:
    class Post:
        n_draws = 4000

        nu_draws = None

        def error_draws(self, task: str, src: str, n_sim: float, n_real: float) -> np.ndarray:
            return np.full((4000, 1), 0.5)

        def noise_draws(self, *args: object) -> np.ndarray:
            return np.full(4000, 0.1)

    one = replicate_draws(Post(), "t", "none", 0, 10)
    three = replicate_draws(Post(), "t", "none", 0, 10, n_mean=3)
    assert np.std(np.log(one)) == pytest.approx(0.1, rel=0.08)
    assert np.std(np.log(three)) == pytest.approx(0.1 / np.sqrt(3), rel=0.1)


def test_loop_on_known_laws_reaches_target_only_via_the_cheap_route() -> None:
    """Simulations reach the target cheaply; experiments cannot (scratch floor 0.3)."""
    spec = _spec()
    res = run_retrospective(spec, synthetic_measure(LAWS))
    rounds = res.rounds.set_index(["strategy", "round"])
    summary = res.summary().set_index("strategy")
    assert summary.loc["bayesian", "met_round"] >= 1
    assert summary.loc["bayesian", "cost_to_target"] <= spec.rounds * spec.budget
    assert summary.loc["all_experiment", "met_round"] == -1
    assert rounds.loc[("all_experiment", 2), "cum_cost"] <= 2 * spec.budget
    assert rounds.loc[("all_experiment", 2), "n_sim_dft"] == 1000   # never bought sims
    assert rounds.loc[("all_experiment", 2), "n_real"] > 200
    # every acquired run was predicted before it was measured, and scored
    preds = res.predictions
    assert len(preds) and preds["realized"].notna().all()
    assert (preds["q05"] <= preds["q25"]).all() and (preds["q75"] <= preds["q95"]).all()
    cov = res.coverage().set_index("strategy")
    assert cov.loc["all", "n"] == len(preds)
    assert set(preds.loc[preds["strategy"] == "all_experiment", "sim_source"]) == {"none"}


def test_joint_loop_fits_the_surface_and_measures_routes_at_new_experiments() -> None:
    """A grid start fits the joint surface; experiments move the transfer route too."""
    laws = {"none": (0.3, 2.0, 0.5), "dft": (0.15, 3.0, 0.4, 0.3)}
    spec = _spec(curve_n_real=(100, 200), rounds=2, strategies=("all_experiment",))
    res = run_retrospective(spec, synthetic_measure(laws))
    assert set(res.rounds["family"].dropna()) == {"edt_negative"}
    assert res.rounds["round"].max() == 2        # refitted on the new n_real level
    preds = res.predictions
    assert set(preds["sim_source"]) == {"none", "dft"}
    assert (preds["n_real"] > 200).all() and len(preds) == 8   # 2 rounds x 2 routes x 2 seeds
    assert preds["realized"].notna().all()


def test_sweep_measurer_matches_the_sweep_and_caches(toy_config: Path, toy_data: Path,
                                                     tmp_path: Path) -> None:
    cfg = load_config(toy_config)
    cfg = dataclasses.replace(cfg, grid=GridConfig((0, 50, 100), (10, 20, 40), (0,)))
    study = load_study(cfg, toy_data)
    sweep = run_sweep(cfg, data_dir=toy_data, out=tmp_path / "sweep" / "curves.csv",
                      workers=1, processes=False, show_progress=False, study=study).curves
    keys = [RunKey("none", 0, 20, 0), RunKey("dft", 50, 10, 0), RunKey("dft", 100, 20, 0)]
    with dask_client(1, processes=False) as client:
        measure = SweepMeasurer(cfg, study, tmp_path / "retro", client, seeds=(0,))
        first = measure(keys)
        assert len(measure.computed) == 3
        again = measure(keys[:2])
        assert len(measure.computed) == 3                # nothing recomputed
        with pytest.raises(InputDataError, match="n_real"):
            measure([RunKey("none", 0, 10_000, 0)])
    assert again == {k: first[k] for k in keys[:2]}
    for k in keys:
        row = sweep[(sweep["sim_source"] == k.sim_source) & (sweep["n_sim"] == k.n_sim)
                    & (sweep["n_real"] == k.n_real)]
        assert first[k] == pytest.approx(float(row["error"].iloc[0]), abs=1e-6)


def test_stated_vs_realized_takes_the_chosen_route_and_skips_unplanned_rounds() -> None:
    from sim2real.case_studies.retro_scoring import stated_vs_realized

    rounds = pd.DataFrame({"strategy": ["a", "a"], "round": [0, 1],
                           "p_target": [np.nan, 0.4]})
    pred = pd.DataFrame({"strategy": ["a"] * 4 + ["a"] * 2, "round": [1] * 4 + [0] * 2,
                         "sim_source": ["mp", "mp", "none", "none", "mp", "mp"],
                         "pred_mean": [0.5, 0.5, 0.7, 0.7, 0.5, 0.5],
                         "realized": [0.55, 0.65, 0.1, 0.1, 0.1, 0.1]})
    out = stated_vs_realized(rounds, pred, 0.6)
    assert out[["round", "route", "met", "runs"]].values.tolist() == [[1, "mp", 1, 2]]
