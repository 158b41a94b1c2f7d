"""The scheduler: of two schedulers on one database only the leader fires, a scheduled broadcast
starts once when due, one overdue after downtime starts at once, and leadership passes on when the
leader stops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from accounts.actors import Actor
from accounts.roles import Role
from broadcasts.lifecycle import schedule
from broadcasts.models import Broadcast
from broadcasts.scheduler import BroadcastScheduler
from core.clock import SystemClock
from core.db import Database
from core.ids import BroadcastId, TelegramBotId
from tests.broadcasts.conftest import wait_for_status
from tests.broadcasts.seed import make_bot, make_broadcast, make_subscribers
from tests.factories import make_actor, make_workspace

WAIT_SECONDS = 30


@contextlib.asynccontextmanager
async def scheduling(scheduler: BroadcastScheduler) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(scheduler.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def scheduled_soon(database: Database, actor: Actor, bot_id: TelegramBotId, seconds: float) -> BroadcastId:
    """A broadcast scheduled `seconds` from now, as an editor schedules it (a wall time, UTC here)."""
    wall = (datetime.now(UTC) + timedelta(seconds=seconds)).replace(tzinfo=None)
    async with database.transaction() as tx:
        broadcast = await make_broadcast(tx.session, actor, bot_id)
        await schedule(tx.session, actor, broadcast.id, wall, now=datetime.now(UTC))
    return broadcast.id


async def leader_of(schedulers: list[BroadcastScheduler]) -> BroadcastScheduler:
    async with asyncio.timeout(WAIT_SECONDS):
        while True:  # leadership is taken in the schedulers' own tasks
            leaders = [scheduler for scheduler in schedulers if scheduler.is_leader]
            if leaders:
                [leader] = leaders
                return leader
            await asyncio.sleep(0.05)


async def test_only_the_leader_fires_and_leadership_passes_on(committed_db: Database) -> None:
    async with committed_db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        actor = await make_actor(tx.session, role=Role.EDITOR, workspace=workspace)
        bot = await make_bot(tx.session, workspace.id)
        await make_subscribers(tx.session, bot, 3)
    first = await scheduled_soon(committed_db, actor, bot.id, 2)
    schedulers = [BroadcastScheduler(committed_db, SystemClock(), interval=0.5, retry=0.2) for _ in range(2)]
    async with scheduling(schedulers[0]) as task_a, scheduling(schedulers[1]) as task_b:
        leader = await leader_of(schedulers)
        assert await wait_for_status(committed_db, first, "sending") == "sending"
        assert leader.started == [first]
        assert [scheduler.started for scheduler in schedulers if scheduler is not leader] == [[]]

        (task_a if leader is schedulers[0] else task_b).cancel()  # the leader stops: its lock goes
        follower = next(scheduler for scheduler in schedulers if scheduler is not leader)
        assert await leader_of([follower]) is follower
        second = await scheduled_soon(committed_db, actor, bot.id, 1)
        assert await wait_for_status(committed_db, second, "sending") == "sending"
        assert follower.started == [second]


async def test_a_broadcast_that_fell_due_while_nobody_led_starts_at_once(committed_db: Database) -> None:
    async with committed_db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        actor = await make_actor(tx.session, role=Role.EDITOR, workspace=workspace)
        bot = await make_bot(tx.session, workspace.id)
        await make_subscribers(tx.session, bot, 3)
    overdue = await scheduled_soon(committed_db, actor, bot.id, 60)
    async with committed_db.transaction() as tx:  # its time came while the workers were down
        await tx.session.execute(
            update(Broadcast).where(Broadcast.id == overdue).values(scheduled_at=datetime.now(UTC) - timedelta(hours=1))
        )
    scheduler = BroadcastScheduler(committed_db, SystemClock(), interval=60, retry=0.2)
    async with scheduling(scheduler):
        assert await wait_for_status(committed_db, overdue, "sending") == "sending"
    assert scheduler.started == [overdue]
