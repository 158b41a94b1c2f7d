"""The usage summary of a period: quantities summed per metric, visitors per person, admins only."""

from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from billing.meter import Metric, record_usage
from billing.reports import UsageSummary, usage_summary
from billing.visitors import record_visitor_activity
from core.db import Database
from core.ids import WorkspaceId
from tests.billing.factories import make_contact
from tests.factories import make_actor, make_workspace

NOVEMBER = date(2026, 11, 1)
IN_NOVEMBER = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
IN_OCTOBER = datetime(2026, 10, 31, 23, 59, tzinfo=UTC)


async def meter(
    session: AsyncSession, workspace_id: WorkspaceId, metric: Metric, quantity: int, key: str, at: datetime
) -> None:
    await record_usage(
        session, workspace_id=workspace_id, metric=metric, quantity=quantity, idempotency_key=key, occurred_at=at
    )


async def test_the_summary_sums_each_metric_of_the_period(db: Database) -> None:
    async with db.transaction() as tx:
        actor = await make_actor(tx.session)
        workspace_id = actor.workspace_id
        await meter(tx.session, workspace_id, Metric.AI_QUESTION, 1, "q1", IN_NOVEMBER)
        await meter(tx.session, workspace_id, Metric.AI_QUESTION, 1, "q2", IN_NOVEMBER)
        await meter(tx.session, workspace_id, Metric.TELEGRAM_MESSAGE, 250, "broadcast:7", IN_NOVEMBER)
        await meter(tx.session, workspace_id, Metric.WHATSAPP_TEMPLATE, 3, "hsm:1", IN_NOVEMBER)
        await meter(tx.session, workspace_id, Metric.AI_QUESTION, 1, "q0", IN_OCTOBER)
        for _ in range(2):
            contact = await make_contact(tx.session, workspace_id)
            await record_visitor_activity(tx.session, workspace_id=workspace_id, contact_id=contact, at=IN_NOVEMBER)
        summary = await usage_summary(tx.session, workspace_id=actor.workspace_id, period=NOVEMBER)
    assert summary == UsageSummary(
        period=NOVEMBER, unique_visitors=2, ai_questions=2, telegram_messages=250, whatsapp_templates=3
    )


async def test_an_empty_period_is_all_zeros(db: Database) -> None:
    async with db.transaction() as tx:
        actor = await make_actor(tx.session)
        summary = await usage_summary(tx.session, workspace_id=actor.workspace_id, period=NOVEMBER)
    assert summary == UsageSummary(NOVEMBER, 0, 0, 0, 0)


async def test_another_workspaces_usage_is_never_included(db: Database) -> None:
    async with db.transaction() as tx:
        actor = await make_actor(tx.session)
        theirs = await make_workspace(tx.session)
        await meter(tx.session, theirs.id, Metric.TELEGRAM_MESSAGE, 5, "send:1", IN_NOVEMBER)
        contact = await make_contact(tx.session, theirs.id)
        await record_visitor_activity(tx.session, workspace_id=theirs.id, contact_id=contact, at=IN_NOVEMBER)
        summary = await usage_summary(tx.session, workspace_id=actor.workspace_id, period=NOVEMBER)
    assert summary == UsageSummary(NOVEMBER, 0, 0, 0, 0)
