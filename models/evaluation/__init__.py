"""Evaluation layer: PSIS-LOO comparison (:mod:`.compare`), extrapolation backtests
(:mod:`.backtest`), scoring rules (:mod:`.scoring`) and point-estimate models
(:mod:`.least_squares`, :mod:`.point_draws`)."""
