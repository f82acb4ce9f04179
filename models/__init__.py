"""Learning-curve data contract and Bayesian models of Sim2Real learning curves.

The pipeline reads left to right in this package:
``contract`` (data) -> ``priors``/``spec`` -> ``powerlaw`` (model) -> ``fit`` -> ``posterior``
-> ``diagnostics``.
Heavy libraries (PyMC, nutpie) are imported lazily inside functions.
"""
