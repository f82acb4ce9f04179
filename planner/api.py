"""Notebook API: ``fit`` a learning-curve table, ``plan`` a batch, write a ``report``.

Three functions over the public workflow (:mod:`planner.workflow`), taking and returning
Python objects (a pandas DataFrame, a :class:`~models.posterior.base.Posterior`, a
:class:`~planner.optim.result.PlanResult`) instead of files and command-line options.
They are also reachable as ``sim2real.planner.fit`` / ``.plan`` / ``.report``.

Examples
--------
>>> import sim2real.planner as s2r                                        # doctest: +SKIP
>>> post = s2r.fit(df, draws=300, chains=2)                               # doctest: +SKIP
>>> res = s2r.plan(post, budget=50_000, costs={"mp": 1, "real:gap": 200},
...                targets={"gap": 0.3})                                  # doctest: +SKIP
>>> res.to_frame()                 # source, count, unit_cost, cost, share  # doctest: +SKIP
>>> res.plot()                     # matplotlib Figure                      # doctest: +SKIP
>>> s2r.report(post, "report_dir", res).html                               # doctest: +SKIP
PosixPath('report_dir/report.html')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim2real.models.errors import InputDataError
from sim2real.models.families import DEFAULT_FAMILY
from sim2real.models.inference.fit import fit as fit_model
from sim2real.models.inference.spec import ModelSpec, SamplerConfig
from sim2real.planner.acquisition import make_objective
from sim2real.planner.optim.config import PlanSettings, load_config, merge_settings
from sim2real.planner.optim.multiround import recommend
from sim2real.planner.optim.problem import operating_point_from_table
from sim2real.planner.optim.result import PlanResult
from sim2real.planner.workflow import (
    NETCDF,
    check_budget,
    check_priced_routes,
    demo_settings,
    file_sha256,
    load_model,
    plan_payload,
    run_report,
    write_json,
)

__all__ = ["Report", "fit", "plan", "report"]


def fit(data: pd.DataFrame | str | Path, *, family: str = DEFAULT_FAMILY, draws: int = 1000,
        tune: int | None = None, chains: int = 4, seed: int = 20251125,
        target_accept: float | None = None, likelihood: str = "normal",
        progress: bool = False) -> Any:
    """Fit a curve family to a learning-curve table (the data contract of ``models``).

    Parameters
    ----------
    data : DataFrame or path
        Learning curves (columns task, sim_source, n_sim, n_real, seed, metric, error),
        or a ``.csv`` / ``.parquet`` file of them.
    family, likelihood : str
        Model family (``sim2real fit --help`` lists them) and likelihood.
    draws, tune, chains, seed, target_accept : sampler settings (``tune`` = ``draws``
        when omitted; ``target_accept`` ``None`` picks it from the number of curves).

    Returns
    -------
    Posterior
        With diagnostics; save it with ``post.to_netcdf("posterior.nc")``.

    Examples
    --------
    >>> post = fit(df, draws=300, chains=2)                                 # doctest: +SKIP
    """
    sampler = SamplerConfig(draws=draws, tune=draws if tune is None else tune,
                            chains=chains, seed=seed, target_accept=target_accept,
                            progress=progress)
    return fit_model(data, ModelSpec(family=family, likelihood=likelihood), sampler)


def settings_of(budget: float | None = None, costs: Mapping[str, float] | None = None,
                targets: Mapping[str, float] | None = None, *,
                config: str | Path | None = None, **options: Any) -> PlanSettings:
    """:class:`PlanSettings` from keyword arguments (and an optional ``plan.toml``,
    which the arguments override), validated as the CLI validates its options.

    Examples
    --------
    >>> settings_of(1000, {"mp": 1.0}, {"gap": 0.3}).objective
    'min_cost_with_probability'
    """
    return merge_settings(load_config(None if config is None else Path(config)),
                          budget=budget, costs=dict(costs or {}),
                          targets=dict(targets or {}), **options)


def plan(posterior: Any, budget: float | None = None,
         costs: Mapping[str, float] | None = None,
         targets: Mapping[str, float] | None = None, *, config: str | Path | None = None,
         **options: Any) -> PlanResult:
    """Recommend the next batch, as ``sim2real plan`` does.

    Parameters
    ----------
    posterior : Posterior or path
        A fitted posterior, a ``.nc`` file, or a curve table (fitted quickly).
    budget : float
        Total budget of the batch.
    costs : mapping
        Source name (database, or ``real:TASK``) -> price per sample.
    targets : mapping, optional
        Task -> target error (the default objective then is the cheapest batch with
        P(all targets met) >= ``probability``).
    config : path, optional
        A ``plan.toml``; the arguments override it.
    **options
        Any other setting of ``plan.toml`` (``objective``, ``probability``, ``rounds``,
        ``seed``, ``weights``, ...).

    Returns
    -------
    PlanResult
        Source names as given; the settings and the posterior file (if any) in its
        provenance. ``.to_frame()`` is the batch as a DataFrame, ``.plot()`` a Figure.

    Examples
    --------
    >>> res = plan(post, budget=5e4, costs={"mp": 1, "real:gap": 200},
    ...            targets={"gap": 0.3})                                    # doctest: +SKIP
    >>> res.to_frame().columns.tolist()                                     # doctest: +SKIP
    ['source', 'count', 'unit_cost', 'cost', 'share']
    """
    model, path = as_posterior(posterior)
    settings = settings_of(budget, costs, targets, config=config, **options)
    check_budget(settings.budget)
    problem, given = settings.problem(operating_point_from_table(model.data.table))
    check_priced_routes(problem, settings.rounds)            # the checks of `sim2real plan`
    obj = make_objective(settings.objective, **settings.objective_kwargs())
    result = recommend(model, problem, obj, settings)
    prov = {**result.provenance, "settings": asdict(settings),
            "posterior": None if path is None else str(path),
            "posterior_sha256": None if path is None else file_sha256(path),
            "created": datetime.now(UTC).isoformat(timespec="seconds")}
    return replace(result, allocation={given.get(k, k): v
                                       for k, v in result.allocation.items()},
                   rounds=[{given.get(k, k): v for k, v in r.items()}
                           for r in result.rounds], provenance=prov)


@dataclass(frozen=True)
class Report:
    """What :func:`report` wrote: ``files`` (``.html``, ``.json``, ``.pdf``) and the
    report ``content``; :meth:`figures` draws its figures (shown inline in notebooks)."""

    files: Any
    content: Any

    @property
    def html(self) -> Path:
        """Path of report.html."""
        return Path(self.files.html)

    def figures(self) -> list[Any]:
        """Every report figure, in page order (each displays itself as SVG)."""
        from sim2real.planner.report.figures import all_figures

        return [f for group in all_figures(self.content).values() for f in group]


def report(posterior: Any, out_dir: str | Path, plan: PlanResult | None = None, *,
           budget: float | None = None, costs: Mapping[str, float] | None = None,
           targets: Mapping[str, float] | None = None, pdf: bool = False,
           comparison: pd.DataFrame | None = None,
           budgets: Sequence[float] | None = None,
           ratio_factors: Sequence[float] | None = None, **options: Any) -> Report:
    """Write the decision report (report.html, report.json, plan.json) into ``out_dir``.

    The plan is ``plan`` when given (its settings are reused), else made here from
    ``budget`` / ``costs`` / ``targets`` / ``options``, else from the demo's assumptions
    (every database at price 1, targets at 80% of the current error; listed in the
    report). A posterior that is not a ``.nc`` file is saved as ``out_dir/posterior.nc``,
    which the report names and hashes. ``budgets`` (default: the plan's budget x 0.1,
    0.3, 1, 3) and ``ratio_factors`` (experiment-price factors, default 0.01 to 10) set
    the frontier and price-sensitivity studies; fewer is faster.

    Examples
    --------
    >>> rep = report(post, "report_dir", res)                               # doctest: +SKIP
    >>> rep.html.name                                                       # doctest: +SKIP
    'report.html'
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputDataError(f"{out}: is a file, not a directory. Fix: give a directory "
                             "(it is created when missing).")
    model, path = as_posterior(posterior)
    assumptions: list[str] = []
    payload = None
    if plan is not None:
        settings = PlanSettings(**plan.provenance["settings"])
    elif budget is None and costs is None and not options:
        settings, assumptions = demo_settings(model)
    else:
        settings = settings_of(budget, costs, targets, **options)
    settings.problem(operating_point_from_table(model.data.table))   # fail before writing
    out.mkdir(parents=True, exist_ok=True)
    if path is None:
        path = Path(model.to_netcdf(out / "posterior.nc"))
    if plan is not None:   # the plan's own posterior file, if any, stays on record
        payload = plan_payload(plan, {}, settings, path)
        if plan.provenance.get("posterior_sha256"):
            payload["provenance"].update({k: plan.provenance[k] for k in
                                          ("posterior", "posterior_sha256")})
        write_json(payload, out / "plan.json")
    studies = {k: v for k, v in (("budgets", budgets), ("ratio_factors", ratio_factors))
               if v is not None}
    files, content = run_report(model, path, settings, out, payload=payload, pdf=pdf,
                                assumptions=assumptions, comparison=comparison,
                                studies=studies)
    return Report(files=files, content=content)


def as_posterior(posterior: Any) -> tuple[Any, Path | None]:
    """A posterior object and the netCDF file it was read from (``None`` when it was
    given as an object or fitted here from a table)."""
    if isinstance(posterior, str | Path):
        path = Path(posterior)
        model = load_model(path)
        return model, path if path.suffix.lower() in NETCDF else None
    if not hasattr(posterior, "data") or not hasattr(posterior, "error_draws"):
        raise InputDataError(f"expected a Posterior (from fit) or a path, got "
                             f"{type(posterior).__name__}. Fix: pass the result of "
                             "sim2real.planner.fit(df), or a posterior.nc file.")
    return posterior, None
