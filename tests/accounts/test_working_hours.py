"""Working hours as plain functions: open or not at an instant, the next opening across weekends,
holidays and DST changes (Moscow's historical ones, New York's yearly ones), and the JSON form with
its errors."""

from datetime import UTC, date, datetime, time

import pytest

from accounts.working_hours import (
    END_OF_DAY,
    WEEKDAYS,
    HoursJson,
    OpenRange,
    WorkingHours,
    hours_as_json,
    hours_from_storage,
    is_open,
    next_opening,
    parse_hours,
    ranges_as_text,
    ranges_from_text,
    stored_schedule,
)
from core.errors import InvalidInput


def weekdays_nine_to_six(timezone: str, *, holidays: frozenset[date] = frozenset()) -> WorkingHours:
    workday = (OpenRange(time(9), time(18)),)
    return WorkingHours(timezone=timezone, week=(workday,) * 5 + ((), ()), holidays=holidays)


def every_day(timezone: str, *spans: OpenRange) -> WorkingHours:
    return WorkingHours(timezone=timezone, week=(tuple(spans),) * 7)


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_no_schedule_means_always_open() -> None:
    always = WorkingHours()
    assert always.always_open
    assert is_open(always, utc(2026, 11, 22, 3, 0))
    assert next_opening(always, utc(2026, 11, 22, 3, 0)) == utc(2026, 11, 22, 3, 0)


def test_open_within_the_local_hours_and_closed_outside_them() -> None:
    moscow = weekdays_nine_to_six("Europe/Moscow")  # UTC+3 all year since 2014
    assert not is_open(moscow, utc(2026, 11, 20, 5, 59))  # Friday 08:59 in Moscow
    assert is_open(moscow, utc(2026, 11, 20, 6, 0))  # 09:00
    assert is_open(moscow, utc(2026, 11, 20, 14, 59))  # 17:59
    assert not is_open(moscow, utc(2026, 11, 20, 15, 0))  # 18:00: closing time is not open
    assert not is_open(moscow, utc(2026, 11, 21, 10, 0))  # Saturday
    assert is_open(moscow, utc(2026, 7, 15, 6, 0))  # 09:00 in summer too: no DST any more


def test_the_next_opening_after_friday_evening_is_monday_morning() -> None:
    moscow = weekdays_nine_to_six("Europe/Moscow")
    friday_evening = utc(2026, 11, 20, 16, 0)  # 19:00 in Moscow
    assert next_opening(moscow, friday_evening) == utc(2026, 11, 23, 6, 0)  # Monday 09:00 MSK
    assert next_opening(moscow, utc(2026, 11, 20, 10, 0)) == utc(2026, 11, 20, 10, 0)  # open: now


def test_a_holiday_is_closed_all_day_and_skipped_by_the_next_opening() -> None:
    new_year = weekdays_nine_to_six("Europe/Moscow", holidays=frozenset({date(2026, 12, 31), date(2027, 1, 1)}))
    assert not is_open(new_year, utc(2026, 12, 31, 9, 0))  # Thursday noon, but a holiday
    assert next_opening(new_year, utc(2026, 12, 30, 16, 0)) == utc(2027, 1, 4, 6, 0)  # Monday after


def test_no_opening_within_two_weeks_is_none() -> None:
    closed_for_a_month = weekdays_nine_to_six("UTC", holidays=frozenset(date(2026, 12, day) for day in range(1, 32)))
    assert next_opening(closed_for_a_month, utc(2026, 12, 1, 0, 0)) is None


def test_moscow_clock_changes_move_the_opening_in_utc() -> None:
    moscow = every_day("Europe/Moscow", OpenRange(time(9), time(18)))
    # 2014-10-26 02:00 Moscow went from UTC+4 to UTC+3 for good.
    assert next_opening(moscow, utc(2014, 10, 24, 20, 0)) == utc(2014, 10, 25, 5, 0)  # 09:00 at UTC+4
    assert next_opening(moscow, utc(2014, 10, 25, 20, 0)) == utc(2014, 10, 26, 6, 0)  # 09:00 at UTC+3
    # 2011-03-27 02:00 the clocks went forward to 03:00: an opening at 02:30 is when they jump.
    night = every_day("Europe/Moscow", OpenRange(time(2, 30), time(5)))
    assert next_opening(night, utc(2011, 3, 26, 20, 0)) == utc(2011, 3, 26, 23, 0)  # 03:00 MSK (UTC+4)
    assert not is_open(night, utc(2011, 3, 26, 22, 59))  # 01:59 at UTC+3


def test_new_york_spring_forward_and_fall_back() -> None:
    new_york = every_day("America/New_York", OpenRange(time(9), time(17)))
    # 2026-03-08 02:00 EST -> 03:00 EDT: 09:00 is 14:00 UTC the day before, 13:00 UTC that day.
    assert next_opening(new_york, utc(2026, 3, 7, 0, 0)) == utc(2026, 3, 7, 14, 0)
    assert next_opening(new_york, utc(2026, 3, 7, 23, 0)) == utc(2026, 3, 8, 13, 0)
    assert is_open(new_york, utc(2026, 3, 8, 13, 0))
    assert not is_open(new_york, utc(2026, 3, 8, 12, 59))
    # 2026-11-01 02:00 EDT -> 01:00 EST: 09:00 is 13:00 UTC before, 14:00 UTC that day.
    assert next_opening(new_york, utc(2026, 11, 1, 5, 0)) == utc(2026, 11, 1, 14, 0)
    # A wall time that happens twice opens at its first occurrence (EDT).
    early = every_day("America/New_York", OpenRange(time(1, 30), time(3)))
    assert next_opening(early, utc(2026, 11, 1, 4, 0)) == utc(2026, 11, 1, 5, 30)
    # A range the clocks skip entirely (02:10-02:40 on spring-forward night) is not an opening.
    skipped = every_day("America/New_York", OpenRange(time(2, 10), time(2, 40)))
    assert next_opening(skipped, utc(2026, 3, 8, 5, 0)) == utc(2026, 3, 9, 6, 10)


