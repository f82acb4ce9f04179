"""Posterior layer: one :class:`~models.posterior.base.Posterior` for every family, and its
self-describing files (:mod:`.storage`)."""
