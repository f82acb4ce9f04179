"""Decision quantities: size to target, P(unreachable), exchange rates, database value.

Pure NumPy core in :mod:`planner.decisions.core`; DataFrame wrappers in
:mod:`planner.decisions.tables`.
"""

from sim2real.planner.decisions.tables import (
    database_value_table,
    exchange_table,
    required_size_table,
)

__all__ = ["database_value_table", "exchange_table", "required_size_table"]
