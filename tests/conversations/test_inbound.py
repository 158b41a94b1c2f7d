"""The inbound pipeline on real PostgreSQL: redeliveries and races store each message once, numbers
stay gapless, the visitor is metered once, and a closed dialog reopens."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from accounts.models import Workspace
from billing.models import UsageRecord
from channels.base import ChannelKind, InboundMessage
from conversations.inbound import Received, receive_message
from conversations.models import Contact, Conversation, Message
from conversations.outbound import reply_as_operator
from core.db import Database
from core.ids import ConversationId
from tests.factories import make_actor, make_workspace

NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def inbound(
    workspace: Workspace,
    key: str,
    *,
    at: datetime = NOON,
    address: str = "visitor-1",
    properties: dict[str, str] | None = None,
) -> InboundMessage:
    return InboundMessage(
        workspace_id=workspace.id,
        channel=ChannelKind.WEB,
        address=address,
        channel_key=f"{address}:{key}",
        text=f"Message {key}",
        occurred_at=at,
        contact_properties=properties or {},
    )


async def receive(db: Database, message: InboundMessage) -> Received:
    async with db.transaction() as tx:
        return await receive_message(tx.session, message)


async def new_workspace(db: Database) -> Workspace:
    async with db.transaction() as tx:
        return await make_workspace(tx.session)


async def seqs_of(db: Database, conversation_id: ConversationId) -> list[int]:
    async with db.transaction() as tx:
        query = select(Message.seq).where(Message.conversation_id == conversation_id).order_by(Message.seq)
        return list(await tx.session.scalars(query))


async def test_a_redelivery_returns_the_stored_message_and_changes_nothing(db: Database) -> None:
    workspace = await new_workspace(db)
    first = await receive(db, inbound(workspace, "a"))
    second = await receive(db, inbound(workspace, "b"))
    again = await receive(db, inbound(workspace, "b", at=NOON + timedelta(seconds=5)))
    assert (first.duplicate, second.duplicate, again.duplicate) == (False, False, True)
    assert again.message == second.message
    assert await seqs_of(db, second.conversation_id) == [1, 2]


async def test_the_same_message_raced_through_many_connections_is_stored_once(committed_db: Database) -> None:
    workspace = await new_workspace(committed_db)
    await receive(committed_db, inbound(workspace, "opening"))
    results = await asyncio.gather(*(receive(committed_db, inbound(workspace, "twin")) for _ in range(8)))
    assert sorted(result.duplicate for result in results) == [False] + [True] * 7
    assert len({result.message.id for result in results}) == 1
    assert await seqs_of(committed_db, results[0].conversation_id) == [1, 2]


async def test_a_message_taken_in_a_transaction_that_rolls_back_is_not_kept(committed_db: Database) -> None:
    """The one-statement path runs in the caller's transaction, even as its first statement."""
    workspace = await new_workspace(committed_db)
    opening = await receive(committed_db, inbound(workspace, "opening"))

    async def taken_then_failed() -> None:
        async with committed_db.transaction() as tx:
            await receive_message(tx.session, inbound(workspace, "undone"))
            raise RuntimeError("the caller's work after it failed")

    with pytest.raises(RuntimeError):
        await taken_then_failed()
    assert await seqs_of(committed_db, opening.conversation_id) == [1]


async def test_concurrent_messages_of_one_visitor_get_gapless_numbers_and_one_conversation(
    committed_db: Database,
) -> None:
    workspace = await new_workspace(committed_db)
    results = await asyncio.gather(*(receive(committed_db, inbound(workspace, str(n))) for n in range(20)))
    assert len({result.conversation_id for result in results}) == 1
    assert await seqs_of(committed_db, results[0].conversation_id) == list(range(1, 21))
    assert sorted(result.message.seq for result in results) == list(range(1, 21))
    async with committed_db.transaction() as tx:
        usage = await tx.session.scalar(select(func.count()).select_from(UsageRecord))
    assert usage == 1  # one unique visitor this month, however many messages


async def test_visitor_messages_on_both_paths_and_operator_replies_interleave_without_gaps_or_deadlocks(
    committed_db: Database,
) -> None:
    """Messages with visit properties take the general path (contact lock, then conversation), the
    rest the one-statement path; operator replies lock only the conversation. All at once."""
    async with committed_db.transaction() as tx:
        actor = await make_actor(tx.session)
        workspace = await tx.session.get_one(Workspace, actor.workspace_id)
    opening = await receive(committed_db, inbound(workspace, "opening"))

    async def reply(n: int) -> None:
        async with committed_db.transaction() as tx:
            await reply_as_operator(tx.session, actor, opening.conversation_id, text=f"Reply {n}", at=NOON)

    # Late enough that every fast-path message also moves last_seen and meters a new month.
    later = NOON + timedelta(days=40)
    visitors = [
        receive(committed_db, inbound(workspace, str(n), at=later, properties={"page": f"/{n}"} if n % 2 else None))
        for n in range(20)
    ]
    await asyncio.gather(*visitors, *(reply(n) for n in range(10)))
    assert await seqs_of(committed_db, opening.conversation_id) == list(range(1, 32))


async def test_last_seen_moves_at_most_once_a_minute(db: Database) -> None:
    workspace = await new_workspace(db)
    received = await receive(db, inbound(workspace, "1"))
    await receive(db, inbound(workspace, "2", at=NOON + timedelta(seconds=30)))

    async def last_seen() -> datetime | None:
        async with db.transaction() as tx:
            return await tx.session.scalar(select(Contact.last_seen_at).where(Contact.id == received.contact_id))

    assert await last_seen() == NOON
    await receive(db, inbound(workspace, "3", at=NOON + timedelta(seconds=90)))
    assert await last_seen() == NOON + timedelta(seconds=90)


async def test_a_message_into_a_closed_conversation_reopens_it_as_the_next_episode(db: Database) -> None:
    workspace = await new_workspace(db)
    first = await receive(db, inbound(workspace, "1"))
    async with db.transaction() as tx:
        conversation = await tx.session.get_one(Conversation, first.conversation_id)
        conversation.status = "closed"
    later = await receive(db, inbound(workspace, "2", at=NOON + timedelta(days=1)))
    assert later.conversation_id == first.conversation_id
    async with db.transaction() as tx:
        episodes = list(
            await tx.session.scalars(
                select(Message.episode).where(Message.conversation_id == first.conversation_id).order_by(Message.seq)
            )
        )
        status = await tx.session.scalar(select(Conversation.status).where(Conversation.id == first.conversation_id))
    assert (episodes, status) == ([1, 2], "open")


async def test_visitors_of_two_workspaces_with_the_same_address_stay_apart(db: Database) -> None:
    one, two = await new_workspace(db), await new_workspace(db)
    first = await receive(db, inbound(one, "1"))
    second = await receive(db, inbound(two, "1"))
    assert first.contact_id != second.contact_id
    assert first.conversation_id != second.conversation_id
    assert second.duplicate is False
