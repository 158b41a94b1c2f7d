"""Audience segments against real subscribers: each filter, together, and never the unsubscribed."""

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from broadcasts.audience import audience_query, count_audience
from broadcasts.segments import Segment, parse_segment
from channels.telegram.models import TelegramBot
from core.db import Database
from tests.broadcasts.seed import T0, make_bot, make_subscriber, tag_person
from tests.factories import make_workspace


async def chats(session: AsyncSession, bot: TelegramBot, segment: Segment, *, timezone: str = "UTC") -> list[int]:
    query = audience_query(segment, workspace_id=bot.workspace_id, bot_id=bot.id, now=T0, timezone=timezone)
    return [subscriber.chat_id for subscriber in await session.scalars(query)]


async def test_each_filter_picks_its_people_and_the_unsubscribed_never(db: Database) -> None:
    async with db.transaction() as tx:
        session = tx.session
        workspace = await make_workspace(session)
        bot = await make_bot(session, workspace.id)
        old = await make_subscriber(session, bot, 1, subscribed_at=T0 - timedelta(days=400))
        vip = await make_subscriber(session, bot, 2, properties={"plan": "pro", "city": "Kazan"})
        recent = await make_subscriber(session, bot, 3, last_activity_at=T0 - timedelta(days=2))
        await make_subscriber(session, bot, 4, status="unsubscribed", properties={"plan": "pro"})
        await tag_person(session, vip, "vip")
        buyer_tag = await tag_person(session, old, "buyer")
        vip_tag = await tag_person(session, recent, "vip")

        assert await chats(session, bot, Segment()) == [1, 2, 3]
        assert await chats(session, bot, parse_segment({"tag_ids": [vip_tag.id]})) == [2, 3]
        assert await chats(session, bot, parse_segment({"tag_ids": [vip_tag.id, buyer_tag.id]})) == [1, 2, 3]
        assert await chats(session, bot, parse_segment({"properties": {"plan": "pro"}})) == [2]
        assert await chats(session, bot, parse_segment({"properties": {"plan": "pro", "city": "Omsk"}})) == []
        assert await chats(session, bot, Segment(subscribed_since=(T0 - timedelta(days=30)).date())) == [2, 3]
        assert await chats(session, bot, Segment(active_within_days=1)) == [2]  # 1 and 2 wrote at T0 or before
        assert await chats(session, bot, Segment(last_active_before=(T0 - timedelta(days=1)).date())) == [1, 3]
        both = Segment(tag_ids=(vip_tag.id,), last_active_before=T0.date())
        assert await chats(session, bot, both) == [3]
        counted = await count_audience(
            session, Segment(), workspace_id=workspace.id, bot_id=bot.id, now=T0, timezone="UTC"
        )
        assert counted == 3


async def test_days_are_the_workspaces_and_other_bots_and_workspaces_are_apart(db: Database) -> None:
    async with db.transaction() as tx:
        session = tx.session
        workspace = await make_workspace(session)
        bot = await make_bot(session, workspace.id)
        other_bot = await make_bot(session, workspace.id, token="43:OTHER")
        # 2026-03-01 22:30 UTC is already 2 March in Moscow (UTC+3).
        await make_subscriber(session, bot, 1, subscribed_at=T0.replace(day=1, hour=22, minute=30))
        await make_subscriber(session, other_bot, 2)
        foreign = await make_bot(session, (await make_workspace(session)).id, token="44:FOREIGN")
        await make_subscriber(session, foreign, 3)
        since_march_2 = Segment(subscribed_since=date(2026, 3, 2))
        assert await chats(session, bot, since_march_2, timezone="Europe/Moscow") == [1]
        assert await chats(session, bot, since_march_2, timezone="UTC") == []
        assert await chats(session, other_bot, Segment()) == [2]
