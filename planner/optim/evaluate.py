"""Per-task error draws after a batch: the modelling convention the planner optimizes.

Convention
----------
A task can be learned from scratch on its real data (``sim_source="none"``) or by
pre-training on each database available to it. After a batch, the team trains the route it
would pick *without hindsight*: the route with the lowest posterior expected error at the
batch's sizes (one choice per batch, the same in every posterior draw). The task's error
draws are that route's draws, so the probability of meeting a target is the probability
that the route actually chosen gets there. (``route_choice="hindsight"`` takes the per-draw
minimum over routes instead, as if the team knew in each draw which route wins; kept only
for comparisons: it is optimistic.) Sizes are the current operating point plus the
batch. When the model cannot move a database curve along ``n_real`` (a single-axis family raises
:class:`~models.errors.UnknownCurveError` there; a two-axis surface does not), that curve
is queried at the ``n_real`` it was measured at: a conservative bound that assumes more
real data does not make transfer worse. The model is only ever asked for error draws, so
any family (or any :class:`~planner.protocols.ErrorModel`) is planned on the same way.

Run-level errors
----------------
With ``problem.probability_of == "run"`` (the default) the draws are those of *one
training run* of the chosen route: each posterior draw ``s`` of the expected error is
multiplied by ``exp(sigma_s eps_s)``, the model's replicate noise of that route *at the
batch's sizes* (``noise_draws``, which may fall with size; Student-t ``eps`` when the
posterior has ``nu_draws``), with one fixed
``eps_s`` per (draw, task): common random numbers, so the planner's objective stays a
smooth deterministic function of the batch. The route is still chosen on the expected
error. Models without ``noise_draws`` give expected-error draws either way
(:attr:`TaskErrorEvaluator.run_noise` says which). The log factor ``sigma_s eps_s`` is
clipped to +-``LOG_RUN_CAP`` (a run e^50 times its expected error meets no target either
way): a posterior whose noise grows with size can reach ``sigma`` in the thousands far
beyond its data (seen on a non-converged fit of a curve that collapsed to 1e-5), and the
unclipped factor overflows to ``inf`` with NaN gradients that stop the optimizer.

Examples
--------
>>> import numpy as np
>>> from sim2real.planner.optim.problem import OperatingPoint, PlanProblem, Source
>>> class M:
...     n_draws = 1
...     def error_draws(self, task, sim_source, n_sim, n_real):
...         n = np.asarray(n_sim if sim_source != "none" else n_real, dtype=float)
...         return 0.1 + np.atleast_1d(n)[None, :] ** -0.5
>>> op = OperatingPoint({("a", "mp"): 100.0}, {("a", "mp"): 10.0}, {"a": 10.0})
>>> p = PlanProblem((Source("mp", 1.0),), 10.0, op)
>>> ev = TaskErrorEvaluator(M(), p)
>>> ev(np.array([[300.0]])).shape
(1, 1, 1)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim2real.models.errors import PlanningError, UnknownCurveError
from sim2real.models.families.noise import standard_noise
from sim2real.planner.optim.problem import NO_SOURCE, PlanProblem
from sim2real.planner.protocols import ErrorModel

#: ``expected``: the route with the lowest posterior mean error (the team's choice);
#: ``hindsight``: the per-draw minimum over routes (optimistic, for comparisons only).
ROUTE_CHOICES = ("expected", "hindsight")
#: Largest |log| factor of a run's error over its expected error (see the module docstring).
LOG_RUN_CAP = 50.0


class TaskErrorEvaluator:
    """Map batches ``X`` of shape ``(b, d)`` to task error draws ``(S, b, T)``.

    Works on NumPy arrays and (differentiably) on torch tensors.
    """

    def __init__(self, model: ErrorModel, problem: PlanProblem,
                 route_choice: str = "expected", seed: int = 20251203) -> None:
        if route_choice not in ROUTE_CHOICES:
            raise PlanningError(f"route_choice '{route_choice}': use one of {ROUTE_CHOICES}.")
        self.model = model
        self.problem = problem
        self.route_choice = route_choice
        self.tasks = list(problem.tasks)
        self._index = {name: j for j, name in enumerate(problem.names)}
        self._two_axis: dict[tuple[str, str], bool] = {}
        self._options = {t: self._task_options(t) for t in self.tasks}
        self._noise = self._run_noise(seed) if problem.probability_of == "run" else None

    @property
    def run_noise(self) -> bool:
        """Whether the draws include the run-to-run noise (see the module docstring)."""
        return self._noise is not None

    def _run_noise(self, seed: int) -> dict[str, np.ndarray] | None:
        """Per task, the fixed standard draws ``eps`` ``(S,)`` of one training run (common
        random numbers; Student-t with the posterior's ``nu``), or ``None`` without a
        noise model."""
        if getattr(self.model, "noise_draws", None) is None:
            return None
        nu = getattr(self.model, "nu_draws", None)
        S = int(self.model.n_draws)
        out = {}
        for i, task in enumerate(self.tasks):
            rng = np.random.default_rng([seed, i])
            out[task] = standard_noise(rng, nu, (S,))
        return out

    @property
    def two_axis(self) -> dict[tuple[str, str], bool]:
        """Per (task, database): whether the model moves its route along ``n_real`` too."""
        return dict(self._two_axis)

    def _task_options(self, task: str) -> list[str]:
        op = self.problem.operating
        options: list[str] = []
        try:
            self.model.error_draws(task, NO_SOURCE, 0.0, np.array([op.n_real[task]]))
            options.append(NO_SOURCE)
        except UnknownCurveError:
            pass
        for src in op.databases(task):
            n0 = op.n_sim[(task, src)]
            try:
                self.model.error_draws(task, src, np.array([n0]),
                                       np.array([op.n_real[task] + 1.0]))
                self._two_axis[(task, src)] = True
            except UnknownCurveError:
                self._two_axis[(task, src)] = False
            options.append(src)
        if not options:
            raise PlanningError(f"task '{task}': the model describes no curve for it.")
        return options

    def _route_n_real(self, task: str, db: str, m: Any) -> Any:
        """``n_real`` a database route is queried at: ``m`` where the model moves it along
        ``n_real``, else the ``n_real`` its curve was measured at (same type as ``m``)."""
        if self._two_axis[(task, db)]:
            return m
        return m * 0.0 + self.problem.operating.curve_n_real[(task, db)]

    def _added(self, X: Any, name: str) -> Any:
        j = self._index.get(name)
        if j is None:
            return X[..., 0] * 0.0
        return X[..., j]

    def task_draws(self, task: str, X: Any, run: bool | None = None) -> Any:
        """Error draws of one task, shape ``(S, b)`` (``run=False``: the expected error
        even when the problem's probabilities are run-level)."""
        op = self.problem.operating
        xp = _namespace(X)
        m = op.n_real[task] + self._added(X, "real:" + task)
        noisy = self._noise is not None and run is not False
        draws, noise = [], []
        for opt in self._options[task]:
            if opt == NO_SOURCE:
                n, m_q = m * 0.0, m
            else:
                n = op.n_sim[(task, opt)] + self._added(X, opt)
                m_q = self._route_n_real(task, opt, m)
            draws.append(self.model.error_draws(task, opt, n, m_q))
            if noisy:
                noise.append(self._run_factor(task, opt, n, m_q, xp))
        stack = xp.stack(draws, 0)
        values = stack * xp.stack(noise, 0) if noisy else None
        return choose_route(stack, self.route_choice, values)

    def route_points(self, counts: Any) -> list[tuple[str, str, float, float]]:
        """``(task, route, n_sim, n_real)`` of every route of every task after buying
        ``counts`` (1-D, one per source): where a team would train after the batch.

        Examples
        --------
        >>> ev.route_points(np.zeros(2))  # doctest: +SKIP
        [('gap', 'none', 0.0, 40.0), ('gap', 'mp', 5000.0, 40.0)]
        """
        X = np.asarray(counts, dtype=float)[None, :]
        op = self.problem.operating
        out = []
        for task in self.tasks:
            m = float(op.n_real[task] + self._added(X, "real:" + task)[0])
            for opt in self._options[task]:
                if opt == NO_SOURCE:
                    out.append((task, opt, 0.0, m))
                else:
                    n = float(op.n_sim[(task, opt)] + self._added(X, opt)[0])
                    out.append((task, opt, n, float(self._route_n_real(task, opt, m))))
        return out

    def _run_factor(self, task: str, opt: str, n: Any, m: Any, xp: Any) -> Any:
        """``exp(sigma eps)`` ``(S, b)`` of one route at the batch's sizes: the run noise
        is taken where the team would train, not at the current operating point."""
        assert self._noise is not None
        sigma = self.model.noise_draws(task, opt, n, m)     # type: ignore[attr-defined]
        if xp is np:
            sigma = np.asarray(sigma, dtype=float)
            if sigma.ndim == 1:                             # a model with one noise level
                sigma = sigma[:, None]
            return np.exp(np.clip(sigma * self._noise[task][:, None], -LOG_RUN_CAP,
                                  LOG_RUN_CAP))
        import torch

        sigma = torch.as_tensor(sigma, dtype=torch.float64)
        if sigma.ndim == 1:
            sigma = sigma[:, None]
        eps = torch.as_tensor(self._noise[task], dtype=torch.float64)[:, None]
        return torch.exp(torch.clamp(sigma * eps, -LOG_RUN_CAP, LOG_RUN_CAP))

    def __call__(self, X: Any, run: bool | None = None) -> Any:
        """Error draws of every task, shape ``(S, b, T)`` (tasks in ``self.tasks`` order);
        run-level unless ``run=False`` or the problem asks for expected errors."""
        xp = _namespace(X)
        return xp.stack([self.task_draws(t, X, run) for t in self.tasks], -1)

    def current(self, run: bool | None = False) -> np.ndarray:
        """Error draws at the current operating point, shape ``(S, T)`` (the expected
        error unless ``run``)."""
        return np.asarray(self(np.zeros((1, len(self.problem.sources))), run))[:, 0, :]


def choose_route(stack: Any, route_choice: str = "expected", values: Any = None) -> Any:
    """Error draws ``(S, b)`` of the chosen route from the routes' draws ``(R, S, b)``.

    ``expected``: per batch point, the route with the lowest mean over draws;
    ``hindsight``: the per-draw minimum. ``values`` (same shape, e.g. run-level draws)
    are returned for the route chosen on ``stack`` (default: ``stack`` itself).

    Examples
    --------
    >>> e = np.array([[[1.0], [3.0]], [[2.0], [1.6]]])   # 2 routes x 2 draws x 1 point
    >>> choose_route(e)[:, 0].tolist()                  # route 1 has the lower mean
    [2.0, 1.6]
    >>> choose_route(e, "hindsight")[:, 0].tolist()
    [1.0, 1.6]
    """
    xp = _namespace(stack)
    values = stack if values is None else values
    if route_choice == "hindsight" or stack.shape[0] == 1:
        return values.min(0) if xp is np else values.min(0).values
    pick = stack.mean(1).argmin(0)                        # (b,)
    index = pick[None, None, :].expand(1, *stack.shape[1:]) if xp is not np else \
        np.broadcast_to(pick[None, None, :], (1, *stack.shape[1:]))
    if xp is np:
        return np.take_along_axis(values, index, axis=0)[0]
    return xp.take_along_dim(values, index, dim=0)[0]


def _namespace(x: Any) -> Any:
    if type(x).__module__.split(".")[0] == "torch":
        import torch

        return torch
    return np
