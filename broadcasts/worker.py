"""A process that sends broadcasts and runs their scheduler, nothing else: `firstline worker` (the
same settings as `firstline serve`: DATABASE_URL, FIRSTLINE_SECRET_KEY, FIRSTLINE_DATA_DIR,
FIRSTLINE_TELEGRAM_API_URL). Run as many as wanted; SIGTERM or Ctrl-C lets the sends in flight finish."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal

from broadcasts.runner import BroadcastRunner
from channels.telegram.client import TelegramClients
from channels.telegram.pacing import SendPacer
from channels.telegram.sending import SendingParts
from core.clock import SystemClock
from core.config import Settings
from core.crypto import SecretBox
from core.db import Database, create_engine
from core.files import LocalFileStore

log = logging.getLogger(__name__)


async def run_worker(settings: Settings) -> None:
    """Until SIGTERM/SIGINT; `settings` name a running, migrated database."""
    assert settings.database.url is not None  # running_database sets it
    assert settings.secret_key is not None  # with_secret_key sets it
    engine = create_engine(settings.database.url, pool_size=settings.database.pool_size)
    clients = TelegramClients(settings.telegram.api_url)
    runner = BroadcastRunner(
        SendingParts(
            Database.from_engine(engine),
            clients,
            SecretBox(settings.secret_key.get_secret_value()),
            LocalFileStore(settings.data_dir / "files"),
            SendPacer(),
            SystemClock(),
        )
    )
    loop, stopping = asyncio.get_running_loop(), set[asyncio.Task[None]]()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, lambda: stopping.add(asyncio.ensure_future(runner.close())))
    gc.collect()
    gc.freeze()  # what starting made lives as long as the process: out of the collector's sight
    try:
        print("broadcast worker running", flush=True)
        await runner.run()
    finally:
        await clients.close()
        await engine.dispose()
