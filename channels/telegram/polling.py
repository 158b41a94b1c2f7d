"""Long polling, for a machine Telegram cannot reach (no public HTTPS address): the bots connected
in polling mode are fetched with getUpdates by exactly one process at a time — the one holding the
bot's lease, renewed every few seconds, taken over by another process when it lapses (its holder
died). Each update is handled, then the offset saved; a crash in between redelivers it, and the
update id makes that a no-op."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from datetime import timedelta

from sqlalchemy import or_, select, update

from channels.telegram.client import TELEGRAM_ERRORS, TokenRejected, failure_of
from channels.telegram.connections import ALLOWED_UPDATES
from channels.telegram.models import POLLING, TelegramBot
from channels.telegram.receiver import Parts, UpdateReceiver
from core.ids import TelegramBotId

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
RENEW_SECONDS = 5.0
POLL_TIMEOUT_SECONDS = 10  # getUpdates waits this long for news
BACKOFF_SECONDS = 5.0


class Poller:
    def __init__(self, parts: Parts, receiver: UpdateReceiver) -> None:
        self._parts = parts
        self._receiver = receiver
        self._me = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"[:64]
        self._polling: dict[TelegramBotId, asyncio.Task[None]] = {}

    async def run(self) -> None:
        try:
            while True:
                try:
                    await self.renew()
                except Exception:  # the lease loop is an edge: log, and renew at the next turn
                    log.exception("renewing the Telegram polling leases failed; retrying")
                await asyncio.sleep(RENEW_SECONDS)
        finally:
            await self.stop()

    async def renew(self) -> set[TelegramBotId]:
        """Take or keep the leases of the polling bots; poll the ones held, stop the ones lost."""
        now = self._parts.clock.now()
        async with self._parts.database.transaction() as tx:
            held = set(
                await tx.session.scalars(
                    update(TelegramBot)
                    .where(
                        TelegramBot.mode == POLLING,
                        TelegramBot.disconnected_at.is_(None),
                        or_(
                            TelegramBot.polling_lease_until.is_(None),
                            TelegramBot.polling_lease_until < now,
                            TelegramBot.polled_by == self._me,
                        ),
                    )
                    .values(polled_by=self._me, polling_lease_until=now + LEASE)
                    .returning(TelegramBot.id)
                )
            )
        for bot_id in [bot_id for bot_id in self._polling if bot_id not in held]:
            self._polling.pop(bot_id).cancel()
        for bot_id in held:
            task = self._polling.get(bot_id)
            if task is None or task.done():
                self._polling[bot_id] = asyncio.create_task(self._poll(bot_id))
        return held

    async def stop(self) -> None:
        tasks = list(self._polling.values())
        self._polling.clear()
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _poll(self, bot_id: TelegramBotId) -> None:
        while True:
            bot = await self._held_bot(bot_id)
            if bot is None:
                return
            client = self._parts.clients.bot(self._parts.box.open(bot.token_sealed))
            try:
                updates = await client.get_updates(
                    offset=bot.updates_offset or None,
                    timeout=POLL_TIMEOUT_SECONDS,
                    allowed_updates=list(ALLOWED_UPDATES),
                    request_timeout=POLL_TIMEOUT_SECONDS + 10,
                )
            except TELEGRAM_ERRORS as error:
                failure = failure_of(error)
                await self._note_error(bot_id, failure.description)
                await asyncio.sleep(BACKOFF_SECONDS * (6 if isinstance(failure, TokenRejected) else 1))
                continue
            for item in updates:
                await self._receiver.receive(bot, item.model_dump(mode="json", by_alias=True, exclude_none=True))
                await self._save_offset(bot_id, item.update_id + 1)

    async def _held_bot(self, bot_id: TelegramBotId) -> TelegramBot | None:
        async with self._parts.database.transaction() as tx:
            return await tx.session.scalar(
                select(TelegramBot).where(
                    TelegramBot.id == bot_id,
                    TelegramBot.polled_by == self._me,
                    TelegramBot.mode == POLLING,
                    TelegramBot.disconnected_at.is_(None),
                )
            )

    async def _save_offset(self, bot_id: TelegramBotId, offset: int) -> None:
        async with self._parts.database.transaction() as tx:
            await tx.session.execute(
                update(TelegramBot)
                .where(TelegramBot.id == bot_id, TelegramBot.updates_offset < offset)
                .values(updates_offset=offset, last_error=None)
            )

    async def _note_error(self, bot_id: TelegramBotId, description: str) -> None:
        log.warning("polling a Telegram bot failed", extra={"bot_id": bot_id, "reason": description})
        async with self._parts.database.transaction() as tx:
            await tx.session.execute(update(TelegramBot).where(TelegramBot.id == bot_id).values(last_error=description))
