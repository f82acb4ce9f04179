"""Inference layer: spec (:mod:`.spec`), the one builder (:mod:`.build`), NUTS fit
(:mod:`.fit`) and convergence diagnostics (:mod:`.diagnostics`)."""
