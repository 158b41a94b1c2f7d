"""The Bot API methods of the fake Telegram (tests/fakes/telegram_server.py): each takes the world,
the calling bot and the call's parameters, and returns the `result` or raises `ApiError` with the
description Telegram really sends (../shared/PROTOCOLS.md §1.2). Parameters arrive as form strings
(aiogram), JSON values or uploaded files; `Params` reads them all the same way."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.telegram_world import (
    ApiError,
    CallbackAnswer,
    FakeBot,
    FakeUser,
    Json,
    SentMessage,
    StoredFile,
    TelegramWorld,
    bad_request,
    unix_now,
)

SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
COMMAND = re.compile(r"[a-z0-9_]{1,32}")
BUTTON_ACTIONS = ("callback_data", "url", "web_app", "login_url", "switch_inline_query", "copy_text", "pay")
CHAT_ACTIONS = frozenset(
    {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice", "upload_document"}
    | {"choose_sticker", "find_location", "record_video_note", "upload_video_note"}
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same as a current "
    "content and reply markup of the message"
)


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    file_name: str
    data: bytes
    mime_type: str


class Params:
    """One call's parameters however they arrived: form strings, JSON values, uploaded file parts."""

    def __init__(self, values: Json, uploads: dict[str, Upload] | None = None) -> None:
        self.values = values
        self.uploads = uploads or {}

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        return None if value is None else str(value)

    def integer(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or isinstance(value, int):
            return value
        try:
            return int(str(value))
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        return value is True or str(value).lower() in {"true", "1"}

    def json_value(self, name: str, *, error: str) -> Any:
        """A field that holds JSON: a JSON string in a form, the value itself in a JSON body."""
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(error) from None

    def file(self, name: str) -> Upload | str | None:
        """An uploaded part (named `name`, or referred to as "attach://<part>"), or a file_id/URL string."""
        if name in self.uploads:
            return self.uploads[name]
        value = self.text(name)
        if value is not None and value.startswith("attach://"):
            return self.uploads.get(value.removeprefix("attach://"))
        return value or None

    def recorded(self) -> Json:
        files = {name: f"<file {upload.file_name}, {len(upload.data)} bytes>" for name, upload in self.uploads.items()}
        return {**self.values, **files}


Method = Callable[[TelegramWorld, FakeBot, Params], Awaitable[Any]]


# checks shared by the send* methods
def reply_markup(params: Params) -> Json | None:
    """The reply_markup, checked like Telegram checks inline keyboards."""
    error = "can't parse reply keyboard markup JSON object"
    markup = params.json_value("reply_markup", error=error)
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request(error)
    for row in markup.get("inline_keyboard", []):
        for button in row:
            check_button(button)
    return markup


def check_button(button: object) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
    data = button.get("callback_data")
    if data is not None and not 1 <= len(str(data).encode()) <= 64:
        raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button and not str(button["url"]).startswith(("http://", "https://", "tg://")):
        raise bad_request("BUTTON_URL_INVALID")
    if not any(action in button for action in BUTTON_ACTIONS):
        raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")


def caption_of(params: Params) -> str | None:
    caption = params.text("caption")
    if caption is not None and len(caption) > 1024:
        raise bad_request("message caption is too long")
    return caption or None


def resolve_file(world: TelegramWorld, bot: FakeBot, params: Params, field: str, *, limit: int) -> Upload | StoredFile:
    """The file a send* call gives: an upload (size-checked), a URL, or a file_id this bot knows."""
    value = params.file(field)
    if value is None:
        raise bad_request(f"there is no {field} in the request")
    if isinstance(value, Upload):
        if len(value.data) > limit:
            raise ApiError(413, "Request Entity Too Large")
        return value
    if value.startswith(("http://", "https://")):
        return world.store_url(bot, value)
    stored = world.files.get(value)
    if stored is None or stored.bot_id != bot.id:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return stored


def post(
    world: TelegramWorld,
    bot: FakeBot,
    user: FakeUser,
    method: str,
    params: Params,
    content: Json,
    file: StoredFile | None,
) -> Json:
    """Put a bot's message into the chat (after flood control) and record it in `sent`."""
    markup = reply_markup(params)
    accepted_at = world.admit_send(bot, user.chat_id)
    message = {
        "message_id": bot.next_message_id(user.chat_id),
        "from": bot.user_json(),
        "chat": user.chat_json(),
        "date": unix_now(),
        **content,
    }
    if markup is not None:
        message["reply_markup"] = markup
    bot.store_message(message)
    sent = SentMessage(
        bot_id=bot.id,
        method=method,
        chat_id=user.chat_id,
        message_id=message["message_id"],
        text=content.get("text"),
        caption=content.get("caption"),
        reply_markup=markup,
        parse_mode=params.text("parse_mode"),
        file_name=None if file is None else file.file_name,
        file_size=None if file is None or file.url else len(file.data),
        at=accepted_at,
    )
    world.sent.append(sent)
    return copy.deepcopy(message)


def with_caption(content: Json, caption: str | None) -> Json:
    return content if caption is None else {**content, "caption": caption}


def own_message(world: TelegramWorld, bot: FakeBot, params: Params, missing: str) -> Json:
    """The message chat_id/message_id name in a chat the bot can reach, or 400 `missing`."""
    user = world.reachable_user(bot, params.integer("chat_id"))
    message = bot.message(user.chat_id, params.integer("message_id") or 0)
    if message is None:
        raise bad_request(missing)
    return message


# the methods
async def get_me(world: TelegramWorld, bot: FakeBot, params: Params) -> Json:
    return bot.me()


async def send_message(world: TelegramWorld, bot: FakeBot, params: Params) -> Json:
    user = world.reachable_user(bot, params.integer("chat_id"))
    text = params.text("text") or ""
    if not text.strip():
        raise bad_request("message text is empty")
    if len(text) > 4096:
        raise bad_request("message is too long")
    return post(world, bot, user, "sendMessage", params, {"text": text}, None)


async def send_photo(world: TelegramWorld, bot: FakeBot, params: Params) -> Json:
    user = world.reachable_user(bot, params.integer("chat_id"))
    caption = caption_of(params)
    file = resolve_file(world, bot, params, "photo", limit=world.photo_limit)
    if isinstance(file, Upload):
        sizes = world.store_photo(bot, file.data, file.file_name)
        file = world.files[sizes[-1]["file_id"]]
    else:
        sizes = [{**file.json(), "width": 800, "height": 600}]
    return post(world, bot, user, "sendPhoto", params, with_caption({"photo": sizes}, caption), file)


async def send_document(world: TelegramWorld, bot: FakeBot, params: Params) -> Json:
    user = world.reachable_user(bot, params.integer("chat_id"))
    caption = caption_of(params)
    file = resolve_file(world, bot, params, "document", limit=world.document_limit)
    if isinstance(file, Upload):
        file = world.store_file(bot, file.data, folder="documents", file_name=file.file_name)
    document = {**file.json(), "file_name": file.file_name, "mime_type": file.mime_type}
    document = {key: value for key, value in document.items() if value is not None}
    return post(world, bot, user, "sendDocument", params, with_caption({"document": document}, caption), file)


async def send_chat_action(world: TelegramWorld, bot: FakeBot, params: Params) -> bool:
    world.reachable_user(bot, params.integer("chat_id"))
    if params.text("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


async def edit_message_reply_markup(world: TelegramWorld, bot: FakeBot, params: Params) -> Json:
    message = own_message(world, bot, params, "message to edit not found")
    if not message["from"]["is_bot"]:
        raise bad_request("message can't be edited")
    markup = reply_markup(params)
    if markup == message.get("reply_markup"):
        raise bad_request(NOT_MODIFIED)
    message.pop("reply_markup", None)
    message.update({"edit_date": unix_now()} | ({} if markup is None else {"reply_markup": markup}))
    return copy.deepcopy(message)


async def delete_message(world: TelegramWorld, bot: FakeBot, params: Params) -> bool:
    message = own_message(world, bot, params, "message to delete not found")
    del bot.chats[message["chat"]["id"]][message["message_id"]]
    return True


async def answer_callback_query(world: TelegramWorld, bot: FakeBot, params: Params) -> bool:
    query_id = params.text("callback_query_id") or ""
    if query_id not in bot.open_queries:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = params.text("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    bot.open_queries.discard(query_id)
    world.callback_answers.append(CallbackAnswer(bot.id, query_id, text, params.flag("show_alert")))
    return True


async def get_file(world: TelegramWorld, bot: FakeBot, params: Params) -> Json:
    stored = world.files.get(params.text("file_id") or "")
    if stored is None or stored.bot_id != bot.id or stored.url is not None:
        raise bad_request("invalid file_id")
    return {**stored.json(), "file_path": stored.file_path}


async def set_my_commands(world: TelegramWorld, bot: FakeBot, params: Params) -> bool:
    commands = params.json_value("commands", error="can't parse commands JSON object")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    for command in commands:
        name, description = command.get("command", ""), command.get("description", "")
        if not COMMAND.fullmatch(str(name).lower()) or not 1 <= len(str(description)) <= 256:
            raise bad_request("BOT_COMMAND_INVALID")
    bot.commands = commands
    return True


async def get_my_commands(world: TelegramWorld, bot: FakeBot, params: Params) -> list[Json]:
    return bot.commands


async def set_webhook(world: TelegramWorld, bot: FakeBot, params: Params) -> bool:
    """Any http(s) URL is accepted (real Telegram wants HTTPS on 443/80/88/8443): tests use loopback."""
    url = params.text("url") or ""
    secret = params.text("secret_token")
    if secret is not None and not SECRET_TOKEN.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    if url and not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    allowed = params.json_value("allowed_updates", error="can't parse allowed updates")
    if allowed is not None:
        bot.allowed_updates = list(allowed)
    if params.flag("drop_pending_updates"):
        bot.pending.clear()
    bot.webhook_url, bot.secret_token, bot.last_error = url, secret if url else None, None
    bot.arrived.set()  # a waiting getUpdates ends with 409
    return True


async def delete_webhook(world: TelegramWorld, bot: FakeBot, params: Params) -> bool:
    if params.flag("drop_pending_updates"):
        bot.pending.clear()
    bot.webhook_url, bot.secret_token, bot.last_error = "", None, None
    return True


async def get_webhook_info(world: TelegramWorld, bot: FakeBot, params: Params) -> Json:
    info: Json = {"url": bot.webhook_url, "has_custom_certificate": False, "pending_update_count": len(bot.pending)}
    if bot.webhook_url:
        info["max_connections"] = 40
    if bot.allowed_updates:
        info["allowed_updates"] = bot.allowed_updates
    if bot.last_error is not None:
        info["last_error_date"], info["last_error_message"] = bot.last_error
    return info


async def get_updates(world: TelegramWorld, bot: FakeBot, params: Params) -> list[Json]:
    """Confirm updates below `offset`, then answer at once with what is pending, or wait up to
    `timeout` seconds for something to arrive. A newer poll or a new webhook ends the wait with 409."""
    if bot.webhook_url:
        raise ApiError(409, WEBHOOK_CONFLICT)
    allowed = params.json_value("allowed_updates", error="can't parse allowed updates")
    if allowed is not None:
        bot.allowed_updates = list(allowed)
    confirm(bot, params.integer("offset"))
    limit = min(max(params.integer("limit") or 100, 1), 100)
    bot.poll_generation += 1
    generation = bot.poll_generation
    bot.arrived.set()  # wakes an older poll of this bot, which then answers 409
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (params.integer("timeout") or 0)
    while not bot.pending and not world.closing.is_set() and (remaining := deadline - loop.time()) > 0:
        bot.arrived.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(bot.arrived.wait(), timeout=remaining)
        if bot.poll_generation != generation:
            raise ApiError(409, POLL_CONFLICT)
        if bot.webhook_url:
            raise ApiError(409, WEBHOOK_CONFLICT)
    return [copy.deepcopy(update) for update in itertools.islice(bot.pending, limit)]


def confirm(bot: FakeBot, offset: int | None) -> None:
    """Forget updates below `offset`; a negative offset keeps only the last -offset updates."""
    if offset is None or offset == 0:
        return
    if offset < 0:
        while len(bot.pending) > -offset:
            bot.pending.popleft()
        return
    while bot.pending and bot.pending[0]["update_id"] < offset:
        bot.pending.popleft()


METHODS: dict[str, Method] = {
    "getMe": get_me,
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "sendDocument": send_document,
    "sendChatAction": send_chat_action,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "answerCallbackQuery": answer_callback_query,
    "getFile": get_file,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "getUpdates": get_updates,
}
BY_LOWER_NAME = {name.lower(): name for name in METHODS}  # method names are case-insensitive
