"""Limits on what people send (pure)."""

from __future__ import annotations

from core.errors import InvalidInput

MAX_TEXT_LENGTH = 4000
MAX_ATTACHMENTS = 10


def check_message_content(text: str, attachment_count: int) -> str:
    """The text, stripped; a message needs text or at least one attachment."""
    cleaned = text.strip()
    if len(cleaned) > MAX_TEXT_LENGTH:
        raise InvalidInput("A message can be at most {max} characters long.", field="text", max=MAX_TEXT_LENGTH)
    if attachment_count > MAX_ATTACHMENTS:
        raise InvalidInput("At most {max} files per message.", field="attachments", max=MAX_ATTACHMENTS)
    if not cleaned and attachment_count == 0:
        raise InvalidInput("Write a message or attach a file.", field="text")
    return cleaned
