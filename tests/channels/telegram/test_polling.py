"""Long polling on a committing database against the fake Bot API: of two pollers (two processes'
worth) exactly one holds a bot's lease and fetches its updates; every update is stored once, the
offset advances, and when the holder stops another takes the bot over after the lease lapses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select, update

from accounts.workspaces import create_workspace
from channels.base import ChannelKind
from channels.telegram.client import TelegramClients
from channels.telegram.models import POLLING, TelegramBot
from channels.telegram.polling import Poller
from channels.telegram.receiver import Parts, UpdateReceiver
from conversations.models import Message
from conversations.outbox import Outbox
from core.clock import SystemClock
from core.db import Database
from core.files import LocalFileStore
from core.ids import TelegramBotId
from tests.bots import BOX, bot_service
from tests.fakes.telegram_server import FakeTelegram

TOKEN = "777:polling-test-token"
TELEGRAM_BOT = 777  # the bot's id on Telegram (the token's digits)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        fake.add_bot(TOKEN, username="polling_bot")
        yield fake


async def _polling_bot(db: Database) -> TelegramBotId:
    async with db.transaction() as tx:
        workspace = await create_workspace(tx.session, slug="polling", name="Polling", admin_id=None)
        bot = TelegramBot(
            workspace_id=workspace.id,
            connection_id="polling-connection",
            telegram_id=777,
            username="polling_bot",
            name="Polling",
            token_sealed=BOX.seal(TOKEN),
            mode=POLLING,
        )
        tx.session.add(bot)
        await tx.session.flush()
        return bot.id


def _poller(db: Database, clients: TelegramClients, http: aiohttp.ClientSession, files: Path) -> Poller:
    clock = SystemClock()
    outbox = Outbox(db, {}, clock, background=False)
    parts = Parts(db, clients, BOX, LocalFileStore(files), clock, bot_service(db, clock, http), outbox)
    return Poller(parts, UpdateReceiver(parts))


async def _stored(db: Database) -> int:
    async with db.transaction() as tx:
        count = await tx.session.scalar(
            select(func.count()).select_from(Message).where(Message.channel == ChannelKind.TELEGRAM)
        )
    return int(count or 0)


async def _until(condition: Callable[[], Awaitable[bool]], *, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not reached in time")


async def test_one_poller_at_a_time_fetches_each_update_once(
    committed_db: Database, tg: FakeTelegram, tmp_path: Path
) -> None:
    bot_id = await _polling_bot(committed_db)
    clients = TelegramClients(tg.base_url)
    async with aiohttp.ClientSession() as http:
        first = _poller(committed_db, clients, http, tmp_path / "a")
        second = _poller(committed_db, clients, http, tmp_path / "b")
        try:
            assert await first.renew() == {bot_id}
            assert await second.renew() == set()  # the lease is held

            for number in range(5):
                await tg.user_says(TELEGRAM_BOT, 1000 + number, f"hello {number}")
            await _until(lambda: _stored_equals(committed_db, 5))
            async with committed_db.transaction() as tx:
                offset = await tx.session.scalar(select(TelegramBot.updates_offset).where(TelegramBot.id == bot_id))
            assert offset is not None and offset > 0

            # The holder stops (its process died): once the lease lapses, the other takes over.
            await first.stop()
            async with committed_db.transaction() as tx:
                await tx.session.execute(
                    update(TelegramBot)
                    .where(TelegramBot.id == bot_id)
                    .values(polling_lease_until=func.now() - timedelta(seconds=1))
                )
            assert await second.renew() == {bot_id}
            await tg.user_says(TELEGRAM_BOT, 2000, "after the takeover")
            await _until(lambda: _stored_equals(committed_db, 6))
            await asyncio.sleep(0.3)
            assert await _stored(committed_db) == 6  # nothing fetched twice
        finally:
            await first.stop()
            await second.stop()
            await clients.close()


async def _stored_equals(db: Database, expected: int) -> bool:
    return await _stored(db) == expected
