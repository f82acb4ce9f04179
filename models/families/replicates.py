"""Replicate structure: runs that share a seed's real split share an offset in log error.

In this project's sweeps (and most learning-curve studies) a seed fixes the real train /
test split, and every run of that seed in a task, scratch and transfer, every size, is
scored on the same test set. Their errors move together: on the project's curves the
per-(task, seed) mean residual has 2-20x the variance independent replicates imply
(band gap 10.9x, MP transfer 19.5x, RadonPy 2.1x; ``benchmarks/sections/noise.md``).
Counting such replicates as independent overstates how well the mean curve is known.

With ``ModelSpec(replicates="split")`` (the default ``"auto"``) every row of split group
``s = (task, seed)`` (:func:`models.data.design.split_groups`) gets the offset ``u_s``::

    log(error_i / scale) = mean_i + u_{s_i} + sigma_i eps_i,
    u_s = split_sigma * split_z[s],   split_z ~ Normal(0, 1),   split_sigma ~ HN(0.1)

The expected error (the mean curve) averages over splits. A *new* training run has a new
split, so its scatter around the mean curve is ``sqrt(sigma(x)^2 + split_sigma^2)``: that
is what :meth:`Posterior.noise_draws` returns, and what the planner's run-level
probabilities and the backtest's predictive intervals use. ``replicates="independent"``
is the model of release 0.2 (files written before the option read so).

Examples
--------
>>> import numpy as np
>>> round(float(run_sigma(np.array(0.3), np.array(0.4))), 3)
0.5
"""

from __future__ import annotations

from typing import Any

from sim2real.models.families.priors import Prior

#: Replicate kinds of :class:`~models.inference.spec.ModelSpec` (``auto`` = ``split``).
KINDS = ("auto", "split", "independent")
#: Default prior of the split effects' scale (log error units).
PRIORS: dict[str, Prior] = {"split_sigma": Prior("HalfNormal", sigma=0.1)}
#: Stored name of the per-split offsets.
EFFECT = "split_effect"


def resolve(kind: str) -> str:
    """``"split"`` or ``"independent"`` for a spec's ``replicates`` field."""
    return "split" if kind == "auto" else kind


def run_sigma(sigma: Any, split_sigma: Any) -> Any:
    """Scatter of a new run (new split) around the mean curve (NumPy or torch)."""
    return (sigma**2 + split_sigma**2) ** 0.5
