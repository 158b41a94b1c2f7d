"""Starting scheduled broadcasts on time: APScheduler 3.x with in-memory jobs, run by exactly one
process, the leader, which holds a PostgreSQL advisory lock (others try again every few seconds).
The leader keeps a date job per scheduled broadcast and, every `interval` seconds, a sync job that
starts anything overdue (after downtime) and picks up broadcasts scheduled since. A job only moves a
due broadcast from scheduled to sending (planning its recipients) in one transaction, and does
nothing the second time, so a moment with two leaders cannot send anything twice."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]  # no stubs for 3.x

from broadcasts.lifecycle import due_broadcasts, scheduled_broadcasts, start_if_due
from broadcasts.locks import SCHEDULER_LEADER, HeldLock, advisory_lock
from core.clock import Clock
from core.db import Database
from core.ids import BroadcastId

log = logging.getLogger(__name__)

# A broadcast scheduled for sooner than the next sync is picked up by it: at most this late. A sync
# is two small queries, by the leader only.
SYNC_SECONDS = 5.0
RETRY_SECONDS = 5.0
_JOB_PREFIX = "broadcast:"


class BroadcastScheduler:
    def __init__(
        self, database: Database, clock: Clock, *, interval: float = SYNC_SECONDS, retry: float = RETRY_SECONDS
    ) -> None:
        self._database, self._clock = database, clock
        self._interval, self._retry = interval, retry
        self._jobs: AsyncIOScheduler | None = None
        self.is_leader = False
        self.started: list[BroadcastId] = []  # the broadcasts this scheduler started

    async def run(self) -> None:
        """Lead while holding the lock; try to take it every `retry` seconds. Runs until cancelled."""
        while True:
            async with advisory_lock(self._database, SCHEDULER_LEADER) as held:
                if held is not None:
                    await self._lead(held)
            await asyncio.sleep(self._retry)

    async def sync_job(self) -> None:
        """Start what is overdue; keep one date job per scheduled broadcast, and no others."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            overdue = await due_broadcasts(tx.session, now=now)
            upcoming = [item for item in await scheduled_broadcasts(tx.session) if item.at > now]
        for broadcast_id in overdue:
            await self.start_job(broadcast_id)
        if self._jobs is None:
            return
        wanted = {f"{_JOB_PREFIX}{item.id}" for item in upcoming}
        for job in self._jobs.get_jobs():
            if job.id.startswith(_JOB_PREFIX) and job.id not in wanted:
                job.remove()
        for item in upcoming:
            self._jobs.add_job(
                self.start_job,
                "date",
                run_date=item.at,
                args=[item.id],
                id=f"{_JOB_PREFIX}{item.id}",
                replace_existing=True,
                misfire_grace_time=None,  # late is better than never; start_if_due decides
            )

    async def start_job(self, broadcast_id: BroadcastId) -> None:
        try:
            async with self._database.transaction() as tx:
                started = await start_if_due(tx.session, broadcast_id, now=self._clock.now())
        except Exception:  # a scheduler job is an edge: log with context, the next sync tries again
            log.exception("starting a scheduled broadcast failed", extra={"broadcast_id": broadcast_id})
            return
        if started:
            self.started.append(broadcast_id)
            log.info("scheduled broadcast started", extra={"broadcast_id": broadcast_id})

    async def _lead(self, held: HeldLock) -> None:
        self.is_leader = True
        jobs = self._jobs = AsyncIOScheduler(timezone=UTC)
        jobs.add_job(
            self.sync_job,
            "interval",
            seconds=self._interval,
            id="broadcasts:sync",
            next_run_time=self._clock.now(),
            coalesce=True,
            max_instances=1,
        )
        jobs.start()
        log.info("this process leads the broadcast scheduler")
        try:
            while True:  # a lock whose connection died is no lock: stop leading then
                await asyncio.sleep(self._retry)
                if not await held.still_held():
                    break
            log.warning("lost the broadcast scheduler's leader lock")
        finally:
            self.is_leader, self._jobs = False, None
            jobs.shutdown(wait=False)
