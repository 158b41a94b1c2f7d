"""Unique visitors: a person counts once per billing period if they showed any activity in it,
however many visits or devices (merged contacts count as the person they were merged into)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import BigInteger, column, distinct, func, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from billing.meter import Metric, record_usage
from billing.models import UsageRecord
from billing.periods import check_period, period_start
from core.ids import ContactId, WorkspaceId

# The contacts table as billing needs it, through Core: billing must not import conversations.
_contacts = table("contacts", column("id", BigInteger), column("merged_into_id", BigInteger))


@dataclass(frozen=True)
class VisitorActivity:
    """The ledger row of a contact's activity in a period, for writers that insert it within their own
    statement: the idempotency key is `key_prefix` followed by the contact's id."""

    metric: str
    quantity: int
    key_prefix: str
    period_start: date

    def key_for(self, contact_id: ContactId) -> str:
        return f"{self.key_prefix}{contact_id}"


def visitor_activity(at: datetime) -> VisitorActivity:
    """A contact counts once per period: all their activity in it carries the same idempotency key."""
    period = period_start(at)
    return VisitorActivity(Metric.UNIQUE_VISITOR.value, 1, f"{period:%Y-%m}:", period)


async def record_visitor_activity(
    session: AsyncSession, *, workspace_id: WorkspaceId, contact_id: ContactId, at: datetime
) -> None:
    """Any activity of the contact at `at` (a site event, a property written, a reply, a click...)."""
    activity = visitor_activity(at)
    await record_usage(
        session,
        workspace_id=workspace_id,
        metric=Metric(activity.metric),
        quantity=activity.quantity,
        idempotency_key=activity.key_for(contact_id),
        occurred_at=at,
        contact_id=contact_id,
    )


async def count_unique_visitors(session: AsyncSession, *, workspace_id: WorkspaceId, period: date) -> int:
    """Distinct people active in the period. The merge code keeps `merged_into_id` one level deep
    (pointing at the final contact), so coalescing it with the id names the person."""
    person = func.coalesce(_contacts.c.merged_into_id, _contacts.c.id)
    # A contact deleted since its activity leaves its row with contact_id NULL (ON DELETE SET NULL);
    # the activity happened, so each such row (one per contact and period) still counts.
    erased = func.count().filter(UsageRecord.contact_id.is_(None))
    query = (
        select(func.count(distinct(person)) + erased)
        .select_from(UsageRecord)
        .outerjoin(_contacts, _contacts.c.id == UsageRecord.contact_id)
        .where(
            UsageRecord.workspace_id == workspace_id,
            UsageRecord.metric == Metric.UNIQUE_VISITOR.value,
            UsageRecord.period_start == check_period(period),
        )
    )
    return await session.scalar(query) or 0
