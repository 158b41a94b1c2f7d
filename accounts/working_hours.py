"""A workspace's working hours: its timezone, a weekly schedule of opening hours and holidays (closed
all day); whether it is open at an instant and when it opens next, across DST changes (pure: the
standard library and zoneinfo). No schedule at all means always open, the default."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import InvalidInput

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # Monday first, as date.weekday() counts
DEFAULT_TIMEZONE = "UTC"
MAX_TIMEZONE_LENGTH = 64
END_OF_DAY = time.max  # a closing time of "24:00": open until midnight
MAX_RANGES_PER_DAY = 6
MAX_HOLIDAYS = 400
LOOK_AHEAD_DAYS = 14
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RANGE_TEXT = re.compile(r"^\s*(\S+?)\s*[-–—]\s*(\S+)\s*$")


@dataclass(frozen=True)
class OpenRange:
    opens: time
    closes: time  # END_OF_DAY: until midnight


@dataclass(frozen=True)
class WorkingHours:
    timezone: str = DEFAULT_TIMEZONE
    week: tuple[tuple[OpenRange, ...], ...] | None = None  # seven days, Monday first; None: always open
    holidays: frozenset[date] = frozenset()

    @property
    def always_open(self) -> bool:
        return self.week is None


class RangeJson(TypedDict):
    opens: str
    closes: str


class HoursJson(TypedDict):
    timezone: str
    always_open: bool
    days: dict[str, list[RangeJson]]
    holidays: list[str]


class StoredSchedule(TypedDict):
    """What `workspaces.working_hours` holds (the timezone has its own column)."""

    days: dict[str, list[RangeJson]]
    holidays: list[str]


def is_open(hours: WorkingHours, at: datetime) -> bool:
    if hours.week is None:
        return True
    local = at.astimezone(ZoneInfo(hours.timezone))
    if local.date() in hours.holidays:
        return False
    wall = local.time()
    return any(span.opens <= wall < span.closes for span in hours.week[local.weekday()])


def next_opening(hours: WorkingHours, at: datetime) -> datetime | None:
    """`at` itself when open then; else the next instant (UTC) it opens within LOOK_AHEAD_DAYS, or None."""
    if is_open(hours, at) or hours.week is None:
        return at
    zone = ZoneInfo(hours.timezone)
    today = at.astimezone(zone).date()
    for offset in range(LOOK_AHEAD_DAYS + 1):
        day = today + timedelta(days=offset)
        if day in hours.holidays:
            continue
        for span in hours.week[day.weekday()]:
            opening = _first_instant_at_or_after(day, span.opens, zone)
            # An opening the clocks skip entirely (02:10-02:40 on a spring-forward night) is no opening.
            if opening > at and is_open(hours, opening):
                return opening
    return None


def _first_instant_at_or_after(day: date, wall: time, zone: ZoneInfo) -> datetime:
    naive = datetime.combine(day, wall)
    instant = naive.replace(tzinfo=zone).astimezone(UTC)  # fold=0: the first of a repeated wall time
    if instant.astimezone(zone).replace(tzinfo=None) == naive:
        return instant
    # Spring forward skips this wall time: the first instant past it is the jump itself, found by
    # bisecting (in whole seconds) between the two readings of the wall time, one on each side of it.
    low, high = int(naive.replace(tzinfo=zone, fold=1).timestamp()), int(instant.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(zone).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def check_timezone(name: str) -> str:
    try:
        if len(name) > MAX_TIMEZONE_LENGTH:
            raise ValueError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            "Unknown timezone {timezone}: choose one like Europe/Moscow.", field="timezone", timezone=name[:64]
        ) from None
    return name


def parse_hours(data: Mapping[str, object]) -> WorkingHours:
    """Working hours from their JSON form (`HoursJson`), or InvalidInput naming the field."""
    timezone = data.get("timezone", DEFAULT_TIMEZONE)
    timezone = check_timezone(timezone if isinstance(timezone, str) else str(timezone))
    if data.get("always_open", False) is True:
        return WorkingHours(timezone=timezone)
    week = tuple(_parse_day(day, _day_of(data.get("days"), day)) for day in WEEKDAYS)
    if not any(week):
        raise InvalidInput("Open at least one day, or choose always open.", field="days")
    return WorkingHours(timezone=timezone, week=week, holidays=_parse_holidays(data.get("holidays", [])))


def _day_of(days: object, day: str) -> object:
    if days is None:
        return []
    if not isinstance(days, Mapping):
        raise _not_a_list_of_ranges("days")
    unknown = sorted(str(key) for key in days if key not in WEEKDAYS)
    if unknown:
        raise InvalidInput(
            "Unknown day {day}: use mon, tue, wed, thu, fri, sat or sun.", field="days", day=unknown[0][:10]
        )
    return days.get(day, [])


def _parse_day(day: str, ranges: object) -> tuple[OpenRange, ...]:
    field = f"days.{day}"
    if not isinstance(ranges, list):
        raise _not_a_list_of_ranges(field)
    if len(ranges) > MAX_RANGES_PER_DAY:
        raise InvalidInput("At most {most} opening hours a day.", field=field, most=MAX_RANGES_PER_DAY)
    spans = sorted((_parse_range(field, item) for item in ranges), key=lambda span: span.opens)
    for earlier, later in pairwise(spans):
        if later.opens < earlier.closes:
            raise InvalidInput(
                "The hours {first} and {second} overlap.",
                field=field,
                first=_range_text(earlier),
                second=_range_text(later),
            )
    return tuple(spans)


def _parse_range(field: str, item: object) -> OpenRange:
    if not isinstance(item, Mapping):
        raise _not_a_list_of_ranges(field)
    opens = _parse_time(field, item.get("opens"), end_of_day=False)
    closes = _parse_time(field, item.get("closes"), end_of_day=True)
    if closes <= opens:
        raise InvalidInput(
            "The closing time {closes} must be after the opening time {opens}.",
            field=field,
            opens=_time_text(opens),
            closes=_time_text(closes),
        )
    return OpenRange(opens, closes)


def _parse_time(field: str, value: object, *, end_of_day: bool) -> time:
    match = _TIME.match(value) if isinstance(value, str) else None
    if match is not None:
        hour, minute = int(match[1]), int(match[2])
        if end_of_day and (hour, minute) == (24, 0):
            return END_OF_DAY
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise InvalidInput("Write times as HH:MM, like 09:00 (got {value}).", field=field, value=str(value)[:20])


def _parse_holidays(values: object) -> frozenset[date]:
    if not isinstance(values, list):
        raise InvalidInput("Holidays are dates written as YYYY-MM-DD (got {value}).", field="holidays", value="")
    if len(values) > MAX_HOLIDAYS:
        raise InvalidInput("At most {most} holidays.", field="holidays", most=MAX_HOLIDAYS)
    return frozenset(_parse_date(value) for value in values)


def _parse_date(value: object) -> date:
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidInput(
        "Holidays are dates written as YYYY-MM-DD (got {value}).", field="holidays", value=str(value)[:20]
    )


def _not_a_list_of_ranges(field: str) -> InvalidInput:
    return InvalidInput("Each day is a list of opening hours, each with opens and closes times.", field=field)


def hours_as_json(hours: WorkingHours) -> HoursJson:
    week = hours.week or ((),) * len(WEEKDAYS)
    return {
        "timezone": hours.timezone,
        "always_open": hours.always_open,
        "days": {day: [_range_json(span) for span in spans] for day, spans in zip(WEEKDAYS, week, strict=True)},
        "holidays": sorted(day.isoformat() for day in hours.holidays),
    }


def stored_schedule(hours: WorkingHours) -> StoredSchedule | None:
    if hours.always_open:
        return None
    as_json = hours_as_json(hours)
    return {"days": as_json["days"], "holidays": as_json["holidays"]}


def hours_from_storage(timezone: str, stored: Mapping[str, object] | None) -> WorkingHours:
    if stored is None:
        return WorkingHours(timezone=timezone)
    return parse_hours({"timezone": timezone, "always_open": False, **stored})


def _range_json(span: OpenRange) -> RangeJson:
    return {"opens": _time_text(span.opens), "closes": _time_text(span.closes)}


def _time_text(value: time) -> str:
    return "24:00" if value == END_OF_DAY else value.strftime("%H:%M")


def _range_text(span: OpenRange) -> str:
    return f"{_time_text(span.opens)}–{_time_text(span.closes)}"


def ranges_as_text(spans: Sequence[OpenRange]) -> str:
    """One day's hours as people write them: "09:00–13:00, 14:00–18:00" ("" when closed)."""
    return ", ".join(_range_text(span) for span in spans)


def ranges_from_text(text: str, *, day: str) -> list[RangeJson]:
    """The JSON form of one day's hours written as text (the settings form); checked by `parse_hours`."""
    ranges: list[RangeJson] = []
    for part in re.split(r"[,;]", text):
        if part.strip() == "":
            continue
        match = _RANGE_TEXT.match(part)
        if match is None:
            raise InvalidInput(
                "Write opening hours like 09:00–18:00 and separate several with commas (got {value}).",
                field=f"days.{day}",
                value=part.strip()[:40],
            )
        ranges.append({"opens": match[1], "closes": match[2]})
    return ranges
