"""The usage ledger: one row per idempotency key, written in the caller's transaction."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.meter import Metric, record_usage
from billing.models import UsageRecord
from core.db import Database
from core.ids import WorkspaceId
from tests.factories import make_workspace

AT = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)


async def record(
    session: AsyncSession, workspace_id: WorkspaceId, key: str, *, metric: Metric = Metric.TELEGRAM_MESSAGE
) -> bool:
    return await record_usage(
        session, workspace_id=workspace_id, metric=metric, quantity=1, idempotency_key=key, occurred_at=AT
    )


async def ledger(db: Database, workspace_id: WorkspaceId) -> list[UsageRecord]:
    async with db.transaction() as tx:
        rows = await tx.session.scalars(
            select(UsageRecord).where(UsageRecord.workspace_id == workspace_id).order_by(UsageRecord.id)
        )
        return list(rows)


async def test_the_same_key_twice_writes_one_row_and_says_so(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        first = await record(tx.session, workspace.id, "send:41")
        second = await record(tx.session, workspace.id, "send:41")
    assert (first, second) == (True, False)
    [row] = await ledger(db, workspace.id)
    assert (row.metric, row.quantity, row.occurred_at) == ("telegram_message", 1, AT)
    assert row.period_start == date(2026, 11, 1)


async def test_a_redelivery_in_a_later_transaction_is_a_duplicate_too(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        assert await record(tx.session, workspace.id, "send:41")
    async with db.transaction() as tx:
        assert not await record(tx.session, workspace.id, "send:41")
    assert len(await ledger(db, workspace.id)) == 1


async def test_keys_are_unique_per_workspace_and_metric(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        other = await make_workspace(tx.session)
        assert await record(tx.session, workspace.id, "k")
        assert await record(tx.session, workspace.id, "k", metric=Metric.WHATSAPP_TEMPLATE)
        assert await record(tx.session, other.id, "k")
    assert [row.metric for row in await ledger(db, workspace.id)] == ["telegram_message", "whatsapp_template"]


async def test_work_that_rolls_back_is_never_billed(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)

    class WorkFailed(Exception):
        pass

    async def meter_then_fail() -> None:
        async with db.transaction() as tx:
            await record(tx.session, workspace.id, "send:42")
            raise WorkFailed

    with pytest.raises(WorkFailed):
        await meter_then_fail()
    assert await ledger(db, workspace.id) == []


async def test_the_quantity_is_stored_and_must_be_positive(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        await record_usage(
            tx.session,
            workspace_id=workspace.id,
            metric=Metric.AI_QUESTION,
            quantity=3,
            idempotency_key="batch:1",
            occurred_at=AT,
        )
        with pytest.raises(ValueError, match="positive"):
            await record_usage(
                tx.session,
                workspace_id=workspace.id,
                metric=Metric.AI_QUESTION,
                quantity=0,
                idempotency_key="batch:2",
                occurred_at=AT,
            )
    assert [row.quantity for row in await ledger(db, workspace.id)] == [3]
