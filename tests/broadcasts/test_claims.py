"""Delivery's transactions on their own: a claim is the worker's only while its token stands, a row
in flight is never given away, and whatever pause or cancel did meanwhile wins."""

from collections import Counter
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.roles import Role
from broadcasts.delivery import Claimed, claim_due, mark_in_flight, record_failure, record_sent, recover_orphans
from broadcasts.lifecycle import cancel, pause, resume, send_now
from broadcasts.models import BroadcastRecipient
from broadcasts.outcomes import FailureKind, outcome_of
from core.db import Database
from core.ids import BroadcastId, TelegramBotId
from tests.broadcasts.seed import T0, make_bot, make_broadcast, make_subscribers
from tests.factories import make_actor, make_workspace


async def statuses(session: AsyncSession, broadcast_id: BroadcastId) -> Counter[str]:
    rows = await session.scalars(
        select(BroadcastRecipient.status).where(BroadcastRecipient.broadcast_id == broadcast_id)
    )
    return Counter(rows.all())


async def test_a_claim_is_ours_only_while_nothing_else_happened(db: Database) -> None:
    async with db.transaction() as tx:
        session = tx.session
        workspace = await make_workspace(session)
        actor = await make_actor(session, role=Role.EDITOR, workspace=workspace)
        bot = await make_bot(session, workspace.id)
        await make_subscribers(session, bot, 4)
        broadcast = await make_broadcast(session, actor, bot.id)
        await send_now(session, actor, broadcast.id, at=T0)

        claimed = await claim_due(session, bot.id, now=T0, batch=3, token=11)
        assert len(claimed) == 3
        assert await claim_due(session, bot.id, now=T0, batch=3, token=12) != claimed  # the fourth only
        first, second, _ = claimed
        assert await mark_in_flight(session, first, now=T0) == 1
        assert await mark_in_flight(session, first, now=T0) is None  # never twice
        forged = Claimed(second.id, second.broadcast_id, second.workspace_id, second.contact_id, second.chat_id, 99)
        assert await mark_in_flight(session, forged, now=T0) is None

        await pause(session, actor, broadcast.id, at=T0)  # gives back claimed rows not yet in flight
        assert await mark_in_flight(session, second, now=T0) is None
        await record_sent(session, first, 501, now=T0)  # the one in flight still lands
        assert await statuses(session, broadcast.id) == Counter(pending=3, sent=1)

        await resume(session, actor, broadcast.id, at=T0)
        [again] = await claim_due(session, bot.id, now=T0, batch=1, token=13)
        assert await mark_in_flight(session, again, now=T0) == 1
        await cancel(session, actor, broadcast.id, at=T0)
        failed = outcome_of(FailureKind.UNAVAILABLE, "Bad Gateway", retry_after=None, attempts=1, now=T0)
        await record_failure(session, again, failed, bot_id=bot.id, now=T0)
        assert await statuses(session, broadcast.id) == Counter(sent=1, skipped=3)


async def test_recovering_a_dead_workers_rows_waits_for_their_lease_without_a_lock(db: Database) -> None:
    async with db.transaction() as tx:
        session = tx.session
        workspace = await make_workspace(session)
        actor = await make_actor(session, role=Role.EDITOR, workspace=workspace)
        bot = await make_bot(session, workspace.id)
        await make_subscribers(session, bot, 3)
        broadcast = await make_broadcast(session, actor, bot.id)
        await send_now(session, actor, broadcast.id, at=T0)
        claimed = await claim_due(session, bot.id, now=T0, batch=3, token=5)
        await mark_in_flight(session, claimed[0], now=T0)
        bot_id = TelegramBotId(bot.id)
        assert await recover_orphans(session, bot_id, now=T0 + timedelta(seconds=5), expired_only=True) == {}
        later = T0 + timedelta(minutes=10)
        assert await recover_orphans(session, bot_id, now=later, expired_only=True) == {"unconfirmed": 1, "pending": 2}
        assert await statuses(session, broadcast.id) == Counter(pending=2, unconfirmed=1)
        await record_sent(session, claimed[0], 7, now=later)  # the worker was only slow: its answer counts
        assert await statuses(session, broadcast.id) == Counter(pending=2, sent=1)
