"""The fake Telegram Bot API with the tests' bot, the real aiogram clients pointed at it, and a
broadcast runner on the committing database."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from broadcasts.runner import BroadcastRunner
from channels.telegram.client import TelegramClients
from channels.telegram.pacing import SendPacer
from channels.telegram.sending import SendingParts
from core.clock import Clock, SystemClock
from core.db import Database
from core.files import LocalFileStore
from core.ids import BroadcastId
from tests.broadcasts.seed import BOX, TOKEN, broadcast_status
from tests.fakes.telegram_server import FakeTelegram

FINISH_SECONDS = 90


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        fake.add_bot(TOKEN, username="shop_bot")
        yield fake


@pytest.fixture
async def clients(telegram: FakeTelegram) -> AsyncIterator[TelegramClients]:
    clients = TelegramClients(telegram.base_url)
    yield clients
    await clients.close()


@pytest.fixture
def files(tmp_path: Path) -> LocalFileStore:
    return LocalFileStore(tmp_path / "files")


def make_runner(
    database: Database, clients: TelegramClients, files: LocalFileStore, clock: Clock | None = None
) -> BroadcastRunner:
    return BroadcastRunner(SendingParts(database, clients, BOX, files, SendPacer(), clock or SystemClock()), poll=0.1)


@contextlib.asynccontextmanager
async def running(runner: BroadcastRunner) -> AsyncIterator[None]:
    task = asyncio.create_task(runner.run())
    try:
        yield
    finally:
        await runner.close()
        await task


async def wait_for_status(database: Database, broadcast_id: BroadcastId, *wanted: str) -> str:
    async with asyncio.timeout(FINISH_SECONDS):
        while True:  # the worker runs in this process or another: the database is what both share
            status = await broadcast_status(database, broadcast_id)
            if status in wanted:
                return status
            await asyncio.sleep(0.05)
