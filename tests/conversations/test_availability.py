"""What a visitor waiting in a queue is told, on real PostgreSQL: nobody of the queue's group online,
outside working hours (and when they start again), the email to answer at; and leaving an email."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.models import Membership, Workspace
from accounts.presence import Presence, set_presence
from accounts.roles import Role
from accounts.working_hours import parse_hours
from accounts.workspaces import set_working_hours
from conversations.availability import Availability, Notice, queue_availability
from conversations.contacts import record_email
from conversations.models import Contact, Conversation
from core.db import Database
from core.errors import InvalidInput, NotFound
from core.ids import ConversationId
from tests.conversations.inbox_data import make_contact, make_conversation, make_group
from tests.factories import make_actor, make_workspace

FRIDAY_EVENING = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # 19:00 in Moscow
FRIDAY_NOON = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
MONDAY_MORNING = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 09:00 in Moscow
OFFICE = {
    "timezone": "Europe/Moscow",
    "days": {day: [{"opens": "09:00", "closes": "18:00"}] for day in ("mon", "tue", "wed", "thu", "fri")},
}


async def availability(session: AsyncSession, conversation: Conversation, at: datetime) -> Availability:
    return await queue_availability(session, conversation.workspace_id, conversation.id, at)


async def go_online(session: AsyncSession, operator: Actor) -> None:
    await set_presence(session, operator, Presence.ONLINE, now=FRIDAY_NOON)


async def test_always_open_with_nobody_online_is_busy_and_asks_for_an_email(db: Database) -> None:
    async with db.transaction() as tx:
        admin = await make_actor(tx.session)
        waiting = await make_conversation(tx.session, admin.workspace_id)
        found = await availability(tx.session, waiting, FRIDAY_EVENING)
        assert found == Availability(
            waiting=True, online=False, within_hours=True, back_at=None, timezone="UTC", needs_email=True
        )
        assert found.notice is Notice.BUSY
        await go_online(tx.session, admin)
        assert (await availability(tx.session, waiting, FRIDAY_EVENING)).notice is None


async def test_only_online_members_of_the_queues_group_count(db: Database) -> None:
    async with db.transaction() as tx:
        admin = await make_actor(tx.session)
        workspace = await tx.session.get_one(Workspace, admin.workspace_id)
        billing_person = await make_actor(tx.session, role=Role.OPERATOR, workspace=workspace)
        support_person = await make_actor(tx.session, role=Role.OPERATOR, workspace=workspace)
        editor = await make_actor(tx.session, role=Role.EDITOR, workspace=workspace)
        assert support_person.operator_id is not None
        support = await make_group(tx.session, workspace, "Support", members=(support_person.operator_id,))
        waiting = await make_conversation(tx.session, workspace.id, group_id=support.id)
        ungrouped = await make_conversation(tx.session, workspace.id)
        await go_online(tx.session, billing_person)
        assert not (await availability(tx.session, waiting, FRIDAY_NOON)).online  # not in Support
        assert (await availability(tx.session, ungrouped, FRIDAY_NOON)).online  # anyone serves no group
        await set_presence(tx.session, billing_person, Presence.OFFLINE, now=FRIDAY_NOON)
        await tx.session.execute(  # editors have no inbox, so no presence of their own to set: forced here
            update(Membership).where(Membership.operator_id == editor.operator_id).values(presence="online")
        )
        assert not (await availability(tx.session, ungrouped, FRIDAY_NOON)).online  # editors do not answer
        await set_presence(tx.session, support_person, Presence.AWAY, now=FRIDAY_NOON)
        assert not (await availability(tx.session, waiting, FRIDAY_NOON)).online
        await go_online(tx.session, support_person)
        assert (await availability(tx.session, waiting, FRIDAY_NOON)).online


async def test_outside_working_hours_says_when_they_start_again(db: Database) -> None:
    async with db.transaction() as tx:
        admin = await make_actor(tx.session)
        await set_working_hours(tx.session, admin, parse_hours(OFFICE))
        await go_online(tx.session, admin)  # someone online does not change the hours
        contact = await make_contact(tx.session, admin.workspace_id, email="ann@example.com")
        waiting = await make_conversation(tx.session, admin.workspace_id, contact=contact)
        found = await availability(tx.session, waiting, FRIDAY_EVENING)
        assert (found.within_hours, found.back_at, found.timezone) == (False, MONDAY_MORNING, "Europe/Moscow")
        assert found.notice is Notice.AWAY
        assert not found.needs_email
        inside = await availability(tx.session, waiting, FRIDAY_NOON)
        assert (inside.within_hours, inside.back_at, inside.notice) == (True, None, None)


async def test_a_dialog_an_operator_has_or_a_closed_one_needs_no_notice(db: Database) -> None:
    async with db.transaction() as tx:
        admin = await make_actor(tx.session)
        await set_working_hours(tx.session, admin, parse_hours(OFFICE))
        taken = await make_conversation(tx.session, admin.workspace_id, owner="operator", assignee_id=admin.operator_id)
        closed = await make_conversation(tx.session, admin.workspace_id, status="closed")
        for conversation in (taken, closed):
            found = await availability(tx.session, conversation, FRIDAY_EVENING)
            assert not found.waiting
            assert found.notice is None


async def test_another_workspaces_conversation_is_not_found(db: Database) -> None:
    async with db.transaction() as tx:
        admin = await make_actor(tx.session)
        other = await make_workspace(tx.session)
        waiting = await make_conversation(tx.session, admin.workspace_id)
        with pytest.raises(NotFound):
            await queue_availability(tx.session, other.id, waiting.id, FRIDAY_NOON)
        with pytest.raises(NotFound):
            await queue_availability(tx.session, admin.workspace_id, ConversationId(waiting.id + 1000), FRIDAY_NOON)


async def test_leaving_an_email_stores_it_on_the_contact_checked(db: Database) -> None:
    async with db.transaction() as tx:
        admin = await make_actor(tx.session)
        waiting = await make_conversation(tx.session, admin.workspace_id)
        assert await record_email(tx.session, waiting.contact_id, "  Ann@Example.COM ") == "ann@example.com"
        with pytest.raises(InvalidInput) as refused:
            await record_email(tx.session, waiting.contact_id, "ann at example")
        assert refused.value.message == "Enter a valid email address."
        contact = await tx.session.get_one(Contact, waiting.contact_id)
        await tx.session.refresh(contact)
        assert contact.email == "ann@example.com"
        assert not (await availability(tx.session, waiting, FRIDAY_NOON)).needs_email
