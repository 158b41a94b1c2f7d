"""Unique visitors: once per person per billing period, across visits, devices (merges) and races."""

import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from billing.models import UsageRecord
from billing.visitors import count_unique_visitors, record_visitor_activity
from conversations.models import Contact
from core.db import Database
from core.ids import ContactId, WorkspaceId
from tests.billing.factories import make_contact
from tests.factories import make_workspace

NOVEMBER = date(2026, 11, 1)
DECEMBER = date(2026, 12, 1)
MID_NOVEMBER = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


async def active(db: Database, workspace_id: WorkspaceId, contact_id: ContactId, at: datetime) -> None:
    async with db.transaction() as tx:
        await record_visitor_activity(tx.session, workspace_id=workspace_id, contact_id=contact_id, at=at)


async def visitors(db: Database, workspace_id: WorkspaceId, period: date) -> int:
    async with db.transaction() as tx:
        return await count_unique_visitors(tx.session, workspace_id=workspace_id, period=period)


async def test_a_visitor_active_three_times_in_a_month_counts_once(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        contact = await make_contact(tx.session, workspace.id)
    for day in (1, 9, 29):
        await active(db, workspace.id, contact, MID_NOVEMBER.replace(day=day))
    assert await visitors(db, workspace.id, NOVEMBER) == 1


async def test_a_visitor_active_in_two_months_counts_once_in_each(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        contact = await make_contact(tx.session, workspace.id)
    await active(db, workspace.id, contact, MID_NOVEMBER)
    await active(db, workspace.id, contact, MID_NOVEMBER + timedelta(days=20))
    assert await visitors(db, workspace.id, NOVEMBER) == 1
    assert await visitors(db, workspace.id, DECEMBER) == 1
    assert await visitors(db, workspace.id, date(2027, 1, 1)) == 0


async def test_different_people_count_separately(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        ann = await make_contact(tx.session, workspace.id)
        bob = await make_contact(tx.session, workspace.id)
    await active(db, workspace.id, ann, MID_NOVEMBER)
    await active(db, workspace.id, bob, MID_NOVEMBER)
    assert await visitors(db, workspace.id, NOVEMBER) == 2


async def test_two_anonymous_devices_merged_into_one_identified_person_count_once(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        laptop = await make_contact(tx.session, workspace.id)
        phone = await make_contact(tx.session, workspace.id)
    await active(db, workspace.id, laptop, MID_NOVEMBER)
    await active(db, workspace.id, phone, MID_NOVEMBER)
    assert await visitors(db, workspace.id, NOVEMBER) == 2
    async with db.transaction() as tx:  # the person logs in: both devices are merged into them
        person = await make_contact(tx.session, workspace.id)
        for device in (laptop, phone):
            contact = await tx.session.get_one(Contact, device)
            contact.merged_into_id = person
    await active(db, workspace.id, person, MID_NOVEMBER + timedelta(hours=1))
    assert await visitors(db, workspace.id, NOVEMBER) == 1


async def test_another_workspaces_visitors_are_never_counted(db: Database) -> None:
    async with db.transaction() as tx:
        ours = await make_workspace(tx.session)
        theirs = await make_workspace(tx.session)
        their_contact = await make_contact(tx.session, theirs.id)
    await active(db, theirs.id, their_contact, MID_NOVEMBER)
    assert await visitors(db, ours.id, NOVEMBER) == 0
    assert await visitors(db, theirs.id, NOVEMBER) == 1


async def test_a_contact_deleted_after_its_activity_still_counted(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        kept = await make_contact(tx.session, workspace.id)
        erased = await make_contact(tx.session, workspace.id)
    await active(db, workspace.id, kept, MID_NOVEMBER)
    await active(db, workspace.id, erased, MID_NOVEMBER)
    async with db.transaction() as tx:
        await tx.session.delete(await tx.session.get_one(Contact, erased))
    assert await visitors(db, workspace.id, NOVEMBER) == 2


async def test_five_simultaneous_activities_of_one_visitor_write_one_row(committed_db: Database) -> None:
    async with committed_db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        contact = await make_contact(tx.session, workspace.id)
    all_open = asyncio.Barrier(5)

    async def active_at_once(at: datetime) -> None:
        async with committed_db.transaction() as tx:
            await tx.session.execute(select(1))  # holds a connection and an open transaction
            await all_open.wait()
            await record_visitor_activity(tx.session, workspace_id=workspace.id, contact_id=contact, at=at)

    await asyncio.gather(*(active_at_once(MID_NOVEMBER + timedelta(seconds=second)) for second in range(5)))
    async with committed_db.transaction() as tx:
        rows = await tx.session.scalar(
            select(func.count()).select_from(UsageRecord).where(UsageRecord.workspace_id == workspace.id)
        )
    assert rows == 1
    assert await visitors(committed_db, workspace.id, NOVEMBER) == 1
