"""The small interface the decision layer needs from any fitted learning-curve model.

Any object with these members can be planned on: the PyMC posteriors in
:mod:`models`, the two-axis surfaces, or a hand-built posterior in a test.

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
