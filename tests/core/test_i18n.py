"""Saying when something happens, as people in a timezone say it, in English and Russian."""

from datetime import UTC, datetime

import pytest

from core.i18n import load_catalogs, translator, when_text

NOW = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # Friday 19:00 in Moscow, 11:00 in New York


@pytest.mark.parametrize(
    ("at", "timezone", "locale", "said"),
    [
        (datetime(2026, 11, 20, 17, 30, tzinfo=UTC), "Europe/Moscow", "ru", "сегодня в 20:30"),
        (datetime(2026, 11, 21, 6, 0, tzinfo=UTC), "Europe/Moscow", "ru", "завтра в 09:00"),
        (datetime(2026, 11, 23, 6, 0, tzinfo=UTC), "Europe/Moscow", "ru", "23 ноября в 09:00"),
        (datetime(2026, 11, 23, 6, 0, tzinfo=UTC), "Europe/Moscow", "en", "on November 23 at 9:00 AM"),
        # 22:00 UTC is still "today" in New York (17:00) but already tomorrow in Moscow (01:00).
        (datetime(2026, 11, 20, 22, 0, tzinfo=UTC), "America/New_York", "en", "today at 5:00 PM"),
        (datetime(2026, 11, 20, 22, 0, tzinfo=UTC), "Europe/Moscow", "en", "tomorrow at 1:00 AM"),
    ],
)
def test_when_is_said_in_the_timezone_and_language(at: datetime, timezone: str, locale: str, said: str) -> None:
    translate = translator(load_catalogs(), locale)
    text = when_text(at, now=NOW, timezone=timezone, locale=locale, translate=translate)
    assert text.replace("\u202f", " ") == said  # CLDR puts a narrow no-break space before AM/PM
