"""Snoozing a dialog until a time, and waking the dialogs whose time has come."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from accounts.actors import Actor
from accounts.models import Workspace
from accounts.roles import Role
from conversations.lifecycle import snooze_conversation, wake_snoozed
from conversations.models import Conversation
from core.db import Database
from core.errors import InvalidInput, NotFound
from core.ids import ConversationId
from tests.conversations.inbox_data import NOON, make_conversation, make_group, restrict_to_groups
from tests.factories import make_actor, make_workspace

MOSCOW = timezone(timedelta(hours=3))


async def admin_of_new_workspace(db: Database) -> tuple[Workspace, Actor]:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        return workspace, await make_actor(tx.session, workspace=workspace)


async def status_of(db: Database, conversation_id: ConversationId) -> tuple[str, datetime | None]:
    async with db.transaction() as tx:
        row = (
            await tx.session.execute(
                select(Conversation.status, Conversation.snoozed_until).where(Conversation.id == conversation_id)
            )
        ).one()
    return row.status, row.snoozed_until


async def test_a_snoozed_dialog_sleeps_until_its_time_in_utc(db: Database) -> None:
    workspace, admin = await admin_of_new_workspace(db)
    async with db.transaction() as tx:
        conversation = await make_conversation(tx.session, workspace.id)
        until = datetime(2026, 11, 23, 9, 0, tzinfo=MOSCOW)
        snoozed = await snooze_conversation(tx.session, admin, conversation.id, until=until, now=NOON)
        assert snoozed.snoozed_until is not None and snoozed.snoozed_until.utcoffset() == timedelta(0)
    assert await status_of(db, conversation.id) == ("snoozed", datetime(2026, 11, 23, 6, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("until", "message"),
    [
        (NOON - timedelta(minutes=1), "The snooze time must be in the future."),
        (NOON, "The snooze time must be in the future."),
        (datetime(2026, 11, 23, 9, 0), "The snooze time needs a UTC offset, for example 2026-11-23T09:00:00+03:00."),  # noqa: DTZ001  (the naive time is the bad input)
        (NOON + timedelta(days=400), "A dialog can be snoozed for at most a year."),
    ],
)
async def test_a_time_not_in_the_future_is_refused_clearly_and_nothing_changes(
    db: Database, until: datetime, message: str
) -> None:
    workspace, admin = await admin_of_new_workspace(db)
    async with db.transaction() as tx:
        conversation = await make_conversation(tx.session, workspace.id)
    async with db.transaction() as tx:
        with pytest.raises(InvalidInput) as error:
            await snooze_conversation(tx.session, admin, conversation.id, until=until, now=NOON)
    assert (error.value.message, error.value.params["field"]) == (message, "until")
    assert await status_of(db, conversation.id) == ("open", None)


async def test_a_closed_or_hidden_dialog_cannot_be_snoozed(db: Database) -> None:
    workspace, admin = await admin_of_new_workspace(db)
    async with db.transaction() as tx:
        operator = await make_actor(tx.session, role=Role.OPERATOR, workspace=workspace)
        closed = await make_conversation(tx.session, workspace.id, status="closed")
        sales = await make_group(tx.session, workspace, "Sales")
        hidden = await make_conversation(tx.session, workspace.id, group_id=sales.id)
        await restrict_to_groups(tx.session, workspace)
        later = NOON + timedelta(hours=1)
        with pytest.raises(InvalidInput):
            await snooze_conversation(tx.session, admin, closed.id, until=later, now=NOON)
        with pytest.raises(NotFound):
            await snooze_conversation(tx.session, operator, hidden.id, until=later, now=NOON)


async def test_waking_reopens_only_the_dialogs_whose_time_has_come(db: Database) -> None:
    workspace, admin = await admin_of_new_workspace(db)
    async with db.transaction() as tx:
        soon = await make_conversation(tx.session, workspace.id)
        later = await make_conversation(tx.session, workspace.id)
        await snooze_conversation(tx.session, admin, soon.id, until=NOON + timedelta(hours=1), now=NOON)
        await snooze_conversation(tx.session, admin, later.id, until=NOON + timedelta(days=1), now=NOON)
    async with db.transaction() as tx:
        assert await wake_snoozed(tx.session, NOON + timedelta(minutes=59)) == []
    async with db.transaction() as tx:
        assert await wake_snoozed(tx.session, NOON + timedelta(hours=1)) == [soon.id]
    async with db.transaction() as tx:
        assert await wake_snoozed(tx.session, NOON + timedelta(hours=2)) == []
    assert await status_of(db, soon.id) == ("open", None)
    assert (await status_of(db, later.id))[0] == "snoozed"


async def test_waking_updates_a_dialog_already_loaded_in_the_session(db: Database) -> None:
    workspace, admin = await admin_of_new_workspace(db)
    async with db.transaction() as tx:
        conversation = await make_conversation(tx.session, workspace.id)
        await snooze_conversation(tx.session, admin, conversation.id, until=NOON + timedelta(hours=1), now=NOON)
        assert await wake_snoozed(tx.session, NOON + timedelta(hours=1)) == [conversation.id]
        assert (conversation.status, conversation.snoozed_until) == ("open", None)


async def test_two_sweepers_at_once_wake_each_dialog_once_without_waiting(committed_db: Database) -> None:
    workspace, admin = await admin_of_new_workspace(committed_db)
    async with committed_db.transaction() as tx:
        conversation = await make_conversation(tx.session, workspace.id)
        await snooze_conversation(tx.session, admin, conversation.id, until=NOON + timedelta(hours=1), now=NOON)
    due = NOON + timedelta(hours=1)
    async with committed_db.transaction() as first:
        assert await wake_snoozed(first.session, due) == [conversation.id]
        async with committed_db.transaction() as second:  # the first still holds the row: skipped, no wait
            assert await wake_snoozed(second.session, due) == []
    async with committed_db.transaction() as later:
        assert await wake_snoozed(later.session, due) == []
    assert await status_of(committed_db, conversation.id) == ("open", None)
