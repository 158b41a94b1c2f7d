"""The append-only usage ledger: one row per metered event, unique by its idempotency key."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base
from core.ids import ContactId, UsageRecordId, WorkspaceId


class UsageRecord(Base):
    __tablename__ = "usage_records"
    __table_args__ = (
        UniqueConstraint("workspace_id", "metric", "idempotency_key"),
        Index("ix_usage_records_period", "workspace_id", "metric", "period_start"),
    )

    id: Mapped[UsageRecordId] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int]
    idempotency_key: Mapped[str] = mapped_column(String(255))
    period_start: Mapped[date]
    # The person the record is about, where there is one (unique visitors are counted per person).
    contact_id: Mapped[ContactId | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    occurred_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
