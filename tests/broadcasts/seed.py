"""Test data for broadcasts: a connected bot (its token sealed as the app seals it), subscribers one
by one or by the thousand, tags on a person's dialog, a published flow, and reading back recipients."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from broadcasts.drafts import BroadcastDraft, create_broadcast
from broadcasts.models import Broadcast, BroadcastRecipient
from channels.telegram.models import TelegramBot, TelegramSubscriber
from conversations.models import Contact, Conversation, ConversationTag, Tag
from core.crypto import SecretBox
from core.db import Database
from core.ids import BroadcastId, FlowId, TelegramBotId, WorkspaceId
from flows.samples import welcome_flow
from flows.store import create_flow, publish

SECRET_KEY = "broadcast tests secret"
TOKEN = "42:TEST"
BOX = SecretBox(SECRET_KEY)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_numbers = itertools.count(1)


async def make_bot(
    session: AsyncSession,
    workspace_id: WorkspaceId,
    *,
    token: str = TOKEN,
    messages_per_second: int = 30,
    paid_broadcasts: bool = False,
) -> TelegramBot:
    number = next(_numbers)
    bot = TelegramBot(
        workspace_id=workspace_id,
        connection_id=f"conn{number:028d}",
        telegram_id=int(token.split(":")[0]),
        username=f"shop{number}_bot",
        name="Shop",
        token_sealed=BOX.seal(token),
        mode="polling",
        messages_per_second=messages_per_second,
        paid_broadcasts=paid_broadcasts,
    )
    session.add(bot)
    await session.flush()
    return bot


async def make_subscriber(
    session: AsyncSession,
    bot: TelegramBot,
    chat_id: int,
    *,
    subscribed_at: datetime = T0,
    last_activity_at: datetime | None = None,
    status: str = "subscribed",
    properties: dict[str, str] | None = None,
    username: str | None = None,
) -> TelegramSubscriber:
    contact = Contact(workspace_id=bot.workspace_id, name=f"Person {chat_id}", properties=properties or {})
    session.add(contact)
    await session.flush()
    subscriber = TelegramSubscriber(
        workspace_id=bot.workspace_id,
        bot_id=bot.id,
        contact_id=contact.id,
        chat_id=chat_id,
        status=status,
        username=username,
        first_name=f"Person {chat_id}",
        subscribed_at=subscribed_at,
        last_activity_at=last_activity_at or subscribed_at,
    )
    session.add(subscriber)
    await session.flush()
    return subscriber


async def make_subscribers(
    session: AsyncSession, bot: TelegramBot, count: int, *, first_chat_id: int = 100_000
) -> list[int]:
    """`count` subscribed people (a contact each) in one statement; their chat ids."""
    await session.execute(
        text("""
        WITH people AS (
            INSERT INTO contacts (workspace_id, name)
            SELECT :workspace_id, 'Subscriber ' || n FROM generate_series(1, :count) AS n
            RETURNING id)
        INSERT INTO telegram_subscribers (workspace_id, bot_id, contact_id, chat_id, status, subscribed_at,
                                          last_activity_at)
        SELECT :workspace_id, :bot_id, id, :first + row_number() OVER (ORDER BY id) - 1, 'subscribed', :at, :at
        FROM people
        """),
        {"workspace_id": bot.workspace_id, "bot_id": bot.id, "count": count, "first": first_chat_id, "at": T0},
    )
    return list(range(first_chat_id, first_chat_id + count))


async def tag_person(session: AsyncSession, subscriber: TelegramSubscriber, name: str) -> Tag:
    """The person gets a dialog tagged `name` (the tag is made if the workspace has none of that name)."""
    tag = await session.scalar(select(Tag).where(Tag.workspace_id == subscriber.workspace_id, Tag.name == name))
    if tag is None:
        tag = Tag(workspace_id=subscriber.workspace_id, name=name)
        session.add(tag)
    dialog = Conversation(workspace_id=subscriber.workspace_id, contact_id=subscriber.contact_id, channel="telegram")
    session.add(dialog)
    await session.flush()
    session.add(ConversationTag(conversation_id=dialog.id, tag_id=tag.id, workspace_id=subscriber.workspace_id))
    await session.flush()
    return tag


async def make_published_flow(session: AsyncSession, actor: Actor, name: str = "Offer") -> FlowId:
    flow = await create_flow(session, actor, name, welcome_flow())
    await publish(session, actor, flow.id, at=T0)
    return flow.id


async def make_broadcast(
    session: AsyncSession,
    actor: Actor,
    bot_id: TelegramBotId,
    *,
    text: str = "<b>Sale</b> today",
    audience: dict[str, object] | None = None,
    buttons: list[dict[str, object]] | None = None,
    image_id: str | None = None,
) -> Broadcast:
    draft = BroadcastDraft(
        bot_id=bot_id, name="Spring sale", text=text, image_id=image_id, buttons=buttons or [], audience=audience or {}
    )
    return await create_broadcast(session, actor, draft, at=T0)


async def recipient_statuses(database: Database, broadcast_id: BroadcastId) -> Counter[str]:
    async with database.transaction() as tx:
        rows = await tx.session.scalars(
            select(BroadcastRecipient.status).where(BroadcastRecipient.broadcast_id == broadcast_id)
        )
        return Counter(rows.all())


async def broadcast_status(database: Database, broadcast_id: BroadcastId) -> str:
    async with database.transaction() as tx:
        status = await tx.session.scalar(select(Broadcast.status).where(Broadcast.id == broadcast_id))
    assert status is not None
    return status
