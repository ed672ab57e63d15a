"""Months as ``YYYY-MM``: parsing, adding and counting months, the allowed range of a scenario's start and the
anchor month of the cited levels.
"""

from __future__ import annotations

import re

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


START_RANGE = ("2000-01", "2100-12")
"""Allowed range of a scenario's ``start`` (YYYY-MM): years far from the roster's make its initial compute and
budgets overflow."""


ANCHOR_MONTH = "2024-07"
"""The month at which the cited levels of the chip supply, the outside chip demand, the alternative-chip supply and
the developer market are given (mid-2024, the last full year of calibration data); paths grow from it both ways."""


def parse_month(value: str) -> tuple[int, int]:
    """Parse ``"YYYY-MM"`` into ``(year, month)``. Raises ValueError otherwise."""
    m = MONTH_RE.match(str(value))
    if not m:
        raise ValueError(f"{value!r} is not a month; expected YYYY-MM, e.g. 2022-10")
    return int(m.group(1)), int(m.group(2))


def _month_add(start: str, k: int) -> str:
    y, m = parse_month(start)
    n = y * 12 + m - 1 + k
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def month_label(start: str, t: int) -> str:
    """``YYYY-MM`` of month ``t`` (0-based) after ``start`` (``YYYY-MM``; not validated: the model's hot path)."""
    y, m = int(start[:4]), int(start[5:7])
    k = y * 12 + (m - 1) + t
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def month_index(start: str, month: str) -> int:
    """Months from ``start`` to ``month`` (both ``YYYY-MM``); 0 when equal, negative when before."""
    y0, m0 = parse_month(start)
    y1, m1 = parse_month(month)
    return (y1 - y0) * 12 + (m1 - m0)
