"""Tables of the AI bot: a workspace's settings (the model endpoint's key sealed), and one row per
question it was asked — what it decided, from which sources, and the visitor's verdict — which the
unanswered-questions report groups by the question's vector."""

from __future__ import annotations

from datetime import datetime

from pgvector.sqlalchemy import Vector
from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base
from core.ids import AIAnswerId, ConversationId, MessageId, WorkspaceId

DEFAULT_THRESHOLD = 0.80  # the dense cosine below which the bot hands off (e5-small; tests/data measures it)
QUESTION_DIM = 384


class AISettings(Base):
    """No row: every default. The endpoint is unset by default: answers are extractive."""

    __tablename__ = "ai_settings"
    __table_args__ = (
        CheckConstraint("threshold >= 0 AND threshold <= 1", name="threshold"),
        CheckConstraint("question_gap_minutes BETWEEN 0 AND 43200", name="question_gap"),
    )

    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(server_default=text("true"))
    bot_name: Mapped[str] = mapped_column(String(80), server_default="")
    instructions: Mapped[str] = mapped_column(Text, server_default="")  # tone, extra rules
    threshold: Mapped[float] = mapped_column(Float, server_default=text(str(DEFAULT_THRESHOLD)))
    stop_topics: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    # bots.ai.texts overrides: {"handoff_unknown": {"ru": "…"}}
    texts: Mapped[dict[str, dict[str, str]]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    answers_first_message: Mapped[bool] = mapped_column(server_default=text("false"))
    # A visitor writing into a closed dialog at least this long after it ended asks a new question.
    question_gap_minutes: Mapped[int] = mapped_column(server_default=text("30"))
    base_url: Mapped[str | None] = mapped_column(String(500))
    model: Mapped[str | None] = mapped_column(String(200))
    api_key_sealed: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class AIAnswer(Base):
    """`request_key` makes delivery idempotent: a retried or raced delivery finds the row."""

    __tablename__ = "ai_answers"
    __table_args__ = (
        UniqueConstraint("workspace_id", "request_key"),
        Index("ix_ai_answers_workspace_created", "workspace_id", "created_at"),
        Index("ix_ai_answers_conversation", "conversation_id"),
        CheckConstraint("decision IN ('answer', 'handoff')", name="decision"),
    )

    id: Mapped[AIAnswerId] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    conversation_id: Mapped[ConversationId | None] = mapped_column(ForeignKey("conversations.id", ondelete="SET NULL"))
    message_id: Mapped[MessageId | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    request_key: Mapped[str] = mapped_column(String(120))
    question: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(16))  # extractive | generative
    prompt_version: Mapped[str | None] = mapped_column(String(40))
    top_cosine: Mapped[float | None] = mapped_column(Float)
    sources: Mapped[list[dict[str, object]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    answer: Mapped[str] = mapped_column(Text, server_default="")
    question_embedding: Mapped[list[float] | None] = mapped_column(Vector(QUESTION_DIM))
    helpful: Mapped[bool | None]
    feedback_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]  # an editor dealt with it (wrote an article, dismissed)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
