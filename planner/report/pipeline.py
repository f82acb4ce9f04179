"""From a posterior and a plan to the report's content: decision tables, what-if studies and
model checks, with a progress callback (the CLI shows it with rich).

Examples
--------
>>> content = report_content(post, plan, problem, given, settings,
...                          source=Path("posterior.nc"))  # doctest: +SKIP
>>> write_report(content, "report/")  # doctest: +SKIP
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

import pandas as pd

from sim2real.models.errors import PlanningError, UnknownCurveError
from sim2real.planner.defaults import REPORT_PILOT_WORLDS
from sim2real.planner.report.checks import loo_summary, observation_labels, ppc_summary
from sim2real.planner.report.content import ReportContent, Reproducibility, build_content
from sim2real.planner.report.prior_sensitivity import plan_prior_sensitivity
from sim2real.planner.report.studies import (
    RATIO_FACTORS,
    budget_frontier,
    cost_sensitivity,
    default_budgets,
    exchange_by_size,
)

PACKAGES = ("sim2real-planner", "pymc", "pytensor", "arviz", "nutpie", "botorch", "torch",
            "numpy", "pandas", "matplotlib", "jinja2")
Advance = Callable[[str], None]


def versions() -> dict[str, str]:
    """Python and package versions (``not installed`` when absent)."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def command_line(argv: Sequence[str] | None = None) -> str:
    """The command that produced the report (program name without its directory).

    Examples
    --------
    >>> command_line(["/x/.venv/bin/sim2real", "demo", "--out", "my dir"])
    "sim2real demo --out 'my dir'"
    """
    import shlex
    from pathlib import Path

    args = list(sys.argv if argv is None else argv)
    return shlex.join([Path(args[0]).name, *args[1:]]) if args else ""


def study_count(n_budgets: int, n_strategies: int, n_ratios: int) -> int:
    """Progress steps of :func:`report_content` (studies + 5 fixed steps)."""
    return n_budgets * n_strategies + n_ratios + 5


def report_pilot(model: Any, problem: Any, given: Mapping[str, str], settings: Any,
                 worlds: int = REPORT_PILOT_WORLDS) -> dict[str, Any] | None:
    """"What the next measurement is worth" (:func:`planner.optim.pilot.pilot_value`,
    names as given) for a plan with targets and the min_cost_with_probability objective;
    ``None`` otherwise, or when the model has no noise model to simulate measurements.

    Examples
    --------
    >>> report_pilot(model, problem, given, settings)["recommended"]  # doctest: +SKIP
    {'real:gap': 40}
    """
    from sim2real.planner.optim.pilot import pilot_value

    if not problem.targets or settings.objective != "min_cost_with_probability":
        return None
    try:
        value = pilot_value(model, problem, settings.probability, worlds=worlds,
                            penalty=settings.penalty, seed=settings.seed)
    except PlanningError:
        return None
    return value.renamed(given).to_dict()


