"""Default settings shared by the library and the command line (no heavy imports here, so
``sim2real --help`` stays fast)."""

DEMO_BUDGET = 1_000_000.0
DEMO_SIM_PRICE = 1.0
DEMO_EXPERIMENT_PRICE = 500.0
DEMO_TARGET_FRACTION = 0.95
DEFAULT_SEED = 20251125
#: Simulated truths of the schedule forecast of ``plan --rounds-left K`` (K - 1 plans each).
FORECAST_WORLDS = 16
#: Simulated truths of ``plan --pilot`` (one plan each per candidate pilot).
PILOT_WORLDS = 16
#: Simulated truths of the report's "what the next measurement is worth" (when the plan
#: it is given has no pilot value yet).
REPORT_PILOT_WORLDS = 8
