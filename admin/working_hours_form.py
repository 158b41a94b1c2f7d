"""The working hours form on the Settings page: what it shows and what was typed into it (kept when
it is refused), one line of text per weekday ("09:00–13:00, 14:00–18:00"), one holiday per line."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from babel.dates import format_time

from accounts.working_hours import (
    WEEKDAYS,
    WorkingHours,
    is_open,
    next_opening,
    parse_hours,
    ranges_as_text,
    ranges_from_text,
)
from admin.forms import FormData, text_field
from core.i18n import N_, gettext, when_text

WEEKDAY_NAMES = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


@cache
def timezone_names() -> tuple[str, ...]:
    """Every IANA timezone this machine knows, sorted (read from disk once)."""
    return tuple(sorted(zoneinfo.available_timezones()))


@dataclass(frozen=True)
class HoursForm:
    timezone: str
    always_open: bool
    days: Mapping[str, str]  # weekday -> its hours as text
    holidays: str  # one YYYY-MM-DD per line

    @classmethod
    def of(cls, hours: WorkingHours) -> HoursForm:
        week = hours.week or ((),) * len(WEEKDAYS)
        return cls(
            timezone=hours.timezone,
            always_open=hours.always_open,
            days={day: ranges_as_text(spans) for day, spans in zip(WEEKDAYS, week, strict=True)},
            holidays="\n".join(sorted(day.isoformat() for day in hours.holidays)),
        )

    @classmethod
    def from_post(cls, form: FormData) -> HoursForm:
        return cls(
            timezone=text_field(form, "timezone").strip(),
            always_open=text_field(form, "always_open") == "on",
            days={day: text_field(form, f"day_{day}").strip() for day in WEEKDAYS},
            holidays="\n".join(text_field(form, "holidays").strip().splitlines()),
        )

    def checked(self) -> WorkingHours:
        """The hours this form describes, or InvalidInput saying what to fix."""
        days = {} if self.always_open else {day: ranges_from_text(text, day=day) for day, text in self.days.items()}
        holidays = [line.strip() for line in self.holidays.splitlines() if line.strip()]
        return parse_hours(
            {"timezone": self.timezone, "always_open": self.always_open, "days": days, "holidays": holidays}
        )


def weekdays() -> list[tuple[str, str]]:
    return list(zip(WEEKDAYS, WEEKDAY_NAMES, strict=True))


def state_now(hours: WorkingHours, now: datetime, locale: str) -> str | None:
    """ "Open now (14:05 there)." or "Closed now (20:10 there); opens tomorrow at 09:00." — None when always open."""
    if hours.always_open:
        return None
    local = format_time(now, format="short", tzinfo=zoneinfo.ZoneInfo(hours.timezone), locale=locale)
    if is_open(hours, now):
        return gettext("Open now ({time} there).").format(time=local)
    opening = next_opening(hours, now)
    if opening is None:
        return gettext("Closed now ({time} there).").format(time=local)
    when = when_text(opening, now=now, timezone=hours.timezone, locale=locale, translate=gettext)
    return gettext("Closed now ({time} there); opens {when}.").format(time=local, when=when)
