"""Default settings shared by the library and the command line (no heavy imports here, so
``sim2real --help`` stays fast)."""

DEMO_BUDGET = 1_000_000.0
DEMO_SIM_PRICE = 1.0
DEMO_EXPERIMENT_PRICE = 500.0
DEMO_TARGET_FRACTION = 0.95
DEFAULT_SEED = 20251125
