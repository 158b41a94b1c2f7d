"""The fake Telegram Bot API server (tests/fakes/telegram_server.py) against the real aiogram `Bot`:
the wire format aiogram sends (form, multipart) and plain JSON, Telegram's error envelope as aiogram's
exceptions, flood control, webhooks with the secret header, long-polled getUpdates, files, the update
shapes (validated by aiogram's own models) and the sandbox page."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import BotCommand, BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup, Update
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.fakes.telegram_server import FakeTelegram

TOKEN = "42:TEST"
ANN = 7
BOB = 8
KEYBOARD = {
    "inline_keyboard": [
        [{"text": "Yes", "callback_data": "opt:1"}, {"text": "Site", "url": "https://example.com/help"}],
    ]
}


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        fake.add_bot(TOKEN, username="shop_bot", first_name="Shop")
        fake.add_user(ANN, first_name="Ann", username="ann")
        fake.add_user(BOB, first_name="Bob")
        yield fake


async def close(bot: Bot) -> None:
    """AiohttpSession.close() sleeps 250 ms for TLS connections; there are none on loopback."""
    session = bot.session
    assert isinstance(session, AiohttpSession)
    if session._session is not None:
        await session._session.close()


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    client = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)))
    yield client
    await close(client)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(http: aiohttp.ClientSession, url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    async with http.post(url, json=body or {}) as response:
        return response.status, await response.json()


def markup() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="Yes", callback_data="opt:1"),
                InlineKeyboardButton(text="Site", url="https://example.com/help"),
            ]
        ]
    )


async def test_get_me_describes_the_bot(bot: Bot, tg: FakeTelegram) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.first_name, me.is_bot) == (42, "shop_bot", "Shop", True)
    [request] = tg.requests
    assert (request.bot_id, request.method, request.status) == (42, "getMe", 200)


async def test_send_message_returns_and_records_the_message_with_its_keyboard(bot: Bot, tg: FakeTelegram) -> None:
    message = await bot.send_message(ANN, "Pick one", reply_markup=markup(), parse_mode="HTML")
    assert (message.message_id, message.chat.id, message.text) == (1, ANN, "Pick one")
    assert message.from_user is not None and message.from_user.id == 42
    assert message.reply_markup is not None
    assert message.reply_markup.model_dump(exclude_none=True) == KEYBOARD
    [sent] = tg.sent
    assert (sent.bot_id, sent.method, sent.chat_id, sent.message_id) == (42, "sendMessage", ANN, 1)
    assert (sent.text, sent.parse_mode, sent.reply_markup) == ("Pick one", "HTML", KEYBOARD)
    params = tg.requests[-1].params
    assert params["chat_id"] == "7"  # aiogram sends a form: every value a string
    assert (await bot.send_message(ANN, "Again")).message_id == 2
    assert tg.sent_to(ANN)[-1].text == "Again"
    assert tg.count_by_chat() == {ANN: 2}


async def test_send_photo_uploads_multipart_and_the_file_can_be_reused(bot: Bot, tg: FakeTelegram) -> None:
    picture = b"\xff\xd8fake jpeg" * 100
    message = await bot.send_photo(ANN, BufferedInputFile(picture, "box.jpg"), caption="The box")
    assert message.photo is not None and message.caption == "The box"
    [sent] = tg.sent
    assert (sent.method, sent.file_name, sent.file_size, sent.caption) == (
        "sendPhoto",
        "box.jpg",
        len(picture),
        "The box",
    )
    assert tg.requests[-1].params["photo"].startswith("attach://")
    again = await bot.send_photo(BOB, message.photo[-1].file_id)
    assert again.photo is not None and again.photo[-1].file_id == message.photo[-1].file_id
    document = await bot.send_document(ANN, BufferedInputFile(b"%PDF-1.4", "invoice.pdf"))
    assert document.document is not None
    assert (document.document.file_name, document.document.mime_type) == ("invoice.pdf", "application/pdf")


async def test_a_json_body_and_any_method_case_work_too(tg: FakeTelegram, http: aiohttp.ClientSession) -> None:
    url = f"{tg.base_url}/bot{TOKEN}/SENDMESSAGE"
    status, body = await call(http, url, {"chat_id": ANN, "text": "Hi", "reply_markup": KEYBOARD})
    assert status == 200 and body["ok"] is True
    assert body["result"]["reply_markup"] == KEYBOARD and body["result"]["from"]["id"] == 42
    assert tg.sent[0].reply_markup == KEYBOARD
    async with http.get(f"{tg.base_url}/bot{TOKEN}/getme") as response:
        assert (await response.json())["result"]["username"] == "shop_bot"
    status, body = await call(http, f"{tg.base_url}/bot{TOKEN}/sendSticker")
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})


async def test_an_unknown_token_is_unauthorized(tg: FakeTelegram, http: aiohttp.ClientSession) -> None:
    stranger = Bot("43:WRONG", session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)))
    with pytest.raises(TelegramUnauthorizedError):
        await stranger.get_me()
    await close(stranger)
    status, body = await call(http, f"{tg.base_url}/bot42:NOTTHIS/getMe")
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    assert [(request.bot_id, request.status) for request in tg.requests] == [(None, 401), (None, 401)]


async def test_blocked_deactivated_and_unknown_chats_are_refused(bot: Bot, tg: FakeTelegram) -> None:
    other = tg.add_bot("99:OTHER", username="other_bot")
    tg.block(ANN, bot=42)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(ANN, "Hello")
    assert ANN not in other.blocked  # blocking is per bot
    tg.unblock(ANN)
    await bot.send_message(ANN, "Hello again")
    tg.deactivate(BOB)
    with pytest.raises(TelegramForbiddenError, match="user is deactivated"):
        await bot.send_message(BOB, "Hello")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(12345, "Hello")
    assert [message.text for message in tg.sent] == ["Hello again"]


async def test_bad_content_is_refused_like_telegram_does(bot: Bot, tg: FakeTelegram) -> None:
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(ANN, "   ")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(ANN, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(ANN, BufferedInputFile(b"jpeg", "a.jpg"), caption="x" * 1025)
    too_long = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="я" * 33)]])
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(ANN, "Pick", reply_markup=too_long)
    script_link = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="A", url="javascript:alert(1)")]])
    with pytest.raises(TelegramBadRequest, match="BUTTON_URL_INVALID"):
        await bot.send_message(ANN, "Pick", reply_markup=script_link)
    tg.photo_limit = 1000
    with pytest.raises(TelegramEntityTooLarge):
        await bot.send_photo(ANN, BufferedInputFile(b"x" * 1001, "big.jpg"))
    assert (await bot.send_message(ANN, "x" * 4096)).text == "x" * 4096
    assert len(tg.sent) == 1


async def test_per_chat_flood_control_answers_429_with_retry_after(
    bot: Bot, tg: FakeTelegram, http: aiohttp.ClientSession
) -> None:
    tg.per_chat_rate = 1
    await bot.send_message(ANN, "one")
    with pytest.raises(TelegramRetryAfter) as refused:
        await bot.send_message(ANN, "two")
    assert refused.value.retry_after == 1
    await bot.send_message(BOB, "another chat is not held back")
    status, body = await call(http, f"{tg.base_url}/bot{TOKEN}/sendMessage", {"chat_id": ANN, "text": "three"})
    assert status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert tg.flood_refusals == 2 and [message.text for message in tg.sent] == ["one", "another chat is not held back"]


async def test_global_flood_control_lets_a_paced_sender_through_and_stops_a_burst(bot: Bot, tg: FakeTelegram) -> None:
    tg.global_rate, tg.flood_window = 20, 0.1  # two sends per 0.1 s window
    for chat in (ANN, BOB, ANN, BOB, ANN, BOB):
        await bot.send_message(chat, "paced")
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)  # the window empties
    tg.add_user(9)
    await bot.send_message(ANN, "burst")
    await bot.send_message(BOB, "burst")
    with pytest.raises(TelegramRetryAfter) as refused:
        await bot.send_message(9, "burst")
    assert refused.value.retry_after == 1 and tg.flood_refusals == 1
    assert len(tg.sent) == 8


async def test_scripted_failures_and_delays(bot: Bot, tg: FakeTelegram, http: aiohttp.ClientSession) -> None:
    tg.fail_next("sendMessage", status=500)
    with pytest.raises(TelegramServerError, match="Internal Server Error"):
        await bot.send_message(ANN, "lost")
    tg.fail_next("sendmessage", status=429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as refused:
        await bot.send_message(ANN, "held")
    assert refused.value.retry_after == 3
    assert (await bot.send_message(ANN, "through")).message_id == 1
    tg.delay(0.3)
    url = f"{tg.base_url}/bot{TOKEN}/sendMessage"
    with pytest.raises(TimeoutError):
        await http.post(url, json={"chat_id": ANN, "text": "slow"}, timeout=aiohttp.ClientTimeout(total=0.1))
    tg.delay(0)
    for _ in range(50):  # the call still lands after the client gave up
        if len(tg.sent) == 2:
            break
        await asyncio.sleep(0.02)
    assert [message.text for message in tg.sent] == ["through", "slow"]


async def test_a_webhook_receives_updates_with_the_secret_header(bot: Bot, tg: FakeTelegram) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    answer = 200

    async def receive(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.json_response({}, status=answer)

    app = web.Application()
    app.router.add_post("/tg/webhook", receive)
    async with TestServer(app, host="127.0.0.1") as receiver:
        url = str(receiver.make_url("/tg/webhook"))
        with pytest.raises(TelegramBadRequest):
            await bot.set_webhook(url, secret_token="not allowed!")
        assert await bot.set_webhook(url, secret_token="s3cret_-x", allowed_updates=["message", "callback_query"])
        delivery = await tg.user_says(42, ANN, "Hello there")
        assert delivery.status == 200
        [(secret, update)] = received
        assert secret == "s3cret_-x" and update == delivery.update
        assert update["message"]["text"] == "Hello there" and update["message"]["from"]["first_name"] == "Ann"
        answer = 500
        assert (await tg.user_says(42, ANN, "Again")).status == 500
        assert (await tg.user_blocks(42, ANN)).status is None  # my_chat_member is not in allowed_updates
        info = await bot.get_webhook_info()
        assert info.url == url and info.allowed_updates == ["message", "callback_query"]
        assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert [push.status for push in tg.webhook_pushes] == [200, 500]


async def test_get_updates_long_polls_and_confirms_by_offset(bot: Bot, tg: FakeTelegram) -> None:
    waiting = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    delivery = await tg.user_says(42, ANN, "/start ref42")
    [update] = await asyncio.wait_for(waiting, timeout=2)
    assert update.update_id == delivery.update["update_id"]
    assert update.message is not None and update.message.text == "/start ref42"
    assert delivery.update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert [again.update_id for again in await bot.get_updates()] == [update.update_id]  # not confirmed yet
    assert await bot.get_updates(offset=update.update_id + 1) == []
    assert len(tg.bots[42].pending) == 0
    await bot.set_webhook("http://127.0.0.1:9/hook")
    with pytest.raises(TelegramConflictError, match="while webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates() == []


async def test_a_newer_poll_ends_an_older_one_with_409(bot: Bot, tg: FakeTelegram) -> None:
    older = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    newer = asyncio.create_task(bot.get_updates(timeout=5))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await asyncio.wait_for(older, timeout=2)
    await tg.user_says(42, ANN, "hi")
    assert len(await asyncio.wait_for(newer, timeout=2)) == 1


async def test_a_photo_from_the_user_can_be_fetched_with_get_file(bot: Bot, tg: FakeTelegram) -> None:
    picture = b"\xff\xd8user photo"
    delivery = await tg.user_sends_photo(42, ANN, picture, caption="Broken box")
    sizes = delivery.update["message"]["photo"]
    assert len(sizes) == 3 and delivery.update["message"]["caption"] == "Broken box"
    file = await bot.get_file(sizes[-1]["file_id"])
    assert file.file_path is not None and file.file_size == len(picture)
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == picture
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await bot.get_file("nope")


async def test_every_user_action_is_a_valid_update(bot: Bot, tg: FakeTelegram) -> None:
    sent = await bot.send_message(ANN, "Pick one", reply_markup=markup())
    deliveries = [
        await tg.user_says(42, ANN, "hello"),
        await tg.user_sends_photo(42, ANN, b"jpeg"),
        await tg.user_sends_document(42, ANN, b"%PDF", "a.pdf", "application/pdf", caption="invoice"),
        await tg.user_shares_contact(42, ANN, "+15550100"),
        await tg.user_presses(42, ANN, sent.message_id, "opt:1"),
        await tg.user_edits(42, ANN, 2, "hello, edited"),
        await tg.user_blocks(42, ANN),
        await tg.user_unblocks(42, ANN),
    ]
    updates = [Update.model_validate(delivery.update, context={"bot": bot}) for delivery in deliveries]
    assert [update.update_id for update in updates] == list(range(1, 9))
    assert [update.event_type for update in updates] == [
        *["message"] * 4,
        *["callback_query", "edited_message", "my_chat_member", "my_chat_member"],
    ]
    query = updates[4].callback_query
    assert query is not None and query.data == "opt:1" and query.message is not None
    assert await bot.answer_callback_query(query.id, text="Noted")
    assert [(answer.callback_query_id, answer.text) for answer in tg.callback_answers] == [(query.id, "Noted")]
    kicked = updates[6].my_chat_member
    assert kicked is not None and kicked.new_chat_member.status == "kicked"
    assert ANN not in tg.bots[42].blocked


async def test_edit_markup_delete_chat_action_and_commands(bot: Bot, tg: FakeTelegram) -> None:
    sent = await bot.send_message(ANN, "Pick one", reply_markup=markup())
    edited = await bot.edit_message_reply_markup(chat_id=ANN, message_id=sent.message_id)
    assert not isinstance(edited, bool) and edited.reply_markup is None
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=ANN, message_id=sent.message_id)
    assert await bot.delete_message(ANN, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(ANN, sent.message_id)
    assert await bot.send_chat_action(ANN, "typing")
    assert await bot.set_my_commands([BotCommand(command="start", description="Start over")])
    assert tg.bots[42].commands == [{"command": "start", "description": "Start over"}]


async def test_the_sandbox_accepts_any_token_and_shows_the_chat(http: aiohttp.ClientSession) -> None:
    async with FakeTelegram(sandbox=True, global_rate=30, per_chat_rate=1) as sandbox:
        bot = Bot("555:anything", session=AiohttpSession(api=TelegramAPIServer.from_base(sandbox.base_url)))
        assert (await bot.get_me()).id == 555
        sandbox.bots[555].first_name = "<b>Shop</b>"
        api = f"{sandbox.base_url}/sandbox/api/chats/555/{ANN}"
        status, _ = await call(http, f"{api}/say", {"text": "/start", "first_name": "Ann"})
        assert status == 200
        await bot.send_message(ANN, "Welcome! See https://example.com", reply_markup=markup())
        async with http.get(f"{sandbox.base_url}/") as response:
            page = await response.text()
        assert "Sandbox Telegram" in page and "&lt;b&gt;Shop&lt;/b&gt;" in page and "<b>Shop" not in page
        async with http.get(api) as response:
            view = await response.json()
        assert view["first_name"] == "Ann" and view["blocked"] is False
        assert [(m["from_bot"], m["text"]) for m in view["messages"]] == [
            (False, "/start"),
            (True, "Welcome! See https://example.com"),
        ]
        assert view["messages"][1]["buttons"] == [
            [{"text": "Yes", "data": "opt:1"}, {"text": "Site", "url": "https://example.com/help"}]
        ]
        status, body = await call(http, f"{api}/press", {"message_id": 2, "data": "opt:1"})
        assert status == 200 and body["update"]["callback_query"]["data"] == "opt:1"
        photo = await sandbox.user_sends_photo(555, ANN, b"jpeg bytes")
        async with http.get(api) as response:
            [link] = (await response.json())["messages"][-1]["files"]
        async with http.get(f"{sandbox.base_url}{link['url']}") as response:
            assert await response.read() == b"jpeg bytes"
        assert link["url"].endswith(photo.update["message"]["photo"][-1]["file_id"])
        assert (await call(http, f"{api}/block"))[0] == 200
        with pytest.raises(TelegramForbiddenError):
            await bot.send_message(ANN, "Still there?")
        [pending] = [u for u in sandbox.bots[555].pending if "my_chat_member" in u]
        assert pending["my_chat_member"]["new_chat_member"]["status"] == "kicked"
        await close(bot)
