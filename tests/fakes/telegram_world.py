"""What the fake Telegram Bot API (tests/fakes/telegram_server.py) knows: bots, users, files and the
messages of each chat, the records tests assert on, flood control, and the JSON shapes of Telegram
objects (../shared/PROTOCOLS.md §1). No I/O here: the server and the Bot API methods
(tests/fakes/telegram_methods.py) work on a `TelegramWorld`."""

from __future__ import annotations

import asyncio
import itertools
import math
import mimetypes
import re
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any, NamedTuple

Json = dict[str, Any]
TOKEN = re.compile(r"(\d+):([A-Za-z0-9_-]+)")
PHOTO_SIZES = ((90, 67), (320, 240), (800, 600))  # (width, height) of the PhotoSize entries of one photo
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
MEGABYTE = 1024 * 1024


class ApiError(Exception):
    """A refusal, answered with Telegram's error envelope; the HTTP status equals error_code."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> Json:
        body: Json = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def unix_now() -> int:
    return int(time.time())


@dataclass(frozen=True)
class SentMessage:
    """A send* call the fake accepted."""

    bot_id: int
    method: str
    chat_id: int
    message_id: int
    text: str | None
    caption: str | None
    reply_markup: Json | None
    parse_mode: str | None
    file_name: str | None
    file_size: int | None
    at: float  # time.monotonic() when it was accepted


@dataclass(frozen=True)
class RecordedCall:
    """Any Bot API call: bot_id None when the token was refused; params as they arrived (form values
    are strings; an uploaded file shows as "<file NAME, N bytes>")."""

    bot_id: int | None
    method: str
    params: Json
    status: int


@dataclass(frozen=True)
class CallbackAnswer:
    bot_id: int
    callback_query_id: str
    text: str | None
    show_alert: bool


@dataclass(frozen=True)
class WebhookPush:
    """One POST of an update to a bot's webhook; status 0 when the receiver never answered."""

    bot_id: int
    update_id: int
    status: int


class Delivery(NamedTuple):
    """What a user action produced: the Update, and the webhook's HTTP status when it was pushed
    (None: queued for getUpdates, or dropped by the bot's allowed_updates; 0: webhook unreachable)."""

    update: Json
    status: int | None


@dataclass(frozen=True)
class StoredFile:
    """A file Telegram holds: sent by a user, uploaded by a bot, or (data empty) given by URL."""

    file_id: str
    file_unique_id: str
    bot_id: int
    file_path: str
    data: bytes
    file_name: str | None
    mime_type: str | None
    url: str | None = None  # a file a bot sent by URL: the fake never fetches it

    def json(self) -> Json:
        shape: Json = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.url is None:
            shape["file_size"] = len(self.data)
        return shape


