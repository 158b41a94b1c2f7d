"""Checks on what people type for accounts: emails, slugs, names, passwords (pure)."""

from __future__ import annotations

import re

from core.errors import InvalidInput

_EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256


def check_email(email: str) -> str:
    """The email, trimmed and lower-cased, or InvalidInput."""
    normalised = email.strip().lower()
    if len(normalised) > 254 or not _EMAIL.match(normalised):
        raise InvalidInput("Enter a valid email address.", field="email")
    return normalised


def check_slug(slug: str) -> str:
    if not _SLUG.match(slug):
        raise InvalidInput(
            "The address name must be 3-40 characters: lowercase letters, digits and dashes.", field="slug"
        )
    return slug


def check_name(name: str, *, field: str, max_length: int) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > max_length:
        raise InvalidInput("This field must be 1-{max_length} characters long.", field=field, max_length=max_length)
    return cleaned


def check_password(password: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            "The password must be {min}-{max} characters long.",
            field="password",
            min=MIN_PASSWORD_LENGTH,
            max=MAX_PASSWORD_LENGTH,
        )
    return password
