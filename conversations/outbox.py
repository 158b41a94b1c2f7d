"""Delivering stored replies through their channel: claim due outbox rows with SKIP LOCKED (so two
processes never send one twice), send outside any transaction, then record sent / retry / failed.
A failure marks the message failed with the reason; it is never silently dropped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Permission
from billing.meter import Metric, record_usage
from channels.base import AttachmentRef, Channel, ChannelKind, DeliveryFailed, DeliveryReceipt, OutboundMessage
from conversations.access import access_message
from conversations.events import message_status_changed
from conversations.models import ContactAddress, Conversation, Message, OutboundDelivery
from conversations.views import attachment_views
from core.clock import Clock
from core.db import Database
from core.errors import Conflict
from core.ids import DeliveryId, MessageId
from core.realtime import RealtimeEvent, publish

log = logging.getLogger(__name__)

_METERED = {ChannelKind.TELEGRAM: Metric.TELEGRAM_MESSAGE}

MAX_ATTEMPTS = 5
CLAIM_SECONDS = 60  # a claim older than this belongs to a crashed worker and is taken again
BATCH = 50

_CLAIM = text("""
UPDATE outbound_deliveries SET status = 'sending', attempts = attempts + 1,
       locked_until = :now + make_interval(secs => :claim_seconds)
WHERE id IN (
    SELECT id FROM outbound_deliveries
    WHERE ((status = 'pending' AND next_attempt_at <= :now) OR (status = 'sending' AND locked_until < :now))
      AND (CAST(:only AS bigint[]) IS NULL OR id = ANY(CAST(:only AS bigint[])))
    ORDER BY id FOR UPDATE SKIP LOCKED LIMIT :batch)
