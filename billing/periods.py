"""Billing periods: UTC calendar months, each named by its first day (pure)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

from core.errors import InvalidInput

_PERIOD = re.compile(r"(\d{4})-(\d{2})")


def period_start(at: datetime) -> date:
    """The first day of the UTC month that `at` falls in."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("billing periods need a timezone-aware datetime")
    utc = at.astimezone(UTC)
    return date(utc.year, utc.month, 1)


def check_period(start: date) -> date:
    if start.day != 1:
        raise ValueError(f"a billing period starts on the first day of a month, not {start.isoformat()}")
    return start


def next_period(start: date) -> date:
    check_period(start)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def period_bounds(start: date) -> tuple[datetime, datetime]:
    """[start, next month's start) as timezone-aware UTC datetimes."""
    return datetime.combine(check_period(start), time(), UTC), datetime.combine(next_period(start), time(), UTC)


def parse_period(text: str) -> date:
    """A period written as YYYY-MM ("2026-11")."""
    match = _PERIOD.fullmatch(text.strip())
    try:
        if match is None:
            raise ValueError(text)
        return date(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise InvalidInput("Choose a month written as YYYY-MM, for example 2026-11.", field="period") from None


def previous_periods(start: date, count: int) -> list[date]:
    """`count` periods ending with `start`, newest first."""
    check_period(start)
    if count < 0:
        raise ValueError("count must not be negative")
    months = start.year * 12 + start.month - 1
    return [date((months - back) // 12, (months - back) % 12 + 1, 1) for back in range(count)]
