"""Hand-built posterior and report content for the report tests (not a test module).

The posterior's draws are the known laws of ``tests/conftest.py``'s ``simple_table``:
scratch ``0.2 + 2 m^-0.5`` and transfer (database ``dft`` at n_real = 20) ``0.1 + n^-0.3``,
with a small jitter so that intervals have width.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from tests.conftest import make_idata
from tests.conftest import make_simple_table as simple_table

LAWS = {"t|none|n_sim=0": (0.2, 2.0, 0.5), "t|dft|n_real=20": (0.1, 1.0, 0.3)}
COSTS = {"dft": 1.0, "real": 20.0}
TARGET = 0.15
BUDGET = 20000.0


def hand_posterior(jitter: float = 0.02, draws: int = 100) -> Any:
    """A power-law Posterior of :func:`simple_table` whose draws follow :data:`LAWS`."""
    return law_posterior(simple_table(), LAWS, jitter=jitter, draws=draws)


def law_posterior(table: Any, laws: dict[str, tuple[float, float, float]],
                  jitter: float = 0.02, draws: int = 100) -> Any:
    """A power-law-with-floor Posterior of ``table`` whose draws follow ``laws``
    (curve id -> (C, D, alpha) in error units), with a small jitter."""
    from sim2real.models.data.contract import load_curves
    from sim2real.models.data.design import make_design
    from sim2real.models.inference.diagnostics import compute_diagnostics
    from sim2real.models.inference.spec import ModelSpec, SamplerConfig
    from sim2real.models.posterior.base import Posterior

    data = load_curves(table)
    design = make_design(data, "curve")
    ids, refs = design.coords["curve"], design.refs["curve"]
    log_c, log_a, alpha = [], [], []
    for k, cid in enumerate(ids):
        c, d, a = laws[cid]
        log_c.append(np.log(c / refs["scale"][k]))
        log_a.append(np.log(d / refs["scale"][k]) - a * np.log(refs["x_ref"][k]))
        alpha.append(a)
    idata = make_idata(ids, {"log_c": np.array(log_c), "log_a": np.array(log_a),
                             "alpha": np.array(alpha), "sigma": np.full(len(alpha), 0.05)},
                       jitter=jitter, draws=draws)
    return Posterior(idata=idata, data=data, spec=ModelSpec(),
                     sampler=SamplerConfig(draws=draws, chains=2),
                     diagnostics=compute_diagnostics(idata))


def report_inputs(post: Any, path: Path, budget: float = BUDGET,
                  target: float | None = TARGET) -> dict[str, Any]:
    """Settings, problem, plan payload (names as given) for ``post`` saved at ``path``."""
    from sim2real.planner.acquisition import make_objective
    from sim2real.planner.optim.config import merge_settings
    from sim2real.planner.optim.multiround import plan_rounds
    from sim2real.planner.optim.problem import operating_point_from_table
    from sim2real.planner.workflow import file_sha256, plan_payload

    settings = merge_settings({}, budget=budget, costs=dict(COSTS),
                              targets={"t": target} if target is not None else {}, seed=0)
    problem, given = settings.problem(operating_point_from_table(post.data.table))
    obj = make_objective(settings.objective, **settings.objective_kwargs())
    result = plan_rounds(post, problem, obj, rounds=1, seed=0, num_restarts=2,
                         raw_samples=32)
    payload = plan_payload(result, given, settings, path)
    return {"settings": settings, "problem": problem, "given": given, "plan": payload,
            "sha": file_sha256(path)}


def build(post: Any, path: Path, **kwargs: Any) -> Any:
    """Report content of ``post`` with a small frontier and sensitivity study."""
    from sim2real.planner.report.pipeline import report_content

    inp = report_inputs(post, path)
    return report_content(post, inp["plan"], inp["problem"], inp["given"], inp["settings"],
                          source=str(path), source_sha256=inp["sha"],
                          budgets=kwargs.pop("budgets", [2000.0, BUDGET]),
                          ratio_factors=kwargs.pop("ratio_factors", (0.1, 1.0, 10.0)),
                          command="sim2real report post.nc --out r", **kwargs)


@lru_cache(maxsize=1)
def shared_content() -> tuple[Any, Path, Any]:
    """(posterior, its netCDF path, report content), built once per test process."""
    root = Path(tempfile.mkdtemp(prefix="sim2real-report-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    post = hand_posterior()
    path = post.to_netcdf(root / "post.nc")
    return post, path, build(post, path)
