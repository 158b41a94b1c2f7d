"""A fake Telegram Bot API server on loopback that speaks the real wire protocol
(../shared/PROTOCOLS.md §1), so the real aiogram `Bot` runs against it: `POST|GET /bot{token}/{method}`
with form, multipart or JSON bodies, `GET /file/bot{token}/{path}`, Telegram's error envelope,
flood control (429 with retry_after), blocked and deactivated users, webhooks with the secret header
and long-polled getUpdates. The `user_*` helpers act as a Telegram user and deliver real-shaped
updates. Every call is recorded in `requests`, every accepted send* in `sent`.

    async with FakeTelegram() as tg:
        tg.add_bot("42:TEST", username="shop_bot")
        tg.add_user(7, first_name="Ann")
        bot = Bot("42:TEST", session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)))

Run on its own it is "Sandbox Telegram" (tests/fakes/telegram_sandbox.py), a chat page for trying a
bot by hand: `python -m tests.fakes.telegram_server --port 8081`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
from collections import defaultdict, deque
from http import HTTPStatus
from types import TracebackType

import aiohttp
from aiohttp import web

from tests.fakes.telegram_methods import BY_LOWER_NAME, METHODS, Params, Upload
from tests.fakes.telegram_sandbox import add_sandbox_routes
from tests.fakes.telegram_world import (
    ApiError,
    CallbackAnswer,
    Delivery,
    FakeBot,
    FakeUser,
    Json,
    RecordedCall,
    SentMessage,
    StoredFile,
    TelegramWorld,
    WebhookPush,
    unix_now,
)

__all__ = [
    "ApiError",
    "CallbackAnswer",
    "Delivery",
    "FakeBot",
    "FakeTelegram",
    "FakeUser",
    "RecordedCall",
    "SentMessage",
    "StoredFile",
    "WebhookPush",
]

MAX_BODY = 64 * 1024 * 1024  # above the 50 MB document limit, so that check answers first
SANDBOX_GLOBAL_RATE = 30.0  # Telegram's free broadcast limit, messages per second per bot
SANDBOX_PER_CHAT_RATE = 1.0  # Telegram's limit for one chat


class FakeTelegram(TelegramWorld):
    """The fake Bot API server. Bots and users are added with `add_bot`/`add_user`; everything it
    knows and recorded is public (see TelegramWorld); failures are scripted with `fail_next`/`delay`."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        sandbox: bool = False,
        global_rate: float | None = None,
        per_chat_rate: float | None = None,
        flood_window: float = 1.0,
        webhook_timeout: float = 60.0,
    ) -> None:
        super().__init__(
            sandbox=sandbox, global_rate=global_rate, per_chat_rate=per_chat_rate, flood_window=flood_window
        )
        self.host, self.port = host, port
        self.webhook_timeout = webhook_timeout  # seconds Telegram waits for a webhook's answer
        self.response_delay = 0.0
        self._failures: defaultdict[str, deque[ApiError]] = defaultdict(deque)
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None

    # scripting
    def fail_next(
        self,
        method: str,
        *,
        status: int = 500,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` (by any bot) fail with this error; the description
        defaults to Telegram's flood text when `retry_after` is given, else the status's phrase."""
        text = description if description is not None else default_description(status, retry_after)
        self._failures[method.lower()].extend(ApiError(status, text, retry_after=retry_after) for _ in range(times))

    def delay(self, seconds: float) -> None:
        """Hold every answer this long (0: no delay). The call still takes effect afterwards, as when
        Telegram got a request whose client had already given up."""
        self.response_delay = seconds

    # lifecycle
    @property
    def base_url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the fake Telegram server is not started")
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        self.closing.clear()
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_get("/bot{token}/{method}", self._call)
        app.router.add_post("/bot{token}/{method}", self._call)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._download)
        add_sandbox_routes(app, self)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._client = aiohttp.ClientSession()

    async def close(self) -> None:
        self.closing.set()
        for bot in self.bots.values():
            bot.arrived.set()
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # the Bot API over HTTP
    async def _call(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        method = BY_LOWER_NAME.get(name.lower(), name)
        bot: FakeBot | None = None
        params = Params({})
        try:
            params = await read_params(request)
            await self._pause()
            bot = self.bot_for_token(request.match_info["token"])
            if self._failures[name.lower()]:
                raise self._failures[name.lower()].popleft()
            if method not in METHODS:
                raise ApiError(404, "Not Found")
            body, status = {"ok": True, "result": await METHODS[method](self, bot, params)}, 200
        except ApiError as error:
            body, status = error.body(), error.status
        self.requests.append(RecordedCall(None if bot is None else bot.id, method, params.recorded(), status))
        return envelope(body, status)

    async def _download(self, request: web.Request) -> web.Response:
        await self._pause()
        try:
            bot = self.bot_for_token(request.match_info["token"])
        except ApiError as error:
            return envelope(error.body(), error.status)
        stored = self.file_at(bot, request.match_info["file_path"])
        if stored is None:
            return envelope(ApiError(404, "Not Found").body(), 404)
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    async def _pause(self) -> None:
        if self.response_delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.closing.wait(), timeout=self.response_delay)

    # acting as a Telegram user
    async def user_says(self, bot: FakeBot | int, chat_id: int, text: str) -> Delivery:
        """A text message from the user; "/command ..." gets its bot_command entity."""
        content: Json = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return await self._user_message(self.bot(bot), chat_id, content)

    async def user_sends_photo(
        self, bot: FakeBot | int, chat_id: int, data: bytes, caption: str | None = None
    ) -> Delivery:
        """A photo (stored, so getFile and the download work), as PhotoSizes smallest first."""
        target = self.bot(bot)
        content: Json = {"photo": self.store_photo(target, data)}
        return await self._user_message(target, chat_id, content, caption)

    async def user_sends_document(
        self,
        bot: FakeBot | int,
        chat_id: int,
        data: bytes,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
    ) -> Delivery:
        target = self.bot(bot)
        stored = self.store_file(target, data, folder="documents", file_name=file_name, mime_type=mime_type)
        content: Json = {"document": {**stored.json(), "file_name": file_name, "mime_type": mime_type}}
        return await self._user_message(target, chat_id, content, caption)

    async def user_shares_contact(self, bot: FakeBot | int, chat_id: int, phone: str) -> Delivery:
        """The user's own contact, as the "share my phone number" keyboard button sends it."""
        user = self.user(chat_id)
        contact = {"phone_number": phone, "first_name": user.first_name, "user_id": chat_id}
        return await self._user_message(self.bot(bot), chat_id, {"contact": contact})

    async def user_presses(self, bot: FakeBot | int, chat_id: int, message_id: int, data: str) -> Delivery:
        """An inline button press; the query stays open for answerCallbackQuery. A message the chat no
        longer has arrives as an inaccessible message (date 0)."""
        target, user = self.bot(bot), self.user(chat_id)
        message = target.message(chat_id, message_id) or {"chat": user.chat_json(), "message_id": message_id, "date": 0}
        query_id = f"{target.id}{self.serial():08d}"
        target.open_queries.add(query_id)
        query = {
            "id": query_id,
            "from": user.user_json(),
            "message": copy.deepcopy(message),
            "chat_instance": str(-(target.id * 1_000_003 + chat_id)),
            "data": data,
        }
        return await self.deliver(target, {"update_id": target.next_update_id(), "callback_query": query})

    async def user_edits(self, bot: FakeBot | int, chat_id: int, message_id: int, text: str) -> Delivery:
        """The user edits a text message they sent earlier (ValueError when there is none)."""
        target = self.bot(bot)
        message = target.message(chat_id, message_id)
        if message is None or message["from"]["is_bot"]:
            raise ValueError(f"chat {chat_id} has no message {message_id} from the user")
        message.update({"text": text, "edit_date": unix_now()})
        update = {"update_id": target.next_update_id(), "edited_message": copy.deepcopy(message)}
        return await self.deliver(target, update)

    async def user_blocks(self, bot: FakeBot | int, chat_id: int) -> Delivery:
        target = self.bot(bot)
        target.blocked.add(chat_id)
        return await self.deliver(target, self._membership_update(target, chat_id, old="member", new="kicked"))

    async def user_unblocks(self, bot: FakeBot | int, chat_id: int) -> Delivery:
        target = self.bot(bot)
        target.blocked.discard(chat_id)
        return await self.deliver(target, self._membership_update(target, chat_id, old="kicked", new="member"))

    async def _user_message(self, bot: FakeBot, chat_id: int, content: Json, caption: str | None = None) -> Delivery:
        """A message from the user (added when unknown; a user who blocked the bot restarts it first)."""
        user = self.user(chat_id)
        if caption is not None:
            content = {**content, "caption": caption}
        if chat_id in bot.blocked:
            await self.user_unblocks(bot, chat_id)
        message = {
            "message_id": bot.next_message_id(chat_id),
            "from": user.user_json(),
            "chat": user.chat_json(),
            "date": unix_now(),
            **content,
        }
        bot.store_message(message)
        return await self.deliver(bot, {"update_id": bot.next_update_id(), "message": copy.deepcopy(message)})

    def _membership_update(self, bot: FakeBot, chat_id: int, *, old: str, new: str) -> Json:
        user = self.user(chat_id)

        def member(status: str) -> Json:
            return {"user": bot.user_json(), "status": status} | ({"until_date": 0} if status == "kicked" else {})

        change = {
            "chat": user.chat_json(),
            "from": user.user_json(),
            "date": unix_now(),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        return {"update_id": bot.next_update_id(), "my_chat_member": change}

    # delivery
    async def deliver(self, bot: FakeBot, update: Json) -> Delivery:
        """Push the update to the bot's webhook, or queue it for getUpdates when there is none."""
        if not bot.wants(update):
            return Delivery(update, None)
        if not bot.webhook_url:
            bot.pending.append(update)
            bot.arrived.set()
            return Delivery(update, None)
        return Delivery(update, await self._push(bot, update))

    async def _push(self, bot: FakeBot, update: Json) -> int:
        """One POST, as Telegram makes it; a failure is kept for getWebhookInfo (no retries)."""
        if self._client is None:
            raise RuntimeError("the fake Telegram server is not started")
        headers = {"X-Telegram-Bot-Api-Secret-Token": bot.secret_token} if bot.secret_token else {}
        timeout = aiohttp.ClientTimeout(total=self.webhook_timeout)
        try:
            async with self._client.post(bot.webhook_url, json=update, headers=headers, timeout=timeout) as response:
                await response.read()
                status, error = response.status, f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as failure:
            status, error = 0, f"Connection failed: {type(failure).__name__}"
        if not 200 <= status < 300:
            bot.last_error = (unix_now(), error)
        self.webhook_pushes.append(WebhookPush(bot.id, update["update_id"], status))
        return status


def default_description(status: int, retry_after: int | None) -> str:
    if retry_after is not None:
        return f"Too Many Requests: retry after {retry_after}"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


def envelope(body: Json, status: int) -> web.Response:
    return web.json_response(body, status=status)


async def read_params(request: web.Request) -> Params:
    """The query string plus the body: JSON, urlencoded form or multipart (file parts become Uploads)."""
    values: Json = dict(request.query)
    uploads: dict[str, Upload] = {}
    try:
        if request.content_type == "application/json":
            body = await request.json()
            values.update(body if isinstance(body, dict) else {})
        elif request.body_exists:
            for name, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    uploads[name] = Upload(value.filename, value.file.read(), value.content_type)
                else:
                    values[name] = value
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, "Request Entity Too Large") from None
    except ValueError:
        raise ApiError(400, "Bad Request: can't parse request body") from None
    return Params(values, uploads)


async def serve(host: str, port: int) -> None:
    """Sandbox Telegram until interrupted: any well-shaped token works, Telegram's flood limits apply."""
    async with FakeTelegram(
        host=host,
        port=port,
        sandbox=True,
        global_rate=SANDBOX_GLOBAL_RATE,
        per_chat_rate=SANDBOX_PER_CHAT_RATE,
    ) as fake:
        print(f"Sandbox Telegram: open {fake.base_url}/ ; point the bot's Bot API base URL at {fake.base_url}")
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Sandbox Telegram: a local fake of the Telegram Bot API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    arguments = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(arguments.host, arguments.port))


if __name__ == "__main__":
    main()
