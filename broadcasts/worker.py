"""A process that sends broadcasts and runs their scheduler, nothing else: `python -m broadcasts.worker`
(the same settings as `firstline serve`: DATABASE_URL, FIRSTLINE_SECRET_KEY, FIRSTLINE_DATA_DIR,
FIRSTLINE_TELEGRAM_API_URL). Run as many as wanted; SIGTERM or Ctrl-C lets the sends in flight finish."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from broadcasts.runner import BroadcastRunner
from channels.telegram.client import TelegramClients
from channels.telegram.pacing import SendPacer
from core.clock import SystemClock
from core.config import Settings, load_settings, with_secret_key
from core.crypto import SecretBox
from core.db import Database, create_engine
from core.errors import StartupError
from core.files import LocalFileStore
from core.log import configure_logging
from core.startup import prepare_database, running_database

log = logging.getLogger(__name__)


async def run_worker(settings: Settings) -> None:
    """Until SIGTERM/SIGINT; `settings` name a running, migrated database."""
    assert settings.database.url is not None  # running_database sets it
    assert settings.secret_key is not None  # with_secret_key sets it
    engine = create_engine(settings.database.url, pool_size=settings.database.pool_size)
    clients = TelegramClients(settings.telegram.api_url)
    runner = BroadcastRunner(
        Database.from_engine(engine),
        clients,
        SecretBox(settings.secret_key.get_secret_value()),
        LocalFileStore(settings.data_dir / "files"),
        SendPacer(),
        SystemClock(),
    )
    loop, stopping = asyncio.get_running_loop(), set[asyncio.Task[None]]()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, lambda: stopping.add(asyncio.ensure_future(runner.close())))
    try:
        print("broadcast worker running", flush=True)
        await runner.run()
    finally:
        await clients.close()
        await engine.dispose()


def main() -> None:
    try:
        settings = with_secret_key(load_settings())
        configure_logging(settings.log_level, settings.log_format)
        with running_database(settings) as ready:
            asyncio.run(prepare_database(ready))
            asyncio.run(run_worker(ready))
    except StartupError as error:
        print(f"broadcast worker: error: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
