"""Learning-curve data contract and Bayesian models of Sim2Real learning curves.

The package reads bottom-up in layers, each importing only the ones before it:

``data`` (contract, design) -> ``families`` (one :class:`~models.families.base.Family` per
curve form or surface, priors, ops) -> ``inference`` (spec, build, fit, diagnostics) ->
``posterior`` (one Posterior type, storage) -> ``evaluation`` (compare, backtest, scoring,
point-estimate models). Heavy libraries (PyMC, nutpie, torch) are imported lazily.
"""
