"""The outbox on a committing database with an in-memory channel that records and can fail."""

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from accounts.actors import Actor
from channels.base import Capabilities, ChannelKind, DeliveryFailed, DeliveryReceipt, InboundMessage, OutboundMessage
from conversations.inbound import receive_message
from conversations.models import Message, OutboundDelivery
from conversations.outbound import reply_as_operator
from conversations.outbox import MAX_ATTEMPTS, Outbox, retry_delivery
from core.clock import FrozenClock
from core.db import Database
from core.ids import MessageId
from tests.factories import make_actor


class RecordingChannel:
    kind = ChannelKind.WEB
    capabilities = Capabilities(buttons=True, attachments=True, typing=True)

    def __init__(self, failures: list[DeliveryFailed] | None = None) -> None:
        self.sent: list[MessageId] = []
        self.failures = list(failures or [])

    async def send(self, message: OutboundMessage) -> DeliveryReceipt:
        await asyncio.sleep(0)  # let a competing worker run in between
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message.message_id)
        return DeliveryReceipt(external_id=f"ext-{message.message_id}")


async def conversation_with_replies(db: Database, clock: FrozenClock, count: int = 1) -> tuple[Actor, list[MessageId]]:
    async with db.transaction() as tx:
        actor = await make_actor(tx.session)
        received = await receive_message(
            tx.session,
            InboundMessage(
                workspace_id=actor.workspace_id,
                channel=ChannelKind.WEB,
                address="visitor-1",
                channel_key="v:1",
                text="Hello",
                occurred_at=clock.now(),
            ),
        )
        replies = [
            (
                await reply_as_operator(tx.session, actor, received.conversation_id, text=f"Reply {n}", at=clock.now())
            ).message.id
            for n in range(count)
        ]
    return actor, replies


async def state(db: Database, message_id: MessageId) -> tuple[str, str, int, str | None]:
    async with db.transaction() as tx:
        row = (
            await tx.session.execute(
                select(Message.status, OutboundDelivery.status, OutboundDelivery.attempts, Message.failure_reason)
                .join(OutboundDelivery, OutboundDelivery.message_id == Message.id)
                .where(Message.id == message_id)
            )
        ).one()
    return row[0], row[1], row[2], row[3]


def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 22, 12, 0, tzinfo=UTC))


async def test_a_reply_is_sent_once_and_marked_sent(committed_db: Database) -> None:
    now, channel = clock(), RecordingChannel()
    _, [reply] = await conversation_with_replies(committed_db, now)
    outbox = Outbox(committed_db, {ChannelKind.WEB: channel}, now)
    assert await outbox.deliver() == 1
    assert await outbox.deliver() == 0
    assert channel.sent == [reply]
    assert await state(committed_db, reply) == ("sent", "sent", 1, None)


async def test_a_transient_failure_is_retried_later_and_then_sent(committed_db: Database) -> None:
    now = clock()
    channel = RecordingChannel([DeliveryFailed("The channel is busy.", retryable=True)])
    _, [reply] = await conversation_with_replies(committed_db, now)
    outbox = Outbox(committed_db, {ChannelKind.WEB: channel}, now)
    await outbox.deliver()
    assert await state(committed_db, reply) == ("pending", "pending", 1, None)
    assert await outbox.deliver() == 0  # not due yet
    now.advance(timedelta(seconds=3))
    await outbox.deliver()
    assert await state(committed_db, reply) == ("sent", "sent", 2, None)


async def test_a_permanent_failure_marks_the_message_failed_with_the_reason_and_can_be_retried(
    committed_db: Database,
) -> None:
    now = clock()
    channel = RecordingChannel([DeliveryFailed("The visitor blocked the bot.", retryable=False)])
    actor, [reply] = await conversation_with_replies(committed_db, now)
    outbox = Outbox(committed_db, {ChannelKind.WEB: channel}, now)
    await outbox.deliver()
    assert await state(committed_db, reply) == ("failed", "failed", 1, "The visitor blocked the bot.")
    async with committed_db.transaction() as tx:
        workspace_id = (await tx.session.get(Message, reply)).workspace_id  # type: ignore[union-attr]  # it exists
        actor = Actor(workspace_id=workspace_id, workspace_slug="x", role="admin")  # type: ignore[arg-type]  # a plain admin actor
        await retry_delivery(tx.session, actor, reply)
    await outbox.deliver()
    assert await state(committed_db, reply) == ("sent", "sent", 1, None)
    assert channel.sent == [reply]


async def test_a_message_that_keeps_failing_is_given_up_after_the_last_attempt(committed_db: Database) -> None:
    now = clock()
    channel = RecordingChannel([DeliveryFailed("Timeout.", retryable=True) for _ in range(MAX_ATTEMPTS)])
    _, [reply] = await conversation_with_replies(committed_db, now)
    outbox = Outbox(committed_db, {ChannelKind.WEB: channel}, now)
    for _ in range(MAX_ATTEMPTS):
        await outbox.deliver()
        now.advance(timedelta(minutes=10))
    assert await state(committed_db, reply) == ("failed", "failed", MAX_ATTEMPTS, "Timeout.")


async def test_a_claim_left_by_a_crashed_worker_is_taken_again(committed_db: Database) -> None:
    now, channel = clock(), RecordingChannel()
    _, [reply] = await conversation_with_replies(committed_db, now)
    async with committed_db.transaction() as tx:
        await tx.session.execute(
            update(OutboundDelivery).values(
                status="sending", attempts=1, locked_until=now.now() + timedelta(seconds=60)
            )
        )
    outbox = Outbox(committed_db, {ChannelKind.WEB: channel}, now)
    assert await outbox.deliver() == 0  # still claimed
    now.advance(timedelta(seconds=61))
    assert await outbox.deliver() == 1
    assert channel.sent == [reply]


async def test_two_workers_deliver_every_message_exactly_once(committed_db: Database) -> None:
    now, channel = clock(), RecordingChannel()
    _, replies = await conversation_with_replies(committed_db, now, count=60)
    first = Outbox(committed_db, {ChannelKind.WEB: channel}, now)
    second = Outbox(committed_db, {ChannelKind.WEB: channel}, now)
    while sum(await asyncio.gather(first.deliver(), second.deliver())):
        pass
    assert sorted(channel.sent) == sorted(replies)
