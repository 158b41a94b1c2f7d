"""What a workspace used in a billing period (the caller checks who may see it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.meter import Metric
from billing.models import UsageRecord
from billing.periods import check_period
from billing.visitors import count_unique_visitors
from core.ids import WorkspaceId

# Counted by quantity; unique visitors are counted by person instead.
_SUMMED = (Metric.AI_QUESTION, Metric.TELEGRAM_MESSAGE, Metric.WHATSAPP_TEMPLATE)


@dataclass(frozen=True)
class UsageSummary:
    period: date
    unique_visitors: int
    ai_questions: int
    telegram_messages: int
    whatsapp_templates: int


async def usage_summary(session: AsyncSession, *, workspace_id: WorkspaceId, period: date) -> UsageSummary:
    totals = await _quantities_by_metric(session, workspace_id=workspace_id, period=check_period(period))
    return UsageSummary(
        period=period,
        unique_visitors=await count_unique_visitors(session, workspace_id=workspace_id, period=period),
        ai_questions=totals.get(Metric.AI_QUESTION, 0),
        telegram_messages=totals.get(Metric.TELEGRAM_MESSAGE, 0),
        whatsapp_templates=totals.get(Metric.WHATSAPP_TEMPLATE, 0),
    )


async def _quantities_by_metric(session: AsyncSession, *, workspace_id: WorkspaceId, period: date) -> dict[Metric, int]:
    rows = await session.execute(
        select(UsageRecord.metric, func.sum(UsageRecord.quantity))
        .where(UsageRecord.workspace_id == workspace_id, UsageRecord.period_start == period)
        .where(UsageRecord.metric.in_([m.value for m in _SUMMED]))
        .group_by(UsageRecord.metric)
    )
    return {Metric(metric): int(total) for metric, total in rows}
