"""Billing periods are UTC calendar months."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from billing.periods import next_period, parse_period, period_bounds, period_start, previous_periods
from core.errors import InvalidInput

MOSCOW = timezone(timedelta(hours=3))


def test_period_start_is_the_first_day_of_the_utc_month() -> None:
    assert period_start(datetime(2026, 11, 30, 23, 59, tzinfo=UTC)) == date(2026, 11, 1)
    assert period_start(datetime(2026, 12, 1, 0, 0, tzinfo=UTC)) == date(2026, 12, 1)


def test_period_start_counts_in_utc_not_local_time() -> None:
    # 02:00 on 1 December in Moscow is still 30 November in UTC.
    assert period_start(datetime(2026, 12, 1, 2, 0, tzinfo=MOSCOW)) == date(2026, 11, 1)


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        period_start(datetime(2026, 11, 5, 12, 0))  # noqa: DTZ001  (the point of the test)


def test_bounds_are_aware_utc_and_half_open() -> None:
    assert period_bounds(date(2026, 12, 1)) == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert next_period(date(2026, 1, 1)) == date(2026, 2, 1)


def test_a_period_is_named_by_the_first_day_of_its_month() -> None:
    with pytest.raises(ValueError, match="first day"):
        period_bounds(date(2026, 11, 15))


@pytest.mark.parametrize(("text", "period"), [("2026-11", date(2026, 11, 1)), (" 2027-01 ", date(2027, 1, 1))])
def test_parse_period(text: str, period: date) -> None:
    assert parse_period(text) == period


@pytest.mark.parametrize("text", ["", "2026-13", "2026-00", "26-11", "2026-1", "2026-11-01", "november", "0000-05"])
def test_garbage_periods_are_invalid_input_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_period(text)
    assert caught.value.params == {"field": "period"}
    assert "YYYY-MM" in caught.value.message


def test_previous_periods_end_with_the_given_one_newest_first() -> None:
    assert previous_periods(date(2026, 2, 1), 3) == [date(2026, 2, 1), date(2026, 1, 1), date(2025, 12, 1)]
    assert len(set(previous_periods(date(2026, 11, 1), 12))) == 12
    assert previous_periods(date(2026, 11, 1), 0) == []
