"""The assigner of one process. A kick — any process's realtime event on the `queues` topic — runs
an assignment pass: over the one queue a dialog just entered, or over every queue with waiting
dialogs (an operator came online, a dialog closed and freed a place). Every few seconds, and so
whatever kicks were lost, a full sweep also takes operators whose inbox went quiet offline
(re-queuing their dialogs) and wakes snoozed dialogs whose time came. Kicks that arrive during a
pass coalesce into one more."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import TypeAlias

from accounts.presence import expire_presence
from conversations.assignment import assign_waiting, queues_with_waiting, requeue_operator_dialogs
from conversations.events import CONVERSATION, presence_changed
from conversations.lifecycle import wake_snoozed
from core.clock import Clock
from core.db import Database
from core.ids import GroupId, WorkspaceId
from core.realtime import RealtimeEvent, publish

log = logging.getLogger(__name__)
SWEEP_SECONDS = 5.0
Queue: TypeAlias = tuple[WorkspaceId, GroupId | None]  # a group's queue (None: the dialogs of no group)


class Assigner:
    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock
        self._wake = asyncio.Event()
        self._kicked: set[Queue] = set()
        self._every_queue = False

    def kick(self, event: RealtimeEvent | None = None) -> None:
        """Assign soon: in the queue a dialog entered, or (any other event) in every queue."""
        queue = _queue_entered(event)
        if queue is None:
            self._every_queue = True
        else:
            self._kicked.add(queue)
        self._wake.set()

    async def run(self, *, interval: float = SWEEP_SECONDS) -> None:
        loop = asyncio.get_running_loop()
        next_sweep = loop.time() + interval
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(next_sweep - loop.time(), 0)):
                    await self._wake.wait()
            self._wake.clear()
            try:
                if loop.time() >= next_sweep:
                    next_sweep = loop.time() + interval
                    self._kicked.clear()
                    self._every_queue = False
                    await self.sweep()
                else:
                    await self.assign_kicked()
            except Exception:  # one failed pass must not stop assignment for good
                log.exception("assignment failed; retrying at the next pass")

    async def assign_kicked(self) -> int:
        """One pass over the queues kicked since the last; how many dialogs were assigned."""
        queues, self._kicked = self._kicked, set()
        if self._every_queue:
            self._every_queue = False
            async with self._database.transaction() as tx:
                queues |= set(await queues_with_waiting(tx.session))
        return await self._assign(sorted(queues, key=lambda queue: (queue[0], queue[1] or 0)))

    async def sweep(self) -> int:
        """Presence expiry, snoozed dialogs whose time came, then one pass per waiting queue; how
        many dialogs were assigned."""
        await self._expire_presence()
        async with self._database.transaction() as tx:
            await wake_snoozed(tx.session, self._clock.now())
        async with self._database.transaction() as tx:
            queues = await queues_with_waiting(tx.session)
        return await self._assign(queues)

    async def _assign(self, queues: Iterable[Queue]) -> int:
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


def _queue_entered(event: RealtimeEvent | None) -> Queue | None:
    """The queue a `conversation` event says a dialog entered; None for any other event."""
    if event is None or event.kind != CONVERSATION or event.data.get("owner") != "queue":
        return None
    workspace_id, group_id = event.data.get("workspace_id"), event.data.get("group_id")
    if not isinstance(workspace_id, int) or not (group_id is None or isinstance(group_id, int)):
        return None
    return WorkspaceId(workspace_id), None if group_id is None else GroupId(group_id)
