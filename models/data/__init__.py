"""Data layer: the learning-curve contract (:mod:`.contract`) and model inputs (:mod:`.design`)."""
