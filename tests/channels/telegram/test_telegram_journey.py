"""The Telegram channel end to end against the fake Bot API (the real aiogram client talking HTTP
to it, the fake pushing updates to our real webhook): an admin connects a bot; a person presses
/start with a deep link, gets the welcome bot's buttons as an inline keyboard, asks the AI bot,
asks for a person; the operator's reply reaches them; every message sent is metered once; blocking
the bot unsubscribes them, a reply then fails as "blocked" and a broadcast skips them. A
broadcast's flow button starts its flow. Plus the webhook's bad input."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy import func, select

from accounts.actors import Actor
from accounts.api_keys import issue_api_key
from accounts.roles import Role
from billing.models import UsageRecord
from broadcasts.runner import BroadcastRunner
from channels.telegram.client import TelegramClients
from channels.telegram.models import TelegramBot, TelegramSubscriber, TelegramUpdate
from channels.telegram.pacing import SendPacer
from channels.telegram.receiver import telegram_key
from channels.telegram.sending import SendingParts
from conversations.models import Contact, Conversation, Message
from conversations.outbound import reply_as_operator
from core.app import build_app
from core.clock import SystemClock
from core.config import HttpSettings, TelegramSettings
from core.db import Database
from core.files import LocalFileStore
from core.keys import clock_key, outbox_key
from flows.store import create_flow, publish
from tests.bots import BOX
from tests.bots.test_ai_bot import knowledge
from tests.bots.test_runtime import workspace_with_welcome_bot
from tests.factories import Client, make_settings
from tests.fakes.embedders import HashingEmbedder
from tests.fakes.telegram_server import FakeBot, FakeTelegram

TOKEN = "123456:TEST-token_for-firstline"
CHAT = 4242
OTHER_CHAT = 4343
REFUND_TEXT = (
    "You can get a refund within 14 days of payment. Write to billing@example.com and we return the money "
    "to your card within five working days."
)


@dataclass
class World:
    client: Client
    tg: FakeTelegram
    bot: FakeBot
    admin: Actor
    bearer: dict[str, str]
    db: Database


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def world(db: Database, aiohttp_client: AiohttpClient) -> AsyncIterator[World]:
    admin = await workspace_with_welcome_bot(db)
    async with db.transaction() as tx:
        key = await issue_api_key(
            tx.session, workspace_id=admin.workspace_id, name="test", role=Role.ADMIN, created_by=None
        )
    async with FakeTelegram() as tg:
        bot = tg.add_bot(TOKEN, username="firstline_test_bot", first_name="Firstline")
        tg.add_user(CHAT, first_name="Ann", username="ann", language_code="en")
        port = _free_port()
        settings = make_settings(
            http=HttpSettings(port=port, public_url=f"http://127.0.0.1:{port}"),
            telegram=TelegramSettings(api_url=tg.base_url),
        )
        app = build_app(settings, database=db, embedder=HashingEmbedder())
        client = await aiohttp_client(app, server_kwargs={"port": port})
        yield World(client, tg, bot, admin, {"Authorization": f"Bearer {key.key}"}, db)


async def _connect(world: World, mode: str = "webhook") -> dict[str, object]:
    response = await world.client.post(
        "/api/v1/channels/telegram/bots", json={"token": TOKEN, "mode": mode}, headers=world.bearer
    )
    assert response.status == 201, await response.text()
    return dict((await response.json())["bot"])


async def _conversation(db: Database) -> Conversation:
    async with db.transaction() as tx:
        return (await tx.session.scalars(select(Conversation).where(Conversation.channel == "telegram"))).one()


async def _telegram_usage(db: Database) -> int:
    async with db.transaction() as tx:
        total = await tx.session.scalar(
            select(func.coalesce(func.sum(UsageRecord.quantity), 0)).where(UsageRecord.metric == "telegram_message")
        )
    return int(total or 0)


async def test_a_person_on_telegram_meets_the_bots_and_an_operator(world: World) -> None:
    tg, db = world.tg, world.db
    await knowledge(db, world.admin, ("Refunds", REFUND_TEXT))

    connected = await _connect(world)
    assert connected["username"] == "firstline_test_bot"
    assert world.bot.webhook_url is not None and world.bot.webhook_url.endswith(
        "/telegram/webhook/" + _connection(world)
    )

    # /start with a deep link: a subscriber, the payload on the contact, the welcome bot's buttons inline.
    started = await tg.user_says(world.bot, CHAT, "/start promo42")
    assert started.status == 200
    greeting = tg.sent_to(CHAT)
    assert greeting, "the welcome bot answered /start"
    keyboard = greeting[-1].reply_markup
    assert keyboard is not None and keyboard["inline_keyboard"]
    async with db.transaction() as tx:
        subscriber = (await tx.session.scalars(select(TelegramSubscriber))).one()
        contact = await tx.session.get(Contact, subscriber.contact_id)
    assert (subscriber.status, subscriber.start_payload) == ("subscribed", "promo42")
    assert contact is not None and contact.properties["telegram_start"] == "promo42"
    assert contact.name == "Ann"

    # "Ask a question" pressed: answered (the spinner stops) and the bot asks for the question.
    ask = next(row[0] for row in keyboard["inline_keyboard"] if "question" in str(row[0]["text"]).lower())
    pressed = await tg.user_presses(world.bot, CHAT, greeting[-1].message_id, str(ask["callback_data"]))
    assert pressed.status == 200
    assert [answer.callback_query_id for answer in tg.callback_answers] == [pressed.update["callback_query"]["id"]]
    before = len(tg.sent_to(CHAT))
    await tg.user_says(world.bot, CHAT, "How do I get a refund?")
    answer_texts = [sent.text or "" for sent in tg.sent_to(CHAT)[before:]]
    assert any("14 days" in text for text in answer_texts), answer_texts

    # A person, please: the dialog goes to the operators' queue, on Telegram.
    await tg.user_says(world.bot, CHAT, "I want to talk to a human operator")
    conversation = await _conversation(db)
    assert conversation.owner == "queue"

    # The operator's reply reaches the person through the bot.
    async with db.transaction() as tx:
        reply = await reply_as_operator(
            tx.session, world.admin, conversation.id, text="Hi Ann, <b>I am</b> here.", at=_now(world)
        )
    await world.client.app[outbox_key].deliver_due()
    assert tg.sent_to(CHAT)[-1].text == "Hi Ann, <b>I am</b> here."
    assert tg.sent_to(CHAT)[-1].parse_mode is None  # plain text: nothing the operator typed is markup

    # Every message the bot sent is metered once; delivering again meters nothing more.
    sent = len(tg.sent_to(CHAT))
    assert await _telegram_usage(db) == sent
    await world.client.app[outbox_key].deliver_due()
    assert await _telegram_usage(db) == sent

    # Blocking the bot unsubscribes; a reply then fails as blocked and is not retried.
    await tg.user_blocks(world.bot, CHAT)
    async with db.transaction() as tx:
        subscriber = (await tx.session.scalars(select(TelegramSubscriber))).one()
        assert (subscriber.status, subscriber.unsubscribed_reason) == ("unsubscribed", "blocked")
        second = await reply_as_operator(tx.session, world.admin, conversation.id, text="Still there?", at=_now(world))
    await world.client.app[outbox_key].deliver_due()
    async with db.transaction() as tx:
        failed = await tx.session.get(Message, second.message.id)
    assert failed is not None and (failed.status, failed.failure_reason) == ("failed", "The person blocked the bot.")
    assert reply.message.id != second.message.id
    assert await _telegram_usage(db) == sent

    # A broadcast goes to the other subscriber only: the person who blocked the bot is skipped.
    tg.add_user(OTHER_CHAT, first_name="Bob")
    await tg.user_says(world.bot, OTHER_CHAT, "/start")
    async with db.transaction() as tx:
        bot_id = await tx.session.scalar(select(TelegramBot.id))
    draft = {"bot_id": bot_id, "name": "News", "text": "Our news"}
    created = await world.client.post("/api/v1/broadcasts", json=draft, headers=world.bearer)
    broadcast_id = (await created.json())["broadcast"]["id"]
    sending = await world.client.post(f"/api/v1/broadcasts/{broadcast_id}/send", headers=world.bearer)
    assert (await sending.json())["recipients"] == 1
    await _deliver_broadcasts(world)
    assert [m.text for m in tg.sent_to(OTHER_CHAT)][-1] == "Our news"
    assert "Our news" not in [m.text for m in tg.sent_to(CHAT)]

    # Unblocking subscribes them again.
    await tg.user_unblocks(world.bot, CHAT)
    async with db.transaction() as tx:
        status = await tx.session.scalar(select(TelegramSubscriber.status).where(TelegramSubscriber.chat_id == CHAT))
    assert status == "subscribed"


async def test_the_webhook_refuses_a_missing_or_wrong_secret_and_ignores_what_it_cannot_use(world: World) -> None:
    await _connect(world)
    path = "/telegram/webhook/" + _connection(world)
    update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": CHAT, "type": "private"}}}
    assert (await world.client.post(path, json=update)).status == 401
    wrong = {"X-Telegram-Bot-Api-Secret-Token": "nope"}
    response = await world.client.post(path, json=update, headers=wrong)
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "unauthenticated"
    async with world.db.transaction() as tx:
        assert await tx.session.scalar(select(func.count()).select_from(TelegramUpdate)) == 0

    # Malformed bodies and updates: 200, logged, nothing stored, nothing broken.
    secret = world.client.app[telegram_key].secrets.for_connection(_connection(world))
    good = {"X-Telegram-Bot-Api-Secret-Token": secret}
    for body in (b"not json", b"[1, 2]", b'{"update_id": "x"}', b'{"update_id": 5, "poll": {}}'):
        assert (await world.client.post(path, data=body, headers=good)).status == 200
    async with world.db.transaction() as tx:
        assert await tx.session.scalar(select(func.count()).select_from(Message)) == 0

    # A redelivered update is handled once.
    for _ in range(2):
        assert (await world.tg.deliver(world.bot, _message_update(77, "hello"))).status == 200
    async with world.db.transaction() as tx:
        visitor = await tx.session.scalar(select(func.count()).select_from(Message).where(Message.author == "visitor"))
    assert visitor == 1


async def test_a_disconnected_bot_s_updates_are_ignored_and_a_wrong_token_saves_nothing(world: World) -> None:
    connected = await _connect(world)
    connection = _connection(world)
    response = await world.client.delete(f"/api/v1/channels/telegram/bots/{connected['id']}", headers=world.bearer)
    assert response.status == 204
    secret = world.client.app[telegram_key].secrets.for_connection(connection)
    late = await world.client.post(
        f"/telegram/webhook/{connection}",
        json=_message_update(9, "late"),
        headers={"X-Telegram-Bot-Api-Secret-Token": secret},
    )
    assert late.status == 200
    async with world.db.transaction() as tx:
        assert await tx.session.scalar(select(func.count()).select_from(Message)) == 0

    wrong = await world.client.post(
        "/api/v1/channels/telegram/bots", json={"token": "999:not-a-known-bot"}, headers=world.bearer
    )
    assert wrong.status == 400
    assert "did not accept this token" in (await wrong.json())["error"]["message"]
    malformed = await world.client.post("/api/v1/channels/telegram/bots", json={"token": "hello"}, headers=world.bearer)
    assert malformed.status == 400
    async with world.db.transaction() as tx:
        connected_now = await tx.session.scalar(
            select(func.count()).select_from(TelegramBot).where(TelegramBot.disconnected_at.is_(None))
        )
    assert connected_now == 0
    listed = await world.client.get("/api/v1/channels/telegram/bots", headers=world.bearer)
    assert (await listed.json())["bots"] == []


async def _deliver_broadcasts(world: World) -> None:
    """What the server's broadcast worker does, here in passes on the test's one connection."""
    clients = TelegramClients(world.tg.base_url)
    runner = BroadcastRunner(
        SendingParts(world.db, clients, BOX, LocalFileStore(Path("/nonexistent")), SendPacer(), SystemClock())
    )
    try:
        while await runner.deliver_once() > 0:
            pass
    finally:
        await clients.close()


def _message_update(update_id: int, text: str) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1767225600,
            "chat": {"id": CHAT, "type": "private", "first_name": "Ann"},
            "from": {"id": CHAT, "is_bot": False, "first_name": "Ann"},
            "text": text,
        },
    }


def _connection(world: World) -> str:
    assert world.bot.webhook_url is not None
    return world.bot.webhook_url.rsplit("/", 1)[-1]


def _now(world: World) -> datetime:
    return world.client.app[clock_key].now()


async def test_a_broadcast_button_starts_its_flow_in_the_persons_dialog(world: World) -> None:
    tg, db = world.tg, world.db
    await _connect(world)
    await tg.user_says(world.bot, CHAT, "/start")
    quiz = {
        "schema": 1,
        "start": "ask",
        "triggers": [],
        "nodes": [{"kind": "message", "id": "ask", "text": "Which size do you wear?"}],
    }
    async with db.transaction() as tx:
        flow = await create_flow(tx.session, world.admin, "Size quiz", quiz)
        await publish(tx.session, world.admin, flow.id, at=_now(world))
        bot_id = await tx.session.scalar(select(TelegramBot.id))
        subscriber_id = await tx.session.scalar(select(TelegramSubscriber.id))
    draft = {
        "bot_id": bot_id,
        "name": "Quiz",
        "text": "New sizes are in!",
        "buttons": [{"label": "Find my size", "flow_id": flow.id}],
    }
    created = await world.client.post("/api/v1/broadcasts", json=draft, headers=world.bearer)
    assert created.status == 201, await created.text()
    broadcast_id = (await created.json())["broadcast"]["id"]
    tested = await world.client.post(
        f"/api/v1/broadcasts/{broadcast_id}/test", json={"subscriber_id": subscriber_id}, headers=world.bearer
    )
    assert tested.status == 200, await tested.text()
    sent = tg.sent_to(CHAT)[-1]
    assert sent.text == "New sizes are in!" and sent.reply_markup is not None
    button = sent.reply_markup["inline_keyboard"][0][0]
    assert button["text"] == "Find my size"

    await tg.user_presses(world.bot, CHAT, sent.message_id, str(button["callback_data"]))
    assert tg.sent_to(CHAT)[-1].text == "Which size do you wear?"
    async with db.transaction() as tx:
        pressed = await tx.session.scalar(select(Message).where(Message.button_id == f"flow:{flow.id}"))
    assert pressed is not None and pressed.body == "Find my size"

    # Forged data naming no button of ours is answered (the spinner stops) and stored nowhere.
    await tg.user_presses(world.bot, CHAT, sent.message_id, f"bc:{broadcast_id}:7")
    assert len(tg.callback_answers) == 2
