"""The broadcast worker of a process: takes one bot at a time (its advisory lock, so a bot's pace is
kept across processes), claims batches of its due recipients and sends them at the bot's pace, a
few sends overlapping for fast paid broadcasts, each recorded in its own transaction
(broadcasts.delivery explains why a crash sends nobody twice); and the scheduler, when this process
is its leader. `run()` until `close()`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import deque
from collections.abc import Sequence

from sqlalchemy import select

from broadcasts.delivery import (
    Claimed,
    bots_with_work,
    claim_due,
    finish_done,
    mark_in_flight,
    pause_bot_broadcasts,
    record_failure,
    record_sent,
    recover_orphans,
    release_claims,
    release_token,
)
from broadcasts.locks import HeldLock, advisory_lock, bot_lock
from broadcasts.models import Broadcast
from broadcasts.outcomes import batch_size, lanes_for, outcome_of
from broadcasts.scheduler import SYNC_SECONDS, BroadcastScheduler
from broadcasts.sender import BotLine, BroadcastSender, Content, SendFailed, load_bot_line, load_content
from broadcasts.states import BroadcastStatus, RecipientStatus
from channels.telegram.sending import SendingParts
from core.errors import InvalidInput
from core.ids import BroadcastId, TelegramBotId

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
BOT_SLICE_SECONDS = 30.0  # then the next bot with work gets its turn in this process
STOP_SECONDS = 30.0
BOT_GONE = "The bot was disconnected; connect it again and resume."


class BroadcastRunner:
    def __init__(
        self, parts: SendingParts, *, poll: float = POLL_SECONDS, schedule_interval: float = SYNC_SECONDS
    ) -> None:
        self._parts = parts
        self.sender = BroadcastSender(parts)
        self.scheduler = BroadcastScheduler(parts.database, parts.clock, interval=schedule_interval)
        self._poll = poll
        self._stopping = asyncio.Event()
        self._stopped = asyncio.Event()
        self._running = False
        # One connection shared by everything (tests): one send at a time, or savepoints would interleave.
        self._max_lanes = None if parts.database.engine is not None else 1

    async def run(self) -> None:
        """Deliver and schedule until `close()` (or cancellation)."""
        self._running = True
        scheduling = asyncio.create_task(self.scheduler.run())
        try:
            while not self._stopping.is_set():
                try:
                    sent = await self.deliver_once()
                except Exception:  # the worker loop is an edge: log, and try again after a pause
                    log.exception("broadcast delivery pass failed")
                    sent = 0
                if sent == 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), timeout=self._poll)
        finally:
            scheduling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await scheduling
            self._stopped.set()

    async def close(self) -> None:
        """Stop taking recipients, let the sends in flight finish and give the claimed ones back."""
        self._stopping.set()
        if self._running and not self._stopped.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), timeout=STOP_SECONDS)

    async def deliver_once(self) -> int:
        """One pass over the bots with work, one at a time; the messages sent."""
        sent = 0
        async with self._parts.database.transaction() as tx:
            await finish_done(tx.session, now=self._parts.clock.now())
            bots = await bots_with_work(tx.session, now=self._parts.clock.now())
        for bot_id in bots:
            if self._stopping.is_set():
                break
            async with advisory_lock(self._parts.database, bot_lock(bot_id)) as held:
                if held is not None:  # else another process is sending through this bot
                    sent += await self._work_bot(bot_id, held)
        async with self._parts.database.transaction() as tx:
            await finish_done(tx.session, now=self._parts.clock.now())
        return sent

    async def _work_bot(self, bot_id: TelegramBotId, held: HeldLock) -> int:
        async with self._parts.database.transaction() as tx:
            now = self._parts.clock.now()
            recovered = await recover_orphans(tx.session, bot_id, now=now, expired_only=not held.exclusive)
            line = await load_bot_line(tx.session, self._parts.box, bot_id)
            if line is None:
                await pause_bot_broadcasts(tx.session, bot_id, error=BOT_GONE, now=now)
        if recovered:
            log.warning("recovered broadcast recipients of a stopped worker", extra={"bot_id": bot_id, **recovered})
        if line is None:
            return 0
        deadline, sent = time.monotonic() + BOT_SLICE_SECONDS, 0
        contents: dict[BroadcastId, Content | None] = {}
        while not self._stopping.is_set() and time.monotonic() < deadline and await held.still_held():
            token = secrets.randbits(63)
            async with self._parts.database.transaction() as tx:
                claimed = await claim_due(
                    tx.session, bot_id, now=self._parts.clock.now(), batch=batch_size(line.rate), token=token
                )
            if not claimed:
                break
            await self._load_contents(contents, claimed)
            sent += await self._send_batch(line, claimed, contents, token)
        return sent

    async def _send_batch(
        self, line: BotLine, claimed: Sequence[Claimed], contents: dict[BroadcastId, Content | None], token: int
    ) -> int:
        waiting, sent = deque(claimed), 0

        async def lane() -> None:
            nonlocal sent
            while waiting and not self._stopping.is_set():
                item = waiting.popleft()
                content = contents.get(item.broadcast_id)
                if content is not None:
                    sent += await self._deliver(line, item, content)

        lanes = lanes_for(line.rate) if self._max_lanes is None else self._max_lanes
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(lanes, len(claimed))):
                    group.create_task(lane())
        finally:
            if waiting:  # stopping: whatever was claimed and not begun goes back
                async with self._parts.database.transaction() as tx:
                    await release_token(tx.session, token)
        return sent

    async def _deliver(self, line: BotLine, item: Claimed, content: Content) -> int:
        """One recipient: wait for the pace, commit in flight, send, commit the outcome. 1 if sent."""
        await self.sender.wait_turn(line, item.chat_id)
        async with self._parts.database.transaction() as tx:
            attempts = await mark_in_flight(tx.session, item, now=self._parts.clock.now())
        if attempts is None:  # paused, cancelled or taken over meanwhile: not ours to send
            return 0
        try:
            message_id = await self.sender.send_after_turn(line, item.chat_id, content)
        except SendFailed as failure:
            now = self._parts.clock.now()
            outcome = outcome_of(
                failure.kind, failure.description, retry_after=failure.retry_after, attempts=attempts, now=now
            )
            async with self._parts.database.transaction() as tx:
                # A dead token pauses the broadcast and gives its claimed rows back: the lanes then
                # find the rest no longer theirs.
                await record_failure(tx.session, item, outcome, bot_id=line.bot_id, now=now)
            return 0
        async with self._parts.database.transaction() as tx:
            await record_sent(tx.session, item, message_id, now=self._parts.clock.now())
        return 1

    async def _load_contents(self, contents: dict[BroadcastId, Content | None], claimed: Sequence[Claimed]) -> None:
        """Each broadcast's message once per bot turn; a broadcast whose image is gone is paused."""
        missing = {item.broadcast_id for item in claimed} - set(contents)
        if not missing:
            return
        async with self._parts.database.transaction() as tx:
            for broadcast in await tx.session.scalars(select(Broadcast).where(Broadcast.id.in_(missing))):
                try:
                    contents[broadcast.id] = await load_content(tx.session, self._parts.files, broadcast)
                except InvalidInput as problem:
                    contents[broadcast.id] = None
                    broadcast.status, broadcast.last_error = BroadcastStatus.PAUSED, problem.message
                    await tx.session.flush()
                    await release_claims(tx.session, broadcast.id, to=RecipientStatus.PENDING)
