"""What the widget says to visitors, in English and marked for translation; the session endpoint
sends them translated into the visitor's language as `settings.strings`."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from core.i18n import N_

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
