"""Tables of flows: the editable draft, immutable published versions, one run per conversation
(the engine's state as JSON), the timers that resume runs, and the per-node counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base
from core.ids import ConversationId, FlowId, FlowRunId, FlowVersionId, OperatorId, WorkspaceId


class Flow(Base):
    """A scenario: its draft is edited freely; what runs is `published_version_id`."""

    __tablename__ = "flows"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[FlowId] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    draft: Mapped[dict[str, object]] = mapped_column(JSONB)
    draft_updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    published_version_id: Mapped[FlowVersionId | None] = mapped_column(
        ForeignKey("flow_versions.id", ondelete="SET NULL", use_alter=True, name="fk_flows_published_version")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class FlowVersion(Base):
    """A published definition, never changed: a running dialog keeps the version it started with."""

    __tablename__ = "flow_versions"
    __table_args__ = (UniqueConstraint("flow_id", "number"),)

    id: Mapped[FlowVersionId] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    flow_id: Mapped[FlowId] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"))
    number: Mapped[int]
    definition: Mapped[dict[str, object]] = mapped_column(JSONB)
    published_at: Mapped[datetime] = mapped_column(server_default=func.now())
    published_by: Mapped[OperatorId | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))


class FlowRun(Base):
    """Where one conversation is in one flow version. `handled_seq` is the last visitor message the
    run has consumed: a message is stepped once, whoever (which process) gets to it first."""

    __tablename__ = "flow_runs"
    __table_args__ = (
        Index(
            "uq_flow_runs_active_conversation",
            "conversation_id",
            unique=True,
            postgresql_where=text("finished_at IS NULL"),
        ),
    )

    id: Mapped[FlowRunId] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    conversation_id: Mapped[ConversationId] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    flow_version_id: Mapped[FlowVersionId] = mapped_column(ForeignKey("flow_versions.id", ondelete="CASCADE"))
    state: Mapped[dict[str, object]] = mapped_column(JSONB)
    handled_seq: Mapped[int] = mapped_column(server_default="0")
    episode: Mapped[int] = mapped_column(server_default="1")  # a run ends with its episode (a close)
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]
    finish_reason: Mapped[str | None] = mapped_column(String(32))


class FlowTimer(Base):
    """A wait, an ask's timeout, or the deadline of a webhook/AI request: fired once, by whichever
    process claims it first (`FOR UPDATE SKIP LOCKED`)."""

    __tablename__ = "flow_timers"
    __table_args__ = (
        UniqueConstraint("run_id", "timer_id"),
        Index("ix_flow_timers_due", "fire_at", postgresql_where=text("fired_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    run_id: Mapped[FlowRunId] = mapped_column(ForeignKey("flow_runs.id", ondelete="CASCADE"))
    timer_id: Mapped[str] = mapped_column(String(80))
    # What firing delivers: "timer" (TimerFired), "webhook" or "ai" (a timed-out result).
    kind: Mapped[str] = mapped_column(String(16), server_default="timer")
    fire_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]


class FlowNodeCounter(Base):
    """How many runs entered a node, left it by each edge, or were dropped there. Each count is
    spread over `shard`s (by conversation): every bot turn adds to the counters of the nodes it
    passed, and one row per node would make all dialogs of a flow wait for each other's commit."""

    __tablename__ = "flow_node_counters"

    flow_version_id: Mapped[FlowVersionId] = mapped_column(
        ForeignKey("flow_versions.id", ondelete="CASCADE"), primary_key=True
    )
    node_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    outcome: Mapped[str] = mapped_column(Text, primary_key=True)  # "entered", "edge:<name>", "dropped"
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, server_default="0")
    count: Mapped[int] = mapped_column(server_default="0")