def test_closing_at_24_00_means_until_midnight() -> None:
    late = parse_hours({"timezone": "UTC", "days": {"mon": [{"opens": "18:00", "closes": "24:00"}]}})
    assert late.week is not None and late.week[0] == (OpenRange(time(18), END_OF_DAY),)
    assert is_open(late, utc(2026, 11, 23, 23, 59, 59))
    assert not is_open(late, utc(2026, 11, 24, 0, 0))
    assert hours_as_json(late)["days"]["mon"] == [{"opens": "18:00", "closes": "24:00"}]


def test_the_json_form_goes_there_and_back() -> None:
    data: HoursJson = {
        "timezone": "America/New_York",
        "always_open": False,
        "days": {
            "mon": [{"opens": "14:00", "closes": "18:00"}, {"opens": "09:00", "closes": "13:00"}],
            "tue": [{"opens": "9:00", "closes": "17:30"}],
            "wed": [],
            "thu": [],
            "fri": [],
            "sat": [],
            "sun": [],
        },
        "holidays": ["2026-12-25", "2026-07-04"],
    }
    hours = parse_hours(data)
    as_json = hours_as_json(hours)
    assert as_json["days"]["mon"] == [{"opens": "09:00", "closes": "13:00"}, {"opens": "14:00", "closes": "18:00"}]
    assert as_json["days"]["tue"] == [{"opens": "09:00", "closes": "17:30"}]
    assert as_json["holidays"] == ["2026-07-04", "2026-12-25"]
    assert parse_hours(as_json) == hours
    stored = stored_schedule(hours)
    assert stored is not None and set(stored) == {"days", "holidays"}
    assert hours_from_storage("America/New_York", stored) == hours
    assert stored_schedule(WorkingHours(timezone="Europe/Moscow")) is None
    assert hours_from_storage("Europe/Moscow", None) == WorkingHours(timezone="Europe/Moscow")
    assert parse_hours({"timezone": "Asia/Tokyo", "always_open": True, "days": {"mon": "ignored"}}).always_open
    assert hours_as_json(WorkingHours())["days"] == {day: [] for day in WEEKDAYS}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "Unknown timezone Mars/Olympus: choose one like Europe/Moscow."),
        ({"timezone": "../../etc/passwd"}, "timezone", "Unknown timezone ../../etc/passwd"),
        ({"timezone": 3}, "timezone", "Unknown timezone 3"),
        (
            {"days": {"mon": [{"opens": "18:00", "closes": "09:00"}]}},
            "days.mon",
            "The closing time 09:00 must be after the opening time 18:00.",
        ),
        (
            {"days": {"tue": [{"opens": "09:00", "closes": "09:00"}]}},
            "days.tue",
            "The closing time 09:00 must be after the opening time 09:00.",
        ),
        (
            {"days": {"wed": [{"opens": "09:00", "closes": "13:00"}, {"opens": "12:00", "closes": "18:00"}]}},
            "days.wed",
            "The hours 09:00–13:00 and 12:00–18:00 overlap.",
        ),
        ({"days": {"thu": [{"opens": "9am", "closes": "18:00"}]}}, "days.thu", "Write times as HH:MM"),
        ({"days": {"fri": [{"opens": "24:00", "closes": "24:00"}]}}, "days.fri", "Write times as HH:MM"),
        ({"days": {"sat": [{"opens": "09:00", "closes": "25:00"}]}}, "days.sat", "(got 25:00)"),
        ({"days": {"sun": "09:00-18:00"}}, "days.sun", "Each day is a list of opening hours"),
        ({"days": {"monday": []}}, "days", "Unknown day monday"),
        ({"days": {"mon": []}}, "days", "Open at least one day, or choose always open."),
        (
            {"days": {"mon": [{"opens": "09:00", "closes": "18:00"}]}, "holidays": ["2026-02-30"]},
            "holidays",
            "Holidays are dates written as YYYY-MM-DD (got 2026-02-30).",
        ),
        ({"days": {"mon": [{"opens": "09:00", "closes": "18:00"}]}, "holidays": ["31.12.2026"]}, "holidays", "31.12"),
    ],
)
def test_bad_hours_are_refused_with_a_readable_message_naming_the_field(
    data: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_hours(data)
    assert refused.value.params["field"] == field
    assert message in refused.value.message


def test_hours_written_as_text_for_the_settings_form() -> None:
    assert ranges_from_text("09:00–13:00, 14:00 - 18:00;", day="mon") == [
        {"opens": "09:00", "closes": "13:00"},
        {"opens": "14:00", "closes": "18:00"},
    ]
    assert ranges_from_text("  ", day="mon") == []
    assert ranges_as_text((OpenRange(time(9), time(13)), OpenRange(time(14), END_OF_DAY))) == "09:00–13:00, 14:00–24:00"
    with pytest.raises(InvalidInput) as refused:
        ranges_from_text("from nine to six", day="fri")
    assert refused.value.params["field"] == "days.fri"
    assert "(got from nine to six)" in refused.value.message
