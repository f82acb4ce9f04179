"""Per-task error draws after a batch: the modelling convention the planner optimizes.

Convention
----------
A task's error after a batch is the per-draw minimum, over the ways the task can be
learned, of the model's error draws: from scratch on its real data (``sim_source="none"``)
and pre-training on each database available to the task (a team pre-trains on its best
database). Sizes are the current operating point plus the batch. When the model cannot
move a database curve along ``n_real`` (a single-axis family raises
:class:`~models.errors.UnknownCurveError` there; a two-axis surface does not), that curve
is queried at the ``n_real`` it was measured at: a conservative bound that assumes more
real data does not make transfer worse. The model is only ever asked for error draws, so
any family (or any :class:`~planner.protocols.ErrorModel`) is planned on the same way.

Examples
--------
>>> import numpy as np
>>> from planner.optim.problem import OperatingPoint, PlanProblem, Source
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

from models.errors import PlanningError, UnknownCurveError
from planner.optim.problem import NO_SOURCE, PlanProblem
from planner.protocols import ErrorModel


class TaskErrorEvaluator:
    """Map batches ``X`` of shape ``(b, d)`` to task error draws ``(S, b, T)``.

    Works on NumPy arrays and (differentiably) on torch tensors.
    """

    def __init__(self, model: ErrorModel, problem: PlanProblem) -> None:
        self.model = model
        self.problem = problem
        self.tasks = list(problem.tasks)
        self._index = {name: j for j, name in enumerate(problem.names)}
        self._two_axis: dict[tuple[str, str], bool] = {}
        self._options = {t: self._task_options(t) for t in self.tasks}

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

    def _added(self, X: Any, name: str) -> Any:
        j = self._index.get(name)
        if j is None:
            return X[..., 0] * 0.0
        return X[..., j]

    def task_draws(self, task: str, X: Any) -> Any:
        """Error draws of one task, shape ``(S, b)``."""
        op = self.problem.operating
        xp = _namespace(X)
        m = op.n_real[task] + self._added(X, "real:" + task)
        best = None
        for opt in self._options[task]:
            if opt == NO_SOURCE:
                e = self.model.error_draws(task, NO_SOURCE, m * 0.0, m)
            else:
                n = op.n_sim[(task, opt)] + self._added(X, opt)
                m_q = m if self._two_axis[(task, opt)] else m * 0.0 + op.curve_n_real[
                    (task, opt)]
                e = self.model.error_draws(task, opt, n, m_q)
            best = e if best is None else xp.minimum(best, e)
        return best

    def __call__(self, X: Any) -> Any:
        """Error draws of every task, shape ``(S, b, T)`` (tasks in ``self.tasks`` order)."""
        xp = _namespace(X)
        return xp.stack([self.task_draws(t, X) for t in self.tasks], -1)

    def current(self) -> np.ndarray:
        """Error draws at the current operating point, shape ``(S, T)``."""
        return np.asarray(self(np.zeros((1, len(self.problem.sources)))))[:, 0, :]


def _namespace(x: Any) -> Any:
    if type(x).__module__.split(".")[0] == "torch":
        import torch

        return torch
    return np
