"""Decisions about the widget that need no I/O: which origins may embed it, which language it
speaks, whether a site's identity hash is right, and what valid widget settings are (pure)."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from core.errors import InvalidInput
from core.languages import preferred_languages

POSITIONS = ("right", "left")
LANGUAGES = ("auto", "en", "ru")
MAX_ORIGINS = 50
MAX_GREETING = 500
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_HOST = re.compile(r"^(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?|\[[0-9a-f:.]+\])$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_origin(value: str) -> str:
    """`scheme://host[:port]` as browsers send it in `Origin`: lowercase, punycode, no default port."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        raise _not_an_origin(value) from None
    if parts.scheme not in _DEFAULT_PORTS or not host or parts.username is not None or parts.password is not None:
        raise _not_an_origin(value)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise _not_an_origin(value)
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    if _HOST.match(host) is None:
        raise _not_an_origin(value)
    suffix = "" if port is None or port == _DEFAULT_PORTS[parts.scheme] else f":{port}"
    return f"{parts.scheme}://{host}{suffix}"


def _not_an_origin(value: str) -> InvalidInput:
    return InvalidInput(
        "{origin} is not a site address: write scheme://host[:port], for example https://shop.example.",
        field="allowed_origins",
        origin=value.strip(),
    )


def origin_allowed(allowed: Sequence[str], origin: str | None) -> bool:
    """Any origin when the list is empty; otherwise only listed ones, and a request without an
    `Origin` header is refused (a browser always sends one on a cross-site WebSocket or fetch)."""
    if not allowed:
        return True
    if origin is None:
        return False
    try:
        return normalise_origin(origin) in allowed
    except InvalidInput:  # "null" (sandboxed frames, file://) and other non-origins
        return False


def widget_language(setting: str, accept_language: str) -> str:
    """The widget's language: the workspace's fixed one, or for "auto" the first of ru/en the
    browser lists (by preference), English when it lists neither."""
    if setting in ("en", "ru"):
        return setting
    for language in preferred_languages(accept_language):
        if language in ("en", "ru"):
            return language
    return "en"


def identity_hash(secret: str, user_id: str) -> str:
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def identity_hash_valid(secret: str, user_id: str, supplied_hash: str) -> bool:
    """HMAC-SHA256(key=secret, message=user id) in hex, either case, compared in constant time."""
    expected = identity_hash(secret, user_id).encode()
    return hmac.compare_digest(expected, supplied_hash.strip().lower().encode())


def check_color(value: str) -> str:
    if _COLOR.match(value.strip()) is None:
        raise InvalidInput("Choose a color as #rrggbb, for example #2f6fed.", field="color")
    return value.strip().lower()


def check_position(value: str) -> str:
    if value not in POSITIONS:
        raise InvalidInput("Choose where the button sits: left or right.", field="position")
    return value


def check_language(value: str) -> str:
    if value not in LANGUAGES:
        raise InvalidInput("Choose the widget's language: auto, en or ru.", field="language")
    return value


def check_greetings(english: str, russian: str) -> tuple[str, str]:
    english, russian = english.strip(), russian.strip()
    if not 1 <= len(english) <= MAX_GREETING:
        raise InvalidInput(
            "The English greeting must be 1-{max} characters long.", field="greeting_en", max=MAX_GREETING
        )
    if not 1 <= len(russian) <= MAX_GREETING:
        raise InvalidInput(
            "The Russian greeting must be 1-{max} characters long.", field="greeting_ru", max=MAX_GREETING
        )
    return english, russian


def check_origins(values: Sequence[str]) -> list[str]:
    """Each origin normalised, blanks skipped, duplicates dropped (first kept), at most MAX_ORIGINS."""
    origins: list[str] = []
    for value in values:
        if value.strip() == "":
            continue
        origin = normalise_origin(value)
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        raise InvalidInput("List at most {max} sites.", field="allowed_origins", max=MAX_ORIGINS)
    return origins
