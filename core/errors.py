"""The one error hierarchy: domain errors carry a machine-readable code, an HTTP status and a human
message; edges translate them (JSON `{"error": {"code", "message"}}`, a page message, a CLI line)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum


class ErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    ALREADY_TAKEN = "already_taken"
    INVALID_INPUT = "invalid_input"
    INVALID_JSON = "invalid_json"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNAUTHENTICATED = "unauthenticated"
    CSRF_FAILED = "csrf_failed"
    RATE_LIMITED = "rate_limited"
    QUOTA_EXCEEDED = "quota_exceeded"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UNSUPPORTED_TYPE = "unsupported_type"
    CHANNEL_UNAVAILABLE = "channel_unavailable"
    ORIGIN_NOT_ALLOWED = "origin_not_allowed"
    IDENTITY_INVALID = "identity_invalid"
    INTERNAL = "internal_error"


class DomainError(Exception):
    """`template` is an English message with `{name}` placeholders filled from `params`; the UI
    translates the template (the catalog extracts these constructors' first argument)."""

    code: ErrorCode = ErrorCode.INTERNAL
    http_status: int = 500

    def __init__(self, template: str, /, **params: object) -> None:
        self.template = template
        self.params: Mapping[str, object] = params
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return self.template.format(**self.params)

    def translated(self, gettext: Callable[[str], str]) -> str:
        return gettext(self.template).format(**_translated_params(self.params, gettext))


class Phrase:
    """A piece of a message that is translated with it: an English template whose `{name}` fields
    are filled from `params`, which may be phrases too, or tuples of them (listed, comma
    separated). The catalog extracts the first argument, as for errors."""

    def __init__(self, template: str, /, **params: object) -> None:
        self.template = template
        self.params: Mapping[str, object] = params

    def translated(self, gettext: Callable[[str], str]) -> str:
        return gettext(self.template).format(**_translated_params(self.params, gettext))

    def __str__(self) -> str:
        return self.translated(str)

    def __repr__(self) -> str:
        return f"Phrase({str(self)!r})"


def _translated_params(params: Mapping[str, object], gettext: Callable[[str], str]) -> dict[str, object]:
    return {name: _translated(value, gettext) for name, value in params.items()}


def _translated(value: object, gettext: Callable[[str], str]) -> object:
    if isinstance(value, Phrase):
        return value.translated(gettext)
    if isinstance(value, tuple) and value and all(isinstance(part, Phrase | str) for part in value):
        return ", ".join(str(_translated(part, gettext)) for part in value)
    return value


class NotFound(DomainError):
    """Missing, or belonging to another workspace: the two are indistinguishable on purpose."""

    code = ErrorCode.NOT_FOUND
    http_status = 404


class Forbidden(DomainError):
    code = ErrorCode.FORBIDDEN
    http_status = 403


class CsrfFailed(Forbidden):
    code = ErrorCode.CSRF_FAILED


class Unauthenticated(DomainError):
    code = ErrorCode.UNAUTHENTICATED
    http_status = 401


class Conflict(DomainError):
    code = ErrorCode.CONFLICT
    http_status = 409


class InvalidInput(DomainError):
    code = ErrorCode.INVALID_INPUT
    http_status = 400


class InvalidJson(InvalidInput):
    code = ErrorCode.INVALID_JSON


class PayloadTooLarge(DomainError):
    code = ErrorCode.PAYLOAD_TOO_LARGE
    http_status = 413


class UnsupportedType(DomainError):
    code = ErrorCode.UNSUPPORTED_TYPE
    http_status = 415


class RateLimited(DomainError):
    code = ErrorCode.RATE_LIMITED
    http_status = 429

    def __init__(self, template: str, /, *, retry_after: int, **params: object) -> None:
        super().__init__(template, retry_after=retry_after, **params)
        self.retry_after = retry_after


class QuotaExceeded(DomainError):
    code = ErrorCode.QUOTA_EXCEEDED
    http_status = 402


class StartupError(Exception):
    """Firstline cannot start (database unreachable, extension missing...): one readable line for the CLI."""
