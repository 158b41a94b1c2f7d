"""Interface language: gettext catalogs (Babel .po files compiled in memory at startup), the
language of the current request, and negotiation from the operator's setting or Accept-Language."""

from __future__ import annotations

import functools
import gettext as stdlib_gettext
import io
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from core.languages import preferred_languages

LOCALES = ("en", "ru")
LOCALE_NAMES = {"en": "English", "ru": "Русский"}
CATALOG_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGE_COOKIE = "firstline_lang"

Catalogs = Mapping[str, stdlib_gettext.NullTranslations]

_UNTRANSLATED = stdlib_gettext.NullTranslations()
_active: ContextVar[stdlib_gettext.NullTranslations | None] = ContextVar("translations", default=None)
_active_locale: ContextVar[str] = ContextVar("locale", default="en")


def load_catalogs(directory: Path = CATALOG_DIR) -> Catalogs:
    catalogs: dict[str, stdlib_gettext.NullTranslations] = {"en": stdlib_gettext.NullTranslations()}
    for locale in LOCALES[1:]:
        with open(directory / locale / "LC_MESSAGES" / "messages.po", "rb") as po_file:
            catalog = read_po(po_file, locale=locale)
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        catalogs[locale] = stdlib_gettext.GNUTranslations(compiled)
    return catalogs


@functools.cache
def bundled_catalogs() -> Catalogs:
    """The catalogs shipped with Firstline, loaded once per process: for text written outside a
    request (a bot's note to operators, in the workspace's language)."""
    return load_catalogs()


def activate(catalogs: Catalogs, locale: str) -> None:
    """Use `locale` for the rest of the current request (task)."""
    chosen = locale if locale in catalogs else "en"
    _active.set(catalogs[chosen])
    _active_locale.set(chosen)


def active_locale() -> str:
    return _active_locale.get()


def gettext(message: str) -> str:
    return (_active.get() or _UNTRANSLATED).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return (_active.get() or _UNTRANSLATED).ngettext(singular, plural, count)


def N_(message: str) -> str:  # noqa: N802  (the gettext convention for "mark only, translate later")
    return message


def negotiate(accept_language: str, *, cookie: str | None, default: str) -> str:
    """The language for someone not logged in (or without a setting): cookie, then the browser's list."""
    if cookie in LOCALES:
        return cookie
    for language in preferred_languages(accept_language):
        if language in LOCALES:
            return language
    return default


def translator(catalogs: Catalogs, locale: str) -> Callable[[str], str]:
    """gettext for one language, independent of the current request's."""
    return (catalogs.get(locale) or catalogs["en"]).gettext


def when_text(at: datetime, *, now: datetime, timezone: str, locale: str, translate: Callable[[str], str]) -> str:
    """`at` as people in `timezone` say it in `locale`: "today at 9:00 AM", "tomorrow at 09:00",
    "on November 24 at 9:00 AM" ("24 ноября в 09:00")."""
    zone = ZoneInfo(timezone)
    local, today = at.astimezone(zone), now.astimezone(zone).date()
    clock = format_time(local, format="short", locale=locale)
    if local.date() == today:
        return translate(N_("today at {time}")).format(time=clock)
    if local.date() == today + timedelta(days=1):
        return translate(N_("tomorrow at {time}")).format(time=clock)
    day = format_skeleton("MMMMd", local, locale=locale)
    return translate(N_("on {date} at {time}")).format(date=day, time=clock)