@dataclass
class FakeUser:
    """A Telegram user with a private chat (chat id = user id)."""

    chat_id: int
    first_name: str = "User"
    username: str | None = None
    language_code: str = "en"
    deactivated: bool = False

    def user_json(self) -> Json:
        shape: Json = {"id": self.chat_id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            shape["username"] = self.username
        return {**shape, "language_code": self.language_code}

    def chat_json(self) -> Json:
        shape: Json = {"id": self.chat_id, "type": "private", "first_name": self.first_name}
        if self.username:
            shape["username"] = self.username
        return shape


@dataclass
class FakeBot:
    """A bot and everything Telegram keeps for it: webhook, pending updates, chats, blocks, commands."""

    id: int
    token: str
    username: str
    first_name: str
    webhook_url: str = ""
    secret_token: str | None = None
    allowed_updates: list[str] = field(default_factory=list)
    last_error: tuple[int, str] | None = None  # (unix time, message) of the last failed webhook push
    pending: deque[Json] = field(default_factory=deque)  # updates waiting for getUpdates
    commands: list[Json] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)  # chat ids whose user blocked this bot
    chats: dict[int, dict[int, Json]] = field(default_factory=dict)  # chat id → message id → message
    open_queries: set[str] = field(default_factory=set)  # callback query ids not answered yet
    arrived: asyncio.Event = field(default_factory=asyncio.Event, repr=False)  # wakes a waiting getUpdates
    poll_generation: int = 0  # a newer getUpdates ends an older one with 409
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1), init=False, repr=False)
    _last_message_ids: Counter[int] = field(default_factory=Counter, init=False, repr=False)

    def user_json(self) -> Json:
        return {"id": self.id, "is_bot": True, "first_name": self.first_name, "username": self.username}

    def me(self) -> Json:
        return {
            **self.user_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def next_message_id(self, chat_id: int) -> int:
        """Message ids count up per chat, shared by the user's and the bot's messages."""
        self._last_message_ids[chat_id] += 1
        return self._last_message_ids[chat_id]

    def store_message(self, message: Json) -> None:
        self.chats.setdefault(message["chat"]["id"], {})[message["message_id"]] = message

    def message(self, chat_id: int, message_id: int) -> Json | None:
        return self.chats.get(chat_id, {}).get(message_id)

    def wants(self, update: Json) -> bool:
        """Whether allowed_updates lets this update through (empty: all but the opt-in kinds)."""
        kind = next(key for key in update if key != "update_id")
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in DEFAULT_EXCLUDED_UPDATES


class TelegramWorld:
    """The fake's state and the rules that need no HTTP: who exists, who blocked whom, flood control."""

    def __init__(
        self,
        *,
        sandbox: bool = False,
        global_rate: float | None = None,
        per_chat_rate: float | None = None,
        flood_window: float = 1.0,
    ) -> None:
        self.sandbox = sandbox  # any well-shaped token is a bot, added on first use
        self.global_rate = global_rate  # accepted send* per second per bot; None: unlimited
        self.per_chat_rate = per_chat_rate  # accepted send* per second per (bot, chat); None: unlimited
        self.flood_window = flood_window  # seconds; tests may shrink it (rate × window sends per window)
        self.photo_limit = 10 * MEGABYTE
        self.document_limit = 50 * MEGABYTE
        self.bots: dict[int, FakeBot] = {}
        self.users: dict[int, FakeUser] = {}
        self.files: dict[str, StoredFile] = {}
        self.sent: list[SentMessage] = []
        self.requests: list[RecordedCall] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.webhook_pushes: list[WebhookPush] = []
        self.flood_refusals = 0
        self.refused: list[tuple[float, int, str]] = []  # (time.monotonic(), chat, "bot" or "chat" limit)
        self.closing = asyncio.Event()
        self._bot_sends: dict[int, deque[float]] = {}
        self._chat_sends: dict[tuple[int, int], deque[float]] = {}
        self._numbers = itertools.count(1)

    # bots and users
    def add_bot(self, token: str, *, username: str, first_name: str = "Test Bot") -> FakeBot:
        shape = TOKEN.fullmatch(token)
        if shape is None:
            raise ValueError(f"not a bot token: {token!r} (expected <digits>:<secret>)")
        bot = FakeBot(int(shape[1]), token, username, first_name)
        self.bots[bot.id] = bot
        return bot

    def add_user(
        self, chat_id: int, *, first_name: str = "User", username: str | None = None, language_code: str = "en"
    ) -> FakeUser:
        user = FakeUser(chat_id, first_name, username, language_code)
        self.users[chat_id] = user
        return user

    def bot(self, ref: FakeBot | int) -> FakeBot:
        return ref if isinstance(ref, FakeBot) else self.bots[ref]

    def user(self, chat_id: int) -> FakeUser:
        """The user behind a chat, added (as "User") when the fake did not know them yet."""
        return self.users.get(chat_id) or self.add_user(chat_id)

    def block(self, chat_id: int, *, bot: FakeBot | int | None = None) -> None:
        """The user blocks `bot` (None: every bot added so far), silently; see user_blocks for the update."""
        for target in self._bots(bot):
            target.blocked.add(chat_id)

    def unblock(self, chat_id: int, *, bot: FakeBot | int | None = None) -> None:
        for target in self._bots(bot):
            target.blocked.discard(chat_id)

    def deactivate(self, chat_id: int) -> None:
        """The user deleted their account: every bot gets 403 "user is deactivated"."""
        self.user(chat_id).deactivated = True

    def _bots(self, ref: FakeBot | int | None) -> list[FakeBot]:
        return list(self.bots.values()) if ref is None else [self.bot(ref)]

    def bot_for_token(self, token: str) -> FakeBot:
        """The bot a URL's token names: 404 when it is not shaped like a token, 401 when unknown."""
        shape = TOKEN.fullmatch(token)
        if shape is None:
            raise ApiError(404, "Not Found")
        bot = self.bots.get(int(shape[1]))
        if bot is None and self.sandbox:
            bot = self.add_bot(token, username=f"sandbox{shape[1]}_bot", first_name=f"Sandbox bot {shape[1]}")
        if bot is None or bot.token != token:
            raise ApiError(401, "Unauthorized")
        return bot

    def reachable_user(self, bot: FakeBot, chat_id: int | None) -> FakeUser:
        """The user a bot writes to, or the refusal Telegram gives: unknown, deactivated, blocked."""
        if chat_id is None:
            raise bad_request("chat_id is empty")
        user = self.users.get(chat_id)
        if user is None:
            raise bad_request("chat not found")
        if user.deactivated:
            raise ApiError(403, "Forbidden: user is deactivated")
        if chat_id in bot.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return user

    # records
    def sent_to(self, chat_id: int) -> list[SentMessage]:
        return [message for message in self.sent if message.chat_id == chat_id]

    def count_by_chat(self) -> Counter[int]:
        return Counter(message.chat_id for message in self.sent)

    # flood control: a sliding window of accepted sends per bot and per (bot, chat)
    def admit_send(self, bot: FakeBot, chat_id: int) -> float:
        """Count one send and return its time.monotonic(), or refuse it with 429 when a window is
        full (refusals do not take a place in the window; `flood_refusals` counts them)."""
        now = time.monotonic()
        bot_sends = self._bot_sends.setdefault(bot.id, deque())
        chat_sends = self._chat_sends.setdefault((bot.id, chat_id), deque())
        waits = [
            (wait, limit)
            for sends, rate, limit in ((bot_sends, self.global_rate, "bot"), (chat_sends, self.per_chat_rate, "chat"))
            if (wait := self._wait(sends, rate, now)) is not None
        ]
        if waits:
            self.flood_refusals += 1
            self.refused.append((now, chat_id, max(waits)[1]))
            retry_after = max(1, math.ceil(max(waits)[0]))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
        bot_sends.append(now)
        chat_sends.append(now)
        return now

    def _wait(self, sends: deque[float], rate: float | None, now: float) -> float | None:
        """Seconds until one more send fits, None when it fits now. The window holds `capacity`
        sends and lasts capacity / rate seconds, so a sender pacing at exactly `rate` always fits."""
        if rate is None:
            return None
        capacity = max(1, round(rate * self.flood_window))
        window = capacity / rate
        while sends and sends[0] <= now - window:
            sends.popleft()
        if len(sends) < capacity:
            return None
        return sends[len(sends) - capacity] + window - now

    def serial(self) -> int:
        """A number never handed out before (file and callback query ids)."""
        return next(self._numbers)

    # files
    def store_file(
        self, bot: FakeBot, data: bytes, *, folder: str, file_name: str | None, mime_type: str | None = None
    ) -> StoredFile:
        number = self.serial()
        suffix = file_name.rpartition(".")[2] if file_name and "." in file_name else "bin"
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        stored = StoredFile(
            file_id=f"{folder[:3].upper()}{bot.id}x{number:06d}",
            file_unique_id=f"U{number:06d}",
            bot_id=bot.id,
            file_path=f"{folder}/file_{number}.{suffix}",
            data=data,
            file_name=file_name,
            mime_type=mime_type or "application/octet-stream",
        )
        self.files[stored.file_id] = stored
        return stored

    def store_url(self, bot: FakeBot, url: str) -> StoredFile:
        number = self.serial()
        name = url.rstrip("/").rpartition("/")[2] or None
        stored = StoredFile(f"URL{bot.id}x{number:06d}", f"U{number:06d}", bot.id, "", b"", name, None, url)
        self.files[stored.file_id] = stored
        return stored

    def store_photo(self, bot: FakeBot, data: bytes, file_name: str = "photo.jpg") -> list[Json]:
        """A photo as Telegram returns it: one PhotoSize per size, smallest first, each its own file."""
        sizes = []
        for width, height in PHOTO_SIZES:
            stored = self.store_file(bot, data, folder="photos", file_name=file_name, mime_type="image/jpeg")
            sizes.append({**stored.json(), "width": width, "height": height})
        return sizes

    def file_at(self, bot: FakeBot, file_path: str) -> StoredFile | None:
        return next((f for f in self.files.values() if f.bot_id == bot.id and f.file_path == file_path), None)
