"""Batch planning: problem spec, BoTorch optimizer, integer repair, baselines, rounds."""
