"""Pure formatting helpers of the decision report (numbers in, short strings out).

Every helper is total: ``None``, NaN and infinities give a readable string instead of an
exception, so templates never break on a missing number. The same helpers format the HTML
report and are used by the tests to find report.json's numbers in it.

Examples
--------
>>> fmt_num(0.51234), fmt_size(1234567), fmt_pct(0.912), fmt_interval(0.48, 0.55)
('0.512', '1.23 M', '91%', '[0.480, 0.550]')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

MISSING = "n/a"
NEVER = "never"


def _finite(value: Any) -> float | None:
    """``float(value)`` when it is a finite number, else ``None``."""
    if value is None or isinstance(value, bool):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def fmt_num(value: Any, digits: int = 3, trim: bool = False) -> str:
    """A number to ``digits`` significant digits (no exponent between 1e-4 and 1e6).

    Trailing zeros are kept (``0.530``) unless the number is whole or ``trim`` is set.

    Examples
    --------
    >>> fmt_num(0.000123456), fmt_num(12.0), fmt_num(2.5e7), fmt_num(None), fmt_num(0.53)
    ('0.000123', '12', '2.5e+7', 'n/a', '0.530')
    >>> fmt_num(float("inf"))
    '∞'
    """
    x = _finite(value)
    if x is None:
        return _nonfinite(value)
    if x == 0:
        return "0"
    if 1e-4 <= abs(x) < 1e6:
        decimals = max(digits - 1 - math.floor(math.log10(abs(x))), 0)
        text = f"{x:.{decimals}f}"
        if "." in text and (trim or float(text).is_integer()):
            return text.rstrip("0").rstrip(".")
        return text
    mantissa, exponent = f"{x:.{max(digits - 1, 0)}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent):+d}"


def _nonfinite(value: Any) -> str:
    x = value if isinstance(value, float) else None
    if x is not None and math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return MISSING


def fmt_int(value: Any) -> str:
    """A count with thousands separators.

    Examples
    --------
    >>> fmt_int(1234567), fmt_int(12.0), fmt_int(None)
    ('1,234,567', '12', 'n/a')
    """
    x = _finite(value)
    return _nonfinite(value) if x is None else f"{round(x):,}"


def fmt_size(value: Any, digits: int = 3) -> str:
    """A data-set size: whole counts exact below 100,000, estimates to ``digits``
    significant digits, large sizes in k / M / G; infinite means never.

    Examples
    --------
    >>> fmt_size(800), fmt_size(77326), fmt_size(437257.8), fmt_size(2.5e9)
    ('800', '77,326', '437 k', '2.5 G')
    >>> fmt_size(float("inf")), fmt_size(3e15), fmt_size(999999), fmt_size(87433.4)
    ('never', '3e+15', '1 M', '87,400')
    """
    x = _finite(value)
    if x is None:
        return NEVER if isinstance(value, float) and value == math.inf else MISSING
    if not x.is_integer():  # an estimate: no false precision
        x = float(f"{x:.{digits}g}")
    if abs(x) < 1e5:
        return fmt_int(x)
    x = float(f"{x:.{digits}g}")
    for scale, unit in ((1e12, None), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= scale:
            if unit is None:
                return fmt_num(x, 2, trim=True)
            return f"{fmt_num(x / scale, digits, trim=True)} {unit}"
    return fmt_int(x)  # pragma: no cover - unreachable


def fmt_pct(p: Any) -> str:
    """A probability as a whole percentage, never rounding to a false 0% or 100%.

    Examples
    --------
    >>> fmt_pct(0.2), fmt_pct(0.0001), fmt_pct(0.9996), fmt_pct(0.0), fmt_pct(None)
    ('20%', '<1%', '>99%', '0%', 'n/a')
    """
    x = _finite(p)
    if x is None:
        return MISSING
    if 0 < x < 0.005:
        return "<1%"
    if 0.995 < x < 1:
        return ">99%"
    return f"{100 * x:.0f}%"


def fmt_interval(lo: Any, hi: Any, fmt: Any = None) -> str:
    """A credible interval ``[lo, hi]`` with the same formatter for both ends.

    Examples
    --------
    >>> fmt_interval(0.4812, 0.5466)
    '[0.481, 0.547]'
    >>> fmt_interval(1e5, float("inf"), fmt_size)
    '[100 k, never]'
    """
    f = fmt or fmt_num
    return f"[{f(lo)}, {f(hi)}]"


def fmt_cost(value: Any) -> str:
    """A cost in budget units, with thousands separators and at most 2 decimals.

    Examples
    --------
    >>> fmt_cost(999999.0), fmt_cost(12.5), fmt_cost(None)
    ('999,999', '12.5', 'n/a')
    """
    x = _finite(value)
    if x is None:
        return _nonfinite(value)
    if abs(x - round(x)) < 1e-9:
        return f"{round(x):,}"
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def fmt_rate(value: Any) -> str:
    """Simulations per experiment (2 significant digits; infinite = nothing transfers).

    Examples
    --------
    >>> fmt_rate(3.187), fmt_rate(2300.0), fmt_rate(0.004844), fmt_rate(float("inf"))
    ('3.2', '2,300', '0.0048', '∞')
    """
    x = _finite(value)
    if x is None:
        return _nonfinite(value)
    if abs(x) >= 100:
        return fmt_int(float(f"{x:.2g}"))
    return fmt_num(x, 2)


def fmt_summary(s: Mapping[str, Any], fmt: Any = None) -> str:
    """``mean [q05, q95]`` of a posterior summary mapping.

    Examples
    --------
    >>> fmt_summary({"mean": 0.5147, "q05": 0.4827, "q95": 0.547})
    '0.515 [0.483, 0.547]'
    """
    f = fmt or fmt_num
    return f"{f(s.get('mean'))} {fmt_interval(s.get('q05'), s.get('q95'), f)}"


def slug(text: str) -> str:
    """An HTML id / file-name safe version of ``text``.

    Examples
    --------
    >>> slug("band_gap|mp|n_real=800")
    'band_gap-mp-n_real-800'
    """
    out = "".join(c if c.isalnum() or c in "_-" else "-" for c in str(text))
    return out.strip("-") or "x"


def plural(n: Any, word: str, many: str | None = None) -> str:
    """``"1 experiment"`` / ``"2,000 experiments"``.

    Examples
    --------
    >>> plural(1, "experiment"), plural(2000, "simulation"), plural(3, "task", "tasks")
    ('1 experiment', '2,000 simulations', '3 tasks')
    """
    return f"{fmt_int(n)} {word if _finite(n) == 1 else (many or word + 's')}"
