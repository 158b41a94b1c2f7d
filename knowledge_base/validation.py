"""What an article or a category may be: locales, visibilities, statuses and size limits (pure)."""

from __future__ import annotations

from enum import StrEnum

from core.errors import InvalidInput

TITLE_MAX = 200
BODY_MAX = 100_000
CATEGORY_NAME_MAX = 120


class Locale(StrEnum):
    RU = "ru"
    EN = "en"


class Visibility(StrEnum):
    PUBLIC = "public"  # the help center, and the bot
    BOT_ONLY = "bot_only"  # the bot may use it; never published on the help center
    INTERNAL = "internal"  # operators only


class ArticleStatus(StrEnum):
    DRAFT = "draft"  # never published
    PUBLISHED = "published"  # has a published revision (the draft may have moved on since)


# PostgreSQL's full-text configuration for each locale.
TEXT_SEARCH_CONFIG = {Locale.RU: "russian", Locale.EN: "english"}


def parse_locale(value: str) -> Locale:
    try:
        return Locale(value)
    except ValueError:
        raise InvalidInput("Choose a language: ru or en.", field="locale") from None


def parse_visibility(value: str) -> Visibility:
    try:
        return Visibility(value)
    except ValueError:
        raise InvalidInput("Choose a visibility: public, bot_only or internal.", field="visibility") from None


def parse_status(value: str) -> ArticleStatus:
    try:
        return ArticleStatus(value)
    except ValueError:
        raise InvalidInput("Choose a status: draft or published.", field="status") from None


def check_title(title: str) -> str:
    cleaned = " ".join(title.split())
    if not cleaned or len(cleaned) > TITLE_MAX:
        raise InvalidInput("An article needs a title of 1 to {limit} characters.", limit=TITLE_MAX, field="title")
    return cleaned


def check_body(body: str) -> str:
    if len(body) > BODY_MAX:
        raise InvalidInput("An article may have at most {limit} characters.", limit=BODY_MAX, field="body")
    return body


def check_category_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > CATEGORY_NAME_MAX:
        raise InvalidInput("A category needs a name of 1 to {limit} characters.", limit=CATEGORY_NAME_MAX, field="name")
    return cleaned
