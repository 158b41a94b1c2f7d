"""Planning writes one recipient per person in the audience, once."""

import pytest
from sqlalchemy import func, select

from accounts.roles import Role
from broadcasts.models import BroadcastRecipient
from broadcasts.planning import plan_recipients
from core.db import Database
from core.errors import InvalidInput
from tests.broadcasts.seed import T0, make_bot, make_broadcast, make_subscriber, make_subscribers
from tests.factories import make_actor, make_workspace


async def test_planning_twice_adds_nobody_twice_nor_those_who_came_later(db: Database) -> None:
    async with db.transaction() as tx:
        session = tx.session
        workspace = await make_workspace(session)
        actor = await make_actor(session, role=Role.EDITOR, workspace=workspace)
        bot = await make_bot(session, workspace.id)
        await make_subscribers(session, bot, 25)
        broadcast = await make_broadcast(session, actor, bot.id)

        assert await plan_recipients(session, broadcast, now=T0) == 25
        await make_subscriber(session, bot, 7)  # subscribes after planning
        assert await plan_recipients(session, broadcast, now=T0) == 0
        rows = await session.execute(
            select(func.count(), func.count(func.distinct(BroadcastRecipient.subscriber_id))).where(
                BroadcastRecipient.broadcast_id == broadcast.id
            )
        )
        assert rows.one() == (25, 25)
        assert broadcast.recipient_count == 25
        assert broadcast.planned_at == T0


async def test_an_audience_of_nobody_is_refused_and_nothing_changes(db: Database) -> None:
    async with db.transaction() as tx:
        session = tx.session
        workspace = await make_workspace(session)
        actor = await make_actor(session, role=Role.EDITOR, workspace=workspace)
        bot = await make_bot(session, workspace.id)
        await make_subscriber(session, bot, 1)
        broadcast = await make_broadcast(session, actor, bot.id, audience={"properties": {"plan": "pro"}})
        with pytest.raises(InvalidInput, match=r"Nobody matches this audience: subscribers plan = pro\."):
            await plan_recipients(session, broadcast, now=T0)
        count = await session.scalar(select(func.count()).where(BroadcastRecipient.broadcast_id == broadcast.id))
        assert count == 0
        assert broadcast.planned_at is None
