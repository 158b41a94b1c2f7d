"""Telegram `Update` payloads read into our frozen dataclasses (pure). Only what a private chat with
the bot can send is understood: messages (and their edits), button presses and block/unblock.
Anything else, and anything malformed, becomes `Ignored` with a reason; reading never raises."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

FileKind = Literal["photo", "document", "voice", "audio", "video", "sticker"]


@dataclass(frozen=True)
class TelegramUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    @property
    def display_name(self) -> str:
        full = " ".join(part for part in (self.first_name, self.last_name) if part and part.strip())
        return full.strip() or (f"@{self.username}" if self.username else str(self.id))


@dataclass(frozen=True)
class TelegramFile:
    file_id: str  # for getFile; it can change over time
    file_unique_id: str  # stable across bots and time: the key to deduplicate downloads on
    kind: FileKind
    name: str
    content_type: str
    size: int | None = None


@dataclass(frozen=True)
class StartCommand:
    payload: str | None  # the deep-link parameter of t.me/<bot>?start=<payload>


@dataclass(frozen=True)
class ChatMessage:
    update_id: int
    chat_id: int
    message_id: int
    sender: TelegramUser
    sent_at: datetime  # for an edit, when it was edited
    text: str  # the text, or the media caption, or ""
    files: tuple[TelegramFile, ...] = ()
    shared_phone: str | None = None  # the sender's own number, from the "share my contact" button
    start: StartCommand | None = None
    edited: bool = False


@dataclass(frozen=True)
class ButtonPress:
    update_id: int
    callback_query_id: str  # must be answered (answerCallbackQuery), or the client keeps spinning
    chat_id: int
    message_id: int | None
    data: str  # untrusted: resolve it against the message's own buttons
    sender: TelegramUser


@dataclass(frozen=True)
class MembershipChange:
    update_id: int
    chat_id: int
    sender: TelegramUser
    blocked: bool  # True: the user blocked the bot; False: unblocked it
    at: datetime


@dataclass(frozen=True)
class Ignored:
    update_id: int | None
    reason: str
    callback_query_id: str | None = None  # still to be answered when the ignored update was a button press


TelegramUpdate = ChatMessage | ButtonPress | MembershipChange | Ignored

_SUPPORTED = ("message", "edited_message", "callback_query", "my_chat_member")


class _Unreadable(Exception):
    """Internal: the payload lacks something we need; read_update turns it into Ignored."""


def read_update(payload: Mapping[str, object]) -> TelegramUpdate:
    """The update as one of our types; Ignored (with the reason) when unsupported or malformed."""
    data: object = payload
    if not isinstance(data, Mapping):
        return Ignored(None, "the update is not a JSON object")
    update_id = _optional_int(data, "update_id")
    kind = next((key for key in _SUPPORTED if key in data), None)
    if kind is None:
        others = sorted(str(key) for key in data if key != "update_id")
        return Ignored(update_id, f"unsupported update type: {others[0]}" if others else "an empty update")
    callback_query_id = _callback_query_id(data) if kind == "callback_query" else None
    if update_id is None:
        return Ignored(None, "update_id is missing or not an integer", callback_query_id)
    try:
        return _read(update_id, kind, _mapping(data, kind))
    except _Unreadable as error:
        return Ignored(update_id, str(error), callback_query_id)


def _read(update_id: int, kind: str, body: Mapping[str, object]) -> TelegramUpdate:
    if kind == "callback_query":
        return _read_button_press(update_id, body)
    if kind == "my_chat_member":
        return _read_membership(update_id, body)
    return _read_message(update_id, body, edited=kind == "edited_message")


def _read_message(update_id: int, message: Mapping[str, object], *, edited: bool) -> TelegramUpdate:
    chat = _mapping(message, "chat")
    if chat.get("type") != "private":
        return Ignored(update_id, "not a private chat")
    if "from" not in message:
        raise _Unreadable("message without a sender")
    sender = _read_user(_mapping(message, "from"))
    sent_at = _timestamp(message, "edit_date" if edited and "edit_date" in message else "date")
    text = _optional_str(message, "text") or _optional_str(message, "caption") or ""
    files = _read_files(message)
    shared_phone, contact_text = _read_contact(message, sender)
    text = text or contact_text
    if not text and not files and shared_phone is None:
        return Ignored(update_id, "a message with nothing to show (service message or unsupported content)")
    return ChatMessage(
        update_id=update_id,
        chat_id=_int(chat, "id"),
        message_id=_int(message, "message_id"),
        sender=sender,
        sent_at=sent_at,
        text=text,
        files=files,
        shared_phone=shared_phone,
        start=None if edited else read_start_command(_optional_str(message, "text") or ""),
        edited=edited,
    )


def read_start_command(text: str) -> StartCommand | None:
    """`/start`, `/start payload` or `/start@BotName payload`; else None."""
    command, _, payload = text.strip().partition(" ")
    if command != "/start" and not command.startswith("/start@"):
        return None
    return StartCommand(payload.strip() or None)


def _read_button_press(update_id: int, query: Mapping[str, object]) -> TelegramUpdate:
    query_id = _str(query, "id")
    if "from" not in query:
        raise _Unreadable("button press without a sender")
    sender = _read_user(_mapping(query, "from"))
    if "message" not in query:
        return Ignored(update_id, "button press on an inline-mode message (no chat)", query_id)
    message = _mapping(query, "message")  # possibly "inaccessible" (date 0): it still has chat and id
    chat = _mapping(message, "chat")
    if chat.get("type") != "private":
        return Ignored(update_id, "not a private chat", query_id)
    return ButtonPress(
        update_id=update_id,
        callback_query_id=query_id,
        chat_id=_int(chat, "id"),
        message_id=_optional_int(message, "message_id"),
        data=_optional_str(query, "data") or "",  # a game button has game_short_name instead
        sender=sender,
    )


def _read_membership(update_id: int, change: Mapping[str, object]) -> TelegramUpdate:
    chat = _mapping(change, "chat")
    if chat.get("type") != "private":
        return Ignored(update_id, "not a private chat")
    status = _mapping(change, "new_chat_member").get("status")
    if status not in ("kicked", "member"):
        return Ignored(update_id, f"membership status not handled: {status}")
    return MembershipChange(
        update_id=update_id,
        chat_id=_int(chat, "id"),
        sender=_read_user(_mapping(change, "from")),
        blocked=status == "kicked",
        at=_timestamp(change, "date"),
    )


def _read_user(user: Mapping[str, object]) -> TelegramUser:
    return TelegramUser(
        id=_int(user, "id"),
        first_name=_str(user, "first_name"),
        last_name=_optional_str(user, "last_name"),
        username=_optional_str(user, "username"),
        language_code=_optional_str(user, "language_code"),
    )


def _read_contact(message: Mapping[str, object], sender: TelegramUser) -> tuple[str | None, str]:
    """(the sender's own phone, "") when they shared their own contact; else (None, the contact as text)."""
    if "contact" not in message:
        return None, ""
    contact = _mapping(message, "contact")
    phone = _str(contact, "phone_number")
    if _optional_int(contact, "user_id") == sender.id:
        return phone, ""
    name = " ".join(
        part for part in (_optional_str(contact, "first_name"), _optional_str(contact, "last_name")) if part
    )
    return None, f"Contact: {name}, {phone}" if name else f"Contact: {phone}"


# kind -> (default name, default content type); a document has its own name and type.
_FILE_DEFAULTS: dict[FileKind, tuple[str, str]] = {
    "document": ("document", "application/octet-stream"),
    "voice": ("voice.ogg", "audio/ogg"),
    "audio": ("audio.mp3", "audio/mpeg"),
    "video": ("video.mp4", "video/mp4"),
}
_STICKER_FORMATS = {
    "is_animated": ("sticker.tgs", "application/x-tgsticker"),
    "is_video": ("sticker.webm", "video/webm"),
}


def _read_files(message: Mapping[str, object]) -> tuple[TelegramFile, ...]:
    files: list[TelegramFile] = []
    if "photo" in message:
        files.append(_file(_largest_photo(message["photo"]), "photo", "photo.jpg", "image/jpeg"))
    for kind, (name, content_type) in _FILE_DEFAULTS.items():
        if kind in message:
            files.append(_file(_mapping(message, kind), kind, name, content_type))
    if "video_note" in message:  # a round video message
        files.append(_file(_mapping(message, "video_note"), "video", "video_note.mp4", "video/mp4"))
    if "sticker" in message:
        sticker = _mapping(message, "sticker")
        name, content_type = next(
            (found for flag, found in _STICKER_FORMATS.items() if sticker.get(flag) is True),
            ("sticker.webp", "image/webp"),
        )
        files.append(_file(sticker, "sticker", name, content_type))
    return tuple(files)


def _largest_photo(sizes: object) -> Mapping[str, object]:
    if not isinstance(sizes, Sequence) or isinstance(sizes, str) or not sizes:
        raise _Unreadable("photo is not a list of sizes")
    if not all(isinstance(size, Mapping) for size in sizes):
        raise _Unreadable("photo size is not an object")

    def area(size: Mapping[str, object]) -> tuple[int, int]:
        width, height = _optional_int(size, "width") or 0, _optional_int(size, "height") or 0
        return width * height, _optional_int(size, "file_size") or 0

    largest: Mapping[str, object] = max(sizes, key=area)
    return largest


def _file(raw: Mapping[str, object], kind: FileKind, name: str, content_type: str) -> TelegramFile:
    return TelegramFile(
        file_id=_str(raw, "file_id"),
        file_unique_id=_str(raw, "file_unique_id"),
        kind=kind,
        name=_optional_str(raw, "file_name") or name,
        content_type=_optional_str(raw, "mime_type") or content_type,
        size=_optional_int(raw, "file_size"),
    )


def _callback_query_id(update: Mapping[str, object]) -> str | None:
    query = update.get("callback_query")
    return _optional_str(query, "id") if isinstance(query, Mapping) else None


def _mapping(parent: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = parent.get(key)
    if not isinstance(value, Mapping):
        raise _Unreadable(f"{key} is missing or not an object")
    return value


def _int(parent: Mapping[str, object], key: str) -> int:
    value = _optional_int(parent, key)
    if value is None:
        raise _Unreadable(f"{key} is missing or not an integer")
    return value


def _optional_int(parent: Mapping[str, object], key: str) -> int | None:
    value = parent.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(parent: Mapping[str, object], key: str) -> str:
    value = parent.get(key)
    if not isinstance(value, str):
        raise _Unreadable(f"{key} is missing or not a string")
    return value


def _optional_str(parent: Mapping[str, object], key: str) -> str | None:
    value = parent.get(key)
    return value if isinstance(value, str) else None


def _timestamp(parent: Mapping[str, object], key: str) -> datetime:
    seconds = _int(parent, key)
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise _Unreadable(f"{key} is not a valid unix time") from None
