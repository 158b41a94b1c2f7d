"""Assignment on real PostgreSQL with real parallel connections: operators coming online while two
assigners (two engines, as two processes would have) race; re-queue on offline; take races."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from accounts.actors import Actor
from accounts.groups import configure_group, create_group, set_operator_groups
from accounts.models import Membership, Workspace
from accounts.presence import Presence, note_inbox_activity, set_capacity, set_presence
from accounts.roles import Role
from conversations.assigner import Assigner
from conversations.assignment import assign_waiting, queued_event, requeue_operator_dialogs
from conversations.assignment_policy import Assignment
from conversations.models import Contact, Conversation
from conversations.outbound import reply_as_operator
from conversations.routing import AlreadyTaken, take_conversation, transfer_to_group
from core.clock import FrozenClock
from core.db import Database, create_engine
from core.errors import NotFound
from core.ids import ConversationId, GroupId, OperatorId
from tests.factories import make_actor, make_operator

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=1)


async def support_team(db: Database, operators: int, *, capacity: int = 3) -> tuple[Actor, GroupId, list[Actor]]:
    async with db.transaction() as tx:
        admin = await make_actor(tx.session)
        workspace = await tx.session.get_one(Workspace, admin.workspace_id)
        group = await create_group(tx.session, admin, "Support")
        await configure_group(
            tx.session, admin, group.id, policy="round_robin", requeue_on_offline=True, is_default=True
        )
        team = []
        for _ in range(operators):
            operator = await make_operator(tx.session, workspace=workspace)
            await set_operator_groups(tx.session, admin, operator.id, [group.id])
            await set_capacity(tx.session, admin, operator.id, capacity)
            team.append(Actor(workspace.id, workspace.slug, Role.OPERATOR, operator.id))
    return admin, group.id, team


async def queue_dialogs(db: Database, admin: Actor, group_id: GroupId | None, count: int) -> list[ConversationId]:
    """`count` waiting dialogs, the first the longest waiting."""
    ids = []
    async with db.transaction() as tx:
        for n in range(count):
            contact = Contact(workspace_id=admin.workspace_id, properties={})
            tx.session.add(contact)
            await tx.session.flush()
            conversation = Conversation(
                workspace_id=admin.workspace_id,
                contact_id=contact.id,
                channel="web",
                owner="queue",
                group_id=group_id,
                queued_at=T0 + timedelta(seconds=n),
            )
            tx.session.add(conversation)
            await tx.session.flush()
            ids.append(conversation.id)
    return ids


async def assignees(db: Database, ids: list[ConversationId]) -> dict[ConversationId, OperatorId | None]:
    async with db.transaction() as tx:
        rows = await tx.session.execute(
            select(Conversation.id, Conversation.assignee_id).where(Conversation.id.in_(ids))
        )
        return {ConversationId(row[0]): row[1] for row in rows}


@pytest.fixture
async def second_process_db(committed_engine: AsyncEngine, committed_url: str) -> AsyncIterator[Database]:
    """Its own engine and pool on the same database, as a second process would have."""
    engine = create_engine(committed_url, pool_size=5)
    yield Database.from_engine(engine)
    await engine.dispose()


async def test_operators_coming_online_in_parallel_get_the_longest_waiting_dialogs_once_within_capacity(
    committed_db: Database, second_process_db: Database
) -> None:
    admin, group_id, team = await support_team(committed_db, operators=5, capacity=3)
    dialogs = await queue_dialogs(committed_db, admin, group_id, 50)

    async def come_online_and_assign(operator: Actor, db: Database) -> list[Assignment]:
        async with db.transaction() as tx:
            await set_presence(tx.session, operator, Presence.ONLINE, now=NOW)
        async with db.transaction() as tx:
            return await assign_waiting(tx.session, admin.workspace_id, group_id, now=NOW)

    plans = await asyncio.gather(
        *(
            come_online_and_assign(operator, (committed_db, second_process_db)[n % 2])
            for n, operator in enumerate(team)
        ),
        *(
            come_online_and_assign(operator, (second_process_db, committed_db)[n % 2])
            for n, operator in enumerate(team)
        ),
    )
    planned = [item.conversation_id for plan in plans for item in plan]
    assert len(planned) == len(set(planned)) == 15  # nobody's dialog was assigned twice
    state = await assignees(committed_db, dialogs)
    assert sorted(id for id, operator in state.items() if operator is not None) == dialogs[:15]
    assert set(Counter(operator for operator in state.values() if operator is not None).values()) == {3}


async def test_an_operator_going_offline_requeues_exactly_their_dialogs_first_in_line(committed_db: Database) -> None:
    admin, group_id, team = await support_team(committed_db, operators=2, capacity=2)
    dialogs = await queue_dialogs(committed_db, admin, group_id, 6)
    async with committed_db.transaction() as tx:
        for operator in team:
            await set_presence(tx.session, operator, Presence.ONLINE, now=NOW)
    async with committed_db.transaction() as tx:
        await assign_waiting(tx.session, admin.workspace_id, group_id, now=NOW)
    before = await assignees(committed_db, dialogs)
    leaving = team[0].operator_id
    assert leaving is not None
    theirs = sorted(id for id, operator in before.items() if operator == leaving)
    async with committed_db.transaction() as tx:
        await set_presence(tx.session, team[0], Presence.OFFLINE, now=NOW)
        moved = await requeue_operator_dialogs(tx.session, admin.workspace_id, leaving, now=NOW)
    assert sorted(moved) == theirs
    after = await assignees(committed_db, dialogs)
    assert {id: operator for id, operator in after.items() if operator is not None} == {
        id: operator for id, operator in before.items() if operator not in (None, leaving)
    }
    # A colleague with room gets them before the dialogs that came later.
    async with committed_db.transaction() as tx:
        await tx.session.execute(
            update(Conversation).where(Conversation.assignee_id == team[1].operator_id).values(status="closed")
        )
    async with committed_db.transaction() as tx:
        plan = await assign_waiting(tx.session, admin.workspace_id, group_id, now=NOW)
    assert sorted(item.conversation_id for item in plan) == theirs


async def test_two_operators_taking_one_dialog_at_once_one_wins_the_other_learns_who(committed_db: Database) -> None:
    admin, _, team = await support_team(committed_db, operators=2)
    [dialog] = await queue_dialogs(committed_db, admin, None, 1)

    async def take(operator: Actor) -> OperatorId | str:
        try:
            async with committed_db.transaction() as tx:
                conversation = await take_conversation(tx.session, operator, dialog, now=NOW)
                return OperatorId(conversation.assignee_id or 0)
        except AlreadyTaken as error:
            return error.message

    results = await asyncio.gather(*(take(operator) for operator in team))
    winners = [result for result in results if not isinstance(result, str)]
    [loser_message] = [result for result in results if isinstance(result, str)]
    assert len(winners) == 1
    assert loser_message.endswith("already took this dialog.")
    assert (await assignees(committed_db, [dialog]))[dialog] == winners[0]


async def test_transferring_to_a_group_of_another_workspace_is_not_found(db: Database) -> None:
    admin, _, _ = await support_team(db, operators=1)
    [dialog] = await queue_dialogs(db, admin, None, 1)
    async with db.transaction() as tx:
        stranger = await make_actor(tx.session)
        foreign = await create_group(tx.session, stranger, "Theirs")
    with pytest.raises(NotFound):
        async with db.transaction() as tx:
            await transfer_to_group(tx.session, admin, dialog, foreign.id, now=NOW)


async def test_a_sweep_expires_quiet_operators_wakes_snoozed_dialogs_and_assigns(committed_db: Database) -> None:
    admin, group_id, team = await support_team(committed_db, operators=2, capacity=5)
    dialogs = await queue_dialogs(committed_db, admin, group_id, 2)
    async with committed_db.transaction() as tx:
        await set_presence(tx.session, team[0], Presence.ONLINE, now=NOW - timedelta(minutes=10))  # tab long gone
        await set_presence(tx.session, team[1], Presence.ONLINE, now=NOW)
        snoozed = await tx.session.get_one(Conversation, dialogs[1])
        snoozed.status, snoozed.snoozed_until = "snoozed", NOW - timedelta(minutes=1)
    assigned = await Assigner(committed_db, FrozenClock(NOW)).sweep()
    assert assigned == 2
    assert set((await assignees(committed_db, dialogs)).values()) == {team[1].operator_id}
    async with committed_db.transaction() as tx:
        presence = await tx.session.scalar(
            select(Membership.presence).where(Membership.operator_id == team[0].operator_id)
        )
        status = await tx.session.scalar(select(Conversation.status).where(Conversation.id == dialogs[1]))
    assert (presence, status) == ("offline", "open")


async def test_replying_to_a_waiting_dialog_takes_it_over(committed_db: Database) -> None:
    admin, _, team = await support_team(committed_db, operators=1)
    [dialog] = await queue_dialogs(committed_db, admin, None, 1)
    async with committed_db.transaction() as tx:
        await reply_as_operator(tx.session, team[0], dialog, text="On it", at=NOW)
    async with committed_db.transaction() as tx:
        conversation = await tx.session.get_one(Conversation, dialog)
        assert (conversation.owner, conversation.assignee_id, conversation.assigned_at) == (
            "operator",
            team[0].operator_id,
            NOW,
        )


async def test_a_kick_for_a_queued_dialog_assigns_in_that_queue_between_sweeps(committed_db: Database) -> None:
    admin, group_id, team = await support_team(committed_db, operators=1)
    async with committed_db.transaction() as tx:
        await set_presence(tx.session, team[0], Presence.ONLINE, now=NOW)
    [dialog] = await queue_dialogs(committed_db, admin, group_id, 1)
    assigner = Assigner(committed_db, FrozenClock(NOW))
    assert await assigner.assign_kicked() == 0  # nothing kicked yet
    assigner.kick(queued_event(admin.workspace_id, dialog, group_id))
    assert await assigner.assign_kicked() == 1
    assert (await assignees(committed_db, [dialog]))[dialog] == team[0].operator_id


async def test_an_open_inbox_brings_an_operator_online_once_and_a_chosen_offline_sticks(db: Database) -> None:
    _, _, [operator] = await support_team(db, operators=1)
    async with db.transaction() as tx:
        assert (await note_inbox_activity(tx.session, operator, now=NOW, opened=True)) is not None  # tab opened
        await set_presence(tx.session, operator, Presence.OFFLINE, now=NOW)
        later = await note_inbox_activity(tx.session, operator, now=NOW + timedelta(seconds=30), opened=False)
        presence = await tx.session.scalar(
            select(Membership.presence).where(Membership.operator_id == operator.operator_id)
        )
    assert later is None
    assert presence == "offline"
