"""Updates through the receiver both edges use (`UpdateReceiver`), on the database: a subscriber's
later messages take the one-statement path (message, update id and subscriber in one go,
committed on their own) and behave as the general path does — a redelivery stores nothing, a
disconnected bot's update is ignored, someone who had blocked the bot is subscribed again, a text
over a dialog's limit is cut — and two processes racing one update store it once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select, update

from channels.telegram.client import TelegramClients
from channels.telegram.models import UNSUBSCRIBED, TelegramBot, TelegramSubscriber, TelegramUpdate
from channels.telegram.receiver import Parts, UpdateReceiver
from conversations.limits import MAX_TEXT_LENGTH
from conversations.models import Conversation, Message
from conversations.outbox import Outbox
from core.clock import FrozenClock
from core.db import Database
from core.files import LocalFileStore
from tests.bots import bot_service
from tests.broadcasts.seed import BOX, make_bot
from tests.factories import make_workspace

CHAT = 5151
AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


async def _bot(db: Database) -> TelegramBot:
    async with db.transaction() as tx:
        return await make_bot(tx.session, (await make_workspace(tx.session)).id, token="515:inbound")


def _says(update_id: int, text: str, *, username: str = "kate") -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1767225600,
            "chat": {"id": CHAT, "type": "private", "first_name": "Kate"},
            "from": {"id": CHAT, "is_bot": False, "first_name": "Kate", "username": username},
            "text": text,
        },
    }


@pytest.fixture
async def receive(db: Database) -> AsyncIterator[Receive]:
    async with _receiver(db) as receive:
        yield receive


Receive = Callable[[TelegramBot, dict[str, object], datetime], Awaitable[None]]


@asynccontextmanager
async def _receiver(db: Database) -> AsyncIterator[Receive]:
    """Receiving an update at a given time, as the webhook and the poller do (the dialogs wait for
    an operator: no flow is published)."""
    clock = FrozenClock(AT)
    clients = TelegramClients("http://127.0.0.1:9")  # text updates need no call to Telegram
    async with aiohttp.ClientSession() as http:
        outbox = Outbox(db, {}, clock, background=False)
        parts = Parts(
            db, clients, BOX, LocalFileStore(Path("/nonexistent")), clock, bot_service(db, clock, http), outbox
        )
        receiver = UpdateReceiver(parts)

        async def receive(bot: TelegramBot, payload: dict[str, object], at: datetime = AT) -> None:
            clock.advance(at - clock.now())
            await receiver.receive(bot, payload)

        try:
            yield receive
        finally:
            await clients.close()


async def _bodies(db: Database) -> list[str]:
    async with db.transaction() as tx:
        return list(
            await tx.session.scalars(select(Message.body).where(Message.author == "visitor").order_by(Message.id))
        )


async def _subscriber(db: Database) -> TelegramSubscriber:
    async with db.transaction() as tx:
        return (await tx.session.scalars(select(TelegramSubscriber))).one()


async def test_later_messages_are_appended_and_keep_the_subscriber_current(db: Database, receive: Receive) -> None:
    bot = await _bot(db)
    await receive(bot, _says(1, "Hello"), AT)
    first = await _subscriber(db)
    later = AT + timedelta(minutes=5)
    await receive(bot, _says(2, "Where is my order?", username="kate_new"), later)

    assert await _bodies(db) == ["Hello", "Where is my order?"]
    subscriber = await _subscriber(db)
    assert subscriber.id == first.id
    assert subscriber.username == "kate_new" and subscriber.last_activity_at == later
    assert subscriber.subscribed_at == first.subscribed_at == AT
    assert await _update_ids(db) == [1, 2]
    async with db.transaction() as tx:
        conversation = (await tx.session.scalars(select(Conversation))).one()
        seqs = list(await tx.session.scalars(select(Message.seq).where(Message.author == "visitor")))
    assert conversation.last_seq >= max(seqs) and len(set(seqs)) == 2


async def test_a_redelivered_update_stores_nothing_more(db: Database, receive: Receive) -> None:
    bot = await _bot(db)
    for payload in (_says(1, "Hello"), _says(2, "Again"), _says(2, "Again"), _says(1, "Hello")):
        await receive(bot, payload, AT)
    assert await _bodies(db) == ["Hello", "Again"]
    assert await _update_ids(db) == [1, 2]


async def test_an_update_for_a_bot_disconnected_meanwhile_is_ignored(db: Database, receive: Receive) -> None:
    bot = await _bot(db)
    await receive(bot, _says(1, "Hello"), AT)
    async with db.transaction() as tx:
        await tx.session.execute(update(TelegramBot).where(TelegramBot.id == bot.id).values(disconnected_at=AT))
    await receive(bot, _says(2, "Anyone?"), AT)  # `bot` as a webhook's cache still knows it: connected
    assert await _bodies(db) == ["Hello"]
    assert await _update_ids(db) == [1]


async def test_someone_who_had_blocked_the_bot_and_writes_again_is_subscribed_again(
    db: Database, receive: Receive
) -> None:
    bot = await _bot(db)
    await receive(bot, _says(1, "Hello"), AT)
    async with db.transaction() as tx:
        await tx.session.execute(
            update(TelegramSubscriber).values(status=UNSUBSCRIBED, unsubscribed_reason="blocked", unsubscribed_at=AT)
        )
    back = AT + timedelta(days=1)
    await receive(bot, _says(2, "I'm back"), back)
    subscriber = await _subscriber(db)
    assert subscriber.status == "subscribed" and subscriber.unsubscribed_reason is None
    assert subscriber.subscribed_at == back


async def test_a_text_longer_than_a_dialog_keeps_is_cut_not_refused(db: Database, receive: Receive) -> None:
    bot = await _bot(db)
    await receive(bot, _says(1, "x" * 4096), AT)  # Telegram's own limit: the general path
    await receive(bot, _says(2, "y" * 4096), AT)  # and the one-statement path
    bodies = await _bodies(db)
    assert [len(body) for body in bodies] == [MAX_TEXT_LENGTH, MAX_TEXT_LENGTH]
    assert bodies[1].endswith("y…")


async def test_two_processes_receiving_one_update_store_it_once(committed_db: Database) -> None:
    bot = await _bot(committed_db)
    async with _receiver(committed_db) as one, _receiver(committed_db) as other:
        await one(bot, _says(1, "Hello"), AT)
        for update_id in range(2, 22):
            payload = _says(update_id, f"message {update_id}")
            await asyncio.gather(one(bot, payload, AT), other(bot, payload, AT))
    assert await _bodies(committed_db) == ["Hello", *(f"message {number}" for number in range(2, 22))]
    assert await _update_ids(committed_db) == list(range(1, 22))


async def _update_ids(db: Database) -> list[int]:
    async with db.transaction() as tx:
        return list(await tx.session.scalars(select(TelegramUpdate.update_id).order_by(TelegramUpdate.update_id)))
