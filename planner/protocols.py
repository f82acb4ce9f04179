"""The small interface the decision layer needs from any fitted learning-curve model.

Any object with these members can be planned on: the posterior of any model family
(:class:`models.posterior.base.Posterior`, single-axis curves and two-axis surfaces alike),
the point models of :mod:`models.evaluation.point_draws`, or a hand-built model in a test.

Two further members are optional closed forms (:class:`RouteClosedForms`); the decision
layer looks them up with ``getattr`` and, where a model lacks them or returns ``None``,
inverts the model's error draws on a grid instead (:mod:`planner.decisions.curves`).

Examples
--------
>>> import numpy as np
>>> class Fixed:
...     n_draws = 2
...     def error_draws(self, task, sim_source, n_sim, n_real):
...         n = np.asarray(n_sim, dtype=float)
...         c = np.array([[0.1], [0.2]])
...         return c + 1.0 * (1.0 + n) ** -0.5
>>> isinstance(Fixed(), ErrorModel)
True
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class ErrorModel(Protocol):
    """Posterior draws of the expected real-world test error at any operating point.

    Attributes
    ----------
    n_draws : int
        Number of posterior draws S (chains x draws, flattened).

    Methods
    -------
    error_draws(task, sim_source, n_sim, n_real)
        Posterior draws of the expected error of ``task`` when a model is pre-trained on
        ``n_sim`` samples of the computational database ``sim_source`` (``"none"`` and
        ``n_sim = 0`` for learning from scratch) and fine-tuned on ``n_real`` real samples.
        ``n_sim`` and ``n_real`` are broadcastable 1-D arrays of length Q (or scalars);
        the result has shape ``(S, Q)``. NumPy inputs give a NumPy array; ``torch.Tensor``
        inputs give a float64 ``torch.Tensor`` that is differentiable with respect to the
        sizes (used by the BoTorch optimizer). Raises
        :class:`models.errors.UnknownCurveError` when the operating point is outside what
        the model describes (unknown task/source, or an axis it was not fitted on).
    """

    @property
    def n_draws(self) -> int:
        """Number of posterior draws S."""
        ...

    def error_draws(self, task: str, sim_source: str, n_sim: Any, n_real: Any) -> Any:
        """Return posterior draws of the expected error, shape ``(S, Q)``."""
        ...


@runtime_checkable
class RouteClosedForms(Protocol):
    """Optional closed forms along a *route* (one varying size through an operating point).

    The route through ``(task, sim_source, n_sim, n_real)`` varies the model's primary size
    there: ``n_real`` learning from scratch (``sim_source = "none"``), ``n_sim`` along a
    database's curve, the other size held at its value in the arguments. Both methods
    return ``None`` when the model has no closed form along that route (e.g. a database
    route of a two-axis surface, or a family without one); the caller then inverts
    :meth:`ErrorModel.error_draws` on a grid.

    Methods
    -------
    route_floor(task, sim_source, n_sim, n_real)
        Draws ``(S,)`` of the error as the route's size grows without bound (``0`` for a
        law without a floor), or ``None``.
    route_size_to_reach(task, sim_source, n_sim, n_real, target)
        Draws ``(S,)`` of the smallest size on the route whose expected error reaches
        ``target`` (``inf``: never, the floor is at or above it), or ``None``. ``target``
        is one error or one per draw, shape ``(S,)`` (draw-wise inversion, used for the
        equivalent real sample size of the exchange rates).

    Examples
    --------
    >>> class Floorless:
    ...     n_draws = 1
    ...     def error_draws(self, task, sim_source, n_sim, n_real): ...
    ...     def route_floor(self, task, sim_source, n_sim, n_real):
    ...         return None
    ...     def route_size_to_reach(self, task, sim_source, n_sim, n_real, target):
    ...         return None
    >>> isinstance(Floorless(), RouteClosedForms)
    True
    """

    def route_floor(self, task: str, sim_source: str, n_sim: float,
                    n_real: float) -> Any:
        """Draws ``(S,)`` of the floor along the route, or ``None``."""
        ...

    def route_size_to_reach(self, task: str, sim_source: str, n_sim: float, n_real: float,
                            target: Any) -> Any:
        """Draws ``(S,)`` of the route's size reaching ``target``, or ``None``."""
        ...
