"""One stored message as the Bot API calls that deliver it (pure): which send methods, in which order,
with which texts, captions and inline keyboard; and the bot's button ids as `callback_data` (1–64
bytes) and back. Inbound updates are read in `channels.telegram.updates`.

Lengths are counted in UTF-16 code units, as Telegram counts them (an emoji counts as two), on the
text as given: with parse_mode HTML the tags count too, which only makes the limit stricter."""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from channels.base import AttachmentRef
from core.errors import PayloadTooLarge

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
# Sent as photos (compressed, shown inline). GIF goes as a document: sendPhoto would flatten it to one frame.
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
HASHED_PREFIX = "#"
_HASH_CHARS = 20

SendMethod = Literal["sendMessage", "sendPhoto", "sendDocument"]


@dataclass(frozen=True)
class CallbackButton:
    id: str
    label: str


@dataclass(frozen=True)
class UrlButton:
    label: str
    url: str


Button = CallbackButton | UrlButton


@dataclass(frozen=True)
class KeyboardButton:
    text: str
    callback_data: str | None = None
    url: str | None = None


Keyboard = tuple[tuple[KeyboardButton, ...], ...]


@dataclass(frozen=True)
class Send:
    method: SendMethod
    text: str  # the message text, or the media caption ("" for none)
    attachment: AttachmentRef | None = None
    keyboard: Keyboard | None = None
    parse_mode: str | None = None

    def markup(self) -> dict[str, list[list[dict[str, str]]]] | None:
        """The `reply_markup` value: an InlineKeyboardMarkup, or None without buttons."""
        if not self.keyboard:
            return None
        return {"inline_keyboard": [[_button_json(button) for button in row] for row in self.keyboard]}


class MediaTooLarge(PayloadTooLarge):
    """An attachment Telegram would refuse for its size; the caller refuses the message before sending."""


def plan_sends(
    text: str,
    *,
    buttons: Sequence[Button] = (),
    attachments: Sequence[AttachmentRef] = (),
    parse_mode: str | None = None,
) -> tuple[Send, ...]:
    """The Bot API calls that deliver one message, in order; the buttons go on the last one.
    The text is the caption of a single attachment when it fits, else it is sent first, split as needed."""
    methods = [_media_method(attachment) for attachment in attachments]
    text = text if text.strip() else ""
    if not text and not attachments:
        if buttons:
            raise ValueError("Telegram cannot send buttons without a text or an attachment")
        return ()
    if len(attachments) == 1 and telegram_length(text) <= MAX_CAPTION_LENGTH:
        sends = [Send(methods[0], text, attachments[0], parse_mode=parse_mode if text else None)]
    else:
        sends = [Send("sendMessage", part, parse_mode=parse_mode) for part in split_text(text)]
        sends += [Send(method, "", attachment) for method, attachment in zip(methods, attachments, strict=True)]
    if buttons:
        sends[-1] = replace(sends[-1], keyboard=keyboard_for(buttons))
    return tuple(sends)


def keyboard_for(buttons: Sequence[Button]) -> Keyboard:
    """One button per row: clients cut long labels badly when they sit side by side."""
    return tuple((_keyboard_button(button),) for button in buttons)


def split_text(text: str, limit: int = MAX_TEXT_LENGTH) -> tuple[str, ...]:
    """The text in parts of at most `limit` (UTF-16 units), cut at a paragraph, else a line, else a
    word boundary; a word longer than the limit is cut. Whitespace at the cuts is dropped."""
    parts: list[str] = []
    rest = text.strip()
    while rest:
        fits = _prefix_fitting(rest, limit)
        if fits == len(rest):
            parts.append(rest)
            break
        cut = _cut_point(rest, fits)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return tuple(parts)


def telegram_length(text: str) -> int:
    """The length Telegram checks against its limits: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def callback_data_for(button_id: str) -> str:
    """The `callback_data` of a button: its id when that fits in 64 bytes, else "#" and a hash of it.
    Ids that themselves start with "#" are always hashed, so the two forms never collide."""
    fits = 0 < len(button_id.encode()) <= MAX_CALLBACK_DATA_BYTES
    if fits and not button_id.startswith(HASHED_PREFIX):
        return button_id
    digest = base64.urlsafe_b64encode(hashlib.sha256(button_id.encode()).digest()).decode()
    return HASHED_PREFIX + digest[:_HASH_CHARS]


def button_for_data(data: str, buttons: Sequence[CallbackButton]) -> CallbackButton | None:
    """The button of the pressed message whose callback_data is `data`; None for anything else
    (a client can send any data, so only the message's own buttons can match)."""
    return next((button for button in buttons if callback_data_for(button.id) == data), None)


def telegram_html(text: str) -> str:
    """Plain text made safe to send with parse_mode HTML."""
    return html.escape(text, quote=False)


def _media_method(attachment: AttachmentRef) -> SendMethod:
    if attachment.content_type in PHOTO_TYPES and attachment.size <= MAX_PHOTO_BYTES:
        return "sendPhoto"
    if attachment.size <= MAX_DOCUMENT_BYTES:
        return "sendDocument"
    raise MediaTooLarge(
        "{name} is too large to send on Telegram: a file can be at most {max_mb} MB.",
        name=attachment.name,
        max_mb=MAX_DOCUMENT_BYTES // (1024 * 1024),
    )


def _keyboard_button(button: Button) -> KeyboardButton:
    if isinstance(button, UrlButton):
        return KeyboardButton(button.label, url=button.url)
    return KeyboardButton(button.label, callback_data=callback_data_for(button.id))


def _button_json(button: KeyboardButton) -> dict[str, str]:
    if button.url is not None:
        return {"text": button.text, "url": button.url}
    return {"text": button.text, "callback_data": button.callback_data or ""}


def _cut_point(text: str, fits: int) -> int:
    """Where to end the next part of `text`, which starts with a non-space and of which only the
    first `fits` characters fit in a part."""
    for separator in ("\n\n", "\n"):
        found = text.rfind(separator, 1, fits + len(separator))
        if found > fits // 2:  # a late paragraph or line break; an early one would leave a tiny part
            return found
    word_end = next((index for index in range(fits, 0, -1) if text[index].isspace()), None)
    return word_end or fits


def _prefix_fitting(text: str, limit: int) -> int:
    """How many characters from the start fit in `limit` UTF-16 units (at least one)."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return max(index, 1)
    return len(text)
