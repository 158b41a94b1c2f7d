"""What the widget says to visitors, in English and marked for translation; the session endpoint
sends them translated into the visitor's language as `settings.strings`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from conversations.availability import Availability
from core.i18n import N_, Catalogs, translator, when_text

WIDGET_STRINGS: Mapping[str, str] = {
    "title": N_("Chat with us"),
    "open": N_("Open the chat"),
    "close": N_("Close the chat"),
    "placeholder": N_("Write a message…"),
    "send": N_("Send"),
    "attach": N_("Attach a file"),
    "offline": N_("You are offline. Messages will be sent when the connection is back."),
    "reconnecting": N_("Reconnecting…"),
    "typing": N_("{name} is typing…"),
    "read": N_("Read"),
    "failed": N_("Not sent."),
    "retry": N_("Retry"),
    "file_too_large": N_("This file is larger than 10 MB."),
    "file_type": N_("Only images (PNG, JPEG, GIF, WebP), PDF and text files can be sent."),
    "rate_limited": N_("You are sending messages too fast; yours will go out in a moment."),
    # A dialog waiting in the queue: outside working hours, or nobody online ({when}: "tomorrow at 09:00").
    "away": N_("We're away now. We'll be back {when}."),
    "away_unknown": N_("We're away now."),
    "busy": N_("All our operators are busy or away right now."),
    "leave_email": N_("Leave your email and we'll answer there."),
    "email_placeholder": N_("Your email"),
    "email_send": N_("Send"),
    "email_invalid": N_("Enter a valid email address."),
    "email_thanks": N_("Thank you! We'll answer at {email}."),
}

# Only for the preview on the Channels page: a sample exchange under the greeting.
PREVIEW_STRINGS: Mapping[str, str] = {
    "sample_question": N_("Hi! Do you deliver on weekends?"),
    "sample_answer": N_("Yes, on Saturdays from 10:00 to 18:00."),
    "sample_operator": N_("Anna"),
}


def widget_strings(translate: Callable[[str], str]) -> dict[str, str]:
    return {key: translate(message) for key, message in WIDGET_STRINGS.items()}


def preview_strings(translate: Callable[[str], str]) -> dict[str, str]:
    return widget_strings(translate) | {key: translate(message) for key, message in PREVIEW_STRINGS.items()}


def availability_frame(
    availability: Availability, *, now: datetime, language: str, catalogs: Catalogs
) -> dict[str, object]:
    """The `availability` frame (docs/widget-protocol.md); `when` is `back_at` as the visitor reads it,
    in their language and the workspace's timezone ("tomorrow at 09:00")."""
    when = None
    if availability.back_at is not None:
        translate = translator(catalogs, language)
        when = when_text(
            availability.back_at, now=now, timezone=availability.timezone, locale=language, translate=translate
        )
    return {
        "type": "availability",
        "notice": availability.notice,
        "online": availability.online,
        "within_hours": availability.within_hours,
        "back_at": None if availability.back_at is None else availability.back_at.isoformat(),
        "when": when,
        "needs_email": availability.needs_email,
    }
