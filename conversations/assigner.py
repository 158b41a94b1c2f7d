"""The assigner of one process: a sweep takes operators whose inbox went quiet offline (re-queuing
their dialogs), wakes snoozed dialogs whose time came, then runs an assignment pass over every
queue with waiting dialogs. It sweeps when kicked — by any process's realtime event on the
`queues` topic (a dialog queued, an operator online, a dialog closed) — and every few seconds
regardless, so nothing waits on a lost kick."""

from __future__ import annotations

import asyncio
import logging

from accounts.presence import expire_presence
from conversations.assignment import assign_waiting, queues_with_waiting, requeue_operator_dialogs
from conversations.events import presence_changed
from conversations.lifecycle import wake_snoozed
from core.clock import Clock
from core.db import Database
from core.realtime import publish

log = logging.getLogger(__name__)
SWEEP_SECONDS = 5.0


class Assigner:
    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock
        self._wake = asyncio.Event()

    def kick(self) -> None:
        """Sweep soon (kicks arriving during a sweep coalesce into one more)."""
        self._wake.set()

    async def run(self, *, interval: float = SWEEP_SECONDS) -> None:
        while True:
            try:
                async with asyncio.timeout(interval):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self.sweep()
            except Exception:  # one failed sweep must not stop assignment for good
                log.exception("assignment sweep failed; retrying at the next one")

    async def sweep(self) -> int:
        """Presence expiry, snoozed dialogs whose time came, then one pass per waiting queue; how
        many dialogs were assigned."""
        await self._expire_presence()
        async with self._database.transaction() as tx:
            await wake_snoozed(tx.session, self._clock.now())
        async with self._database.transaction() as tx:
            queues = await queues_with_waiting(tx.session)
        assigned = 0
        for workspace_id, group_id in queues:
            async with self._database.transaction() as tx:
                assigned += len(await assign_waiting(tx.session, workspace_id, group_id, now=self._clock.now()))
        return assigned

    async def _expire_presence(self) -> None:
        async with self._database.transaction() as tx:
            now = self._clock.now()
            for change in await expire_presence(tx.session, now=now):
                await requeue_operator_dialogs(tx.session, change.workspace_id, change.operator_id, now=now)
                await publish(tx.session, presence_changed(change.workspace_id, change.operator_id, "offline"))
