"""The usage meter: `record_usage` appends one idempotent row to the ledger in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.models import UsageRecord
from billing.periods import period_start
from core.ids import ContactId, WorkspaceId


class Metric(StrEnum):
    UNIQUE_VISITOR = "unique_visitor"
    AI_QUESTION = "ai_question"
    TELEGRAM_MESSAGE = "telegram_message"
    WHATSAPP_TEMPLATE = "whatsapp_template"


async def record_usage(
    session: AsyncSession,
    *,
    workspace_id: WorkspaceId,
    metric: Metric,
    quantity: int,
    idempotency_key: str,
    occurred_at: datetime,
    contact_id: ContactId | None = None,
) -> bool:
    """True when a row was written, False when `idempotency_key` was already recorded for this
    workspace and metric. Written with the work it meters: rolled back with it, never billed twice."""
    if quantity < 1:
        raise ValueError(f"usage quantity must be positive, not {quantity}")
    # ON CONFLICT DO NOTHING rather than a savepoint: concurrent twins wait for the first to commit
    # and then skip, without an error that would spoil the caller's transaction.
    statement = (
        insert(UsageRecord)
        .values(
            workspace_id=workspace_id,
            metric=metric.value,
            quantity=quantity,
            idempotency_key=idempotency_key,
            period_start=period_start(occurred_at),
            contact_id=contact_id,
            occurred_at=occurred_at,
        )
        .on_conflict_do_nothing(index_elements=["workspace_id", "metric", "idempotency_key"])
        .returning(UsageRecord.id)
    )
    return await session.scalar(statement) is not None