RETURNING id, message_id, attempts
""")


@dataclass(frozen=True)
class Claimed:
    delivery_id: DeliveryId
    attempts: int
    outbound: OutboundMessage | None  # None: nobody to deliver to (the contact has no address there)


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts, 300))


class Outbox:
    def __init__(
        self, database: Database, channels: Mapping[ChannelKind, Channel], clock: Clock, *, background: bool = True
    ) -> None:
        """`background=False` delivers inside the committing request (tests on one shared connection)."""
        self._database = database
        self._channels = channels
        self._clock = clock
        self._background = background
        self._tasks: set[asyncio.Task[int]] = set()
        self._kicked: asyncio.Task[None] | None = None
        self._kicked_again = False

    async def after_commit(self, delivery_id: DeliveryId) -> None:
        """Deliver a just-committed row; the periodic sweep catches anything this misses."""
        if not self._background:
            await self.deliver(only=[delivery_id])
            return
        task = asyncio.create_task(self.deliver(only=[delivery_id]))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def deliver_due(self) -> None:
        """After a commit that queued deliveries (ids unknown to the caller): in the background in
        the server, at once in tests on one shared connection."""
        if not self._background:
            await self.deliver()
            return
        self.kick()

    def kick(self, event: RealtimeEvent | None = None) -> None:
        """Deliver whatever is due now, soon (a bot queued replies in some process); kicks while a
        delivery runs make it go round once more rather than start a second one."""
        if self._kicked is not None and not self._kicked.done():
            self._kicked_again = True
            return
        self._kicked = asyncio.create_task(self._deliver_while_kicked())

    async def _deliver_while_kicked(self) -> None:
        while True:
            self._kicked_again = False
            try:
                while await self.deliver() == BATCH:
                    pass
            except Exception:  # a background kick is an edge: log; the sweep delivers what it missed
                log.exception("delivering after a kick failed; the sweep will try again")
            if not self._kicked_again:
                return

    async def deliver(self, *, only: Sequence[DeliveryId] | None = None) -> int:
        claimed = await self._claim(only)
        for item in claimed:
            await self._send(item)
        return len(claimed)

    async def run(self, *, interval: float = 2.0) -> None:
        """Sweep due deliveries forever: retries, and rows whose worker crashed mid-send."""
        while True:
            while await self.deliver() == BATCH:
                pass
            await asyncio.sleep(interval)

    async def close(self) -> None:
        tasks = [*self._tasks, *([self._kicked] if self._kicked is not None else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _claim(self, only: Sequence[DeliveryId] | None) -> list[Claimed]:
        async with self._database.transaction() as tx:
            params = {
                "now": self._clock.now(),
                "claim_seconds": CLAIM_SECONDS,
                "only": None if only is None else list(only),
                "batch": BATCH,
            }
            # RETURNING keeps no order: sort, so that a bot's several messages go out as it said them.
            rows = sorted((await tx.session.execute(_CLAIM, params)).all(), key=lambda row: row.id)
            return [Claimed(row.id, row.attempts, await _outbound_message(tx.session, row.message_id)) for row in rows]

    async def _send(self, item: Claimed) -> None:
        if item.outbound is None:
            await self._record(
                item, failure=DeliveryFailed("The contact cannot be reached on this channel.", retryable=False)
            )
            return
        channel = self._channels.get(item.outbound.channel)
        if channel is None:
            failure = DeliveryFailed(
                "The {channel} channel is not connected.", retryable=False, channel=item.outbound.channel
            )
            await self._record(item, failure=failure)
            return
        try:
            receipt = await channel.send(item.outbound)
        except DeliveryFailed as failure:
            await self._record(item, failure=failure)
        except Exception as error:  # an adapter bug or an unmapped network error: retry, and say so
            log.exception("channel send failed unexpectedly", extra={"delivery_id": item.delivery_id})
            await self._record(
                item,
                failure=DeliveryFailed(
                    "The channel failed unexpectedly ({error}).", retryable=True, error=type(error).__name__
                ),
            )
        else:
            await self._record(item, receipt=receipt)

    async def _record(
        self, item: Claimed, *, receipt: DeliveryReceipt | None = None, failure: DeliveryFailed | None = None
    ) -> None:
        now = self._clock.now()
        async with self._database.transaction() as tx:
            delivery, message = (
                await tx.session.execute(
                    select(OutboundDelivery, Message)
                    .join(Message, Message.id == OutboundDelivery.message_id)
                    .where(OutboundDelivery.id == item.delivery_id)
                    .with_for_update(of=OutboundDelivery)
                )
            ).one()
            delivery.locked_until = None
            if failure is None:
                delivery.status, delivery.sent_at = "sent", now
                delivery.external_id = None if receipt is None else receipt.external_id
                message.status, message.failure_reason = "sent", None
                if receipt is not None:
                    await _meter(tx.session, delivery, receipt, now)
            elif failure.retryable and item.attempts < MAX_ATTEMPTS:
                delivery.status, delivery.last_error = "pending", failure.message
                wait = (
                    retry_delay(item.attempts)
                    if failure.retry_after is None
                    else timedelta(seconds=failure.retry_after)
                )
                delivery.next_attempt_at = now + wait
                return
            else:
                delivery.status, delivery.last_error = "failed", failure.message
                message.status, message.failure_reason = "failed", failure.message
            event = message_status_changed(
                message.workspace_id, message.conversation_id, message.id, message.status, message.failure_reason
            )
            await publish(tx.session, event)


async def _meter(session: AsyncSession, delivery: OutboundDelivery, receipt: DeliveryReceipt, now: datetime) -> None:
    """Channels that bill per message sent (Telegram) are metered in the transaction that records
    the send, keyed by the delivery: a retried delivery is never counted twice."""
    metric = _METERED.get(ChannelKind(delivery.channel))
    if metric is not None and receipt.billable_messages > 0:
        await record_usage(
            session,
            workspace_id=delivery.workspace_id,
            metric=metric,
            quantity=receipt.billable_messages,
            idempotency_key=f"delivery:{delivery.id}",
            occurred_at=now,
        )


async def retry_delivery(session: AsyncSession, actor: Actor, message_id: MessageId) -> DeliveryId:
    """An operator asks to try a failed message again."""
    actor.require(Permission.WORK_INBOX)
    message = await access_message(session, actor, message_id)
    delivery = (
        await session.execute(
            select(OutboundDelivery).where(OutboundDelivery.message_id == message.id).with_for_update()
        )
    ).scalar_one_or_none()
    if delivery is None or delivery.status != "failed":
        raise Conflict("Only a message that failed to send can be sent again.")
    delivery.status, delivery.attempts, delivery.last_error = "pending", 0, None
    delivery.next_attempt_at = message.created_at
    message.status, message.failure_reason = "pending", None
    await session.flush()
    return delivery.id


async def _outbound_message(session: AsyncSession, message_id: MessageId) -> OutboundMessage | None:
    row = (
        await session.execute(
            select(Message, Conversation.contact_id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.id == message_id)
        )
    ).one()
    message, contact_id = row[0], row[1]
    address = await session.scalar(
        select(ContactAddress.address)
        .where(ContactAddress.contact_id == contact_id, ContactAddress.channel == message.channel)
        .order_by(ContactAddress.id.desc())
        .limit(1)
    )
    if address is None:
        return None
    views = attachment_views(message.attachments)
    return OutboundMessage(
        workspace_id=message.workspace_id,
        conversation_id=message.conversation_id,
        message_id=message.id,
        channel=ChannelKind(message.channel),
        address=address,
        text=message.body,
        attachments=tuple(
            AttachmentRef(id=view.id, name=view.name, content_type=view.content_type, size=view.size) for view in views
        ),
        buttons=tuple((button["id"], button["label"]) for button in message.buttons) if message.author == "bot" else (),
    )
