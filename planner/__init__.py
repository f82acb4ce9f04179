"""Decision layer: sample size to target, exchange rates, BoTorch planning, reports, CLI."""
