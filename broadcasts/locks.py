"""PostgreSQL session advisory locks held on a connection of their own: "only one process at a time"
for the scheduler leader and for each bot's sending. PostgreSQL releases such a lock when its
connection ends, so a killed process gives it up at once (../shared/PROTOCOLS.md §5.1). A lock
needs a direct connection: PgBouncer's transaction pooling would break it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db import Database

log = logging.getLogger(__name__)

SCHEDULER_LEADER = (7_260_101, 0)
BOT_SENDING = 7_260_102  # with the bot's id


def bot_lock(bot_id: int) -> tuple[int, int]:
    return BOT_SENDING, bot_id % 2**31  # the two-int4 form; ids beyond 2^31 merely share a lock


@dataclass
class HeldLock:
    """`exclusive`: PostgreSQL guarantees nobody else holds it. False when the database is one
    connection shared by everything (tests): there is nobody else then, but nothing to prove it."""

    exclusive: bool
    _connection: AsyncConnection | None = None

    async def still_held(self) -> bool:
        """False once the lock's connection is gone (the database restarted): the lock went with it."""
        if self._connection is None:
            return True
        try:
            await self._connection.scalar(select(1))
        except (DBAPIError, OSError):
            return False
        return True


@asynccontextmanager
async def advisory_lock(database: Database, key: tuple[int, int]) -> AsyncIterator[HeldLock | None]:
    """The lock while the block runs, or None (at once) when another session holds it."""
    if database.engine is None:
        yield HeldLock(exclusive=False)
        return
    async with database.engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        if not await connection.scalar(select(func.pg_try_advisory_lock(*key))):
            yield None
            return
        try:
            yield HeldLock(exclusive=True, _connection=connection)
        finally:
            await _unlock(connection, key)


async def _unlock(connection: AsyncConnection, key: tuple[int, int]) -> None:
    unlocked = False
    try:
        await connection.scalar(select(func.pg_advisory_unlock(*key)))
        unlocked = True
    except (DBAPIError, OSError):
        log.warning("advisory lock connection lost", extra={"key": key})
    finally:
        if not unlocked:  # broken or cancelled: never give the pool a connection that may hold the lock
            await connection.invalidate()