def report_content(model: Any, plan: Mapping[str, Any], problem: Any,
                   given: Mapping[str, str], settings: Any, *, source: str,
                   source_sha256: str, budgets: Sequence[float] | None = None,
                   ratio_factors: Sequence[float] = RATIO_FACTORS,
                   comparison: pd.DataFrame | None = None, assumptions: Sequence[str] = (),
                   warnings: Sequence[str] = (), command: str | None = None,
                   advance: Advance | None = None) -> ReportContent:
    """Compute every table, study and check of the report and assemble its content.

    Parameters
    ----------
    model : Posterior
        The fitted posterior of any family (any ErrorModel with ``data`` works for the
        decision parts; the model checks need the posterior's methods).
    plan : mapping
        plan.json content (names as given).
    problem, given, settings : PlanProblem, dict, PlanSettings
        From :meth:`planner.optim.config.PlanSettings.problem`.
    source, source_sha256 : str
        The posterior / curve file and its hash (reproducibility).
    budgets, ratio_factors : sequence of float
        Frontier budgets (default: the plan's budget x 0.1, 0.3, 1, 3) and price-ratio
        factors of the sensitivity study.
    comparison : DataFrame, optional
        LOO comparison of model families (``az.compare`` layout), shown when given.
    assumptions, warnings : sequence of str
        Extra assumptions and decision warnings.
    command : str, optional
        Command line (default: ``sys.argv``).
    advance : callable, optional
        Called with a label before every step (progress bars).
    """
    from sim2real.planner.acquisition import expected_error, make_objective
    from sim2real.planner.decisions import required_size_table

    step = advance or (lambda _label: None)
    objective = make_objective(settings.objective, **settings.objective_kwargs())
    sizes = required_size_table(model, problem.targets, operating=problem.operating) \
        if problem.targets else None
    try:
        rates = exchange_by_size(model, problem.operating)
    except UnknownCurveError:
        rates = pd.DataFrame()
    frontier_obj = expected_error(weights=dict(settings.weights) or None)
    studied = study_model(model)
    frontier = budget_frontier(studied, problem, frontier_obj, given,
                               budgets or default_budgets(problem.budget), advance=step,
                               seed=settings.seed)
    sensitivity = cost_sensitivity(studied, problem, objective, given, ratio_factors,
                                   advance=step, seed=settings.seed)
    flips = plan.get("flip_points")
    if flips is None:   # a plan.json written without them
        from sim2real.planner.optim.flip import price_flips

        flips = [f.to_dict() for f in price_flips(model, problem, objective,
                                                   settings.seed, advance=step)]
    else:
        inverse = {v: k for k, v in given.items()}
        flips = [{**f, "experiment": inverse.get(f["experiment"], f["experiment"]),
                  "database": inverse.get(f["database"], f["database"])} for f in flips]
    step("value of a pilot measurement")
    if plan.get("pilot") is None:
        plan = {**plan, "pilot": report_pilot(studied, problem, given, settings)}
    step("model checks: PSIS-LOO and posterior predictive")
    loo, ppc = model_checks(model, settings.seed)
    step("prior sensitivity: reweighting the draws to alternative priors")
    priors = plan_prior_sensitivity(model, plan, problem, given)
    sampler = getattr(model, "sampler", None)
    repro = Reproducibility(
        command=command if command is not None else command_line(),
        created=datetime.now(UTC).isoformat(timespec="seconds"), versions=versions(),
        sampler=sampler.to_dict() if sampler is not None else {},
        optimizer_seed=int(settings.seed), posterior=source,
        posterior_sha256=source_sha256)
    step("assembling the report")
    return build_content(model, plan, problem, given, sizes=sizes, rates=rates,
                         frontier=frontier, sensitivity=sensitivity, loo=loo, ppc=ppc,
                         reproducibility=repro, assumptions=assumptions,
                         comparison=comparison, frontier_objective=frontier_obj.name,
                         warnings=warnings, title=_title(model), flips=flips,
                         prior_sensitivity=priors)


#: What-if studies (frontier, price sensitivity) plan on at most this many evenly thinned
#: draws; the decision and its tables use every draw.
STUDY_DRAWS = 500


def study_model(model: Any, draws: int = STUDY_DRAWS) -> Any:
    """``model`` thinned to about ``draws`` posterior draws for the what-if studies."""
    from sim2real.planner.optim.flip import thin_model

    return thin_model(model, int(getattr(model, "n_draws", 0)) // draws)


def model_checks(model: Any, seed: int = 0) -> tuple[Any, Any]:
    """PSIS-LOO and the posterior predictive check, when the model supports them."""
    if not hasattr(model, "pointwise_log_likelihood"):
        return None, None
    return loo_summary(model, observation_labels(model)), ppc_summary(model, seed=seed)


def _title(model: Any) -> str:
    tasks = ", ".join(getattr(getattr(model, "data", None), "tasks", []) or [])
    return f"Sim2Real data-acquisition decision: {tasks}" if tasks else \
        "Sim2Real data-acquisition decision"

