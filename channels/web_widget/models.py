"""Per-workspace settings of the web chat widget."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ARRAY, ForeignKey, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base
from core.ids import WorkspaceId


class WidgetSettings(Base):
    __tablename__ = "widget_settings"

    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    color: Mapped[str] = mapped_column(String(7), server_default="#2f6fed")
    position: Mapped[str] = mapped_column(String(5), server_default="right")
    # "auto": the visitor's browser language (en or ru); otherwise a fixed one.
    language: Mapped[str] = mapped_column(String(5), server_default="auto")
    greeting_en: Mapped[str] = mapped_column(Text, server_default="Hi! How can we help?")
    greeting_ru: Mapped[str] = mapped_column(Text, server_default="Здравствуйте! Чем можем помочь?")
    # Empty: any site may embed the widget; otherwise only these origins (scheme://host[:port]).
    allowed_origins: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'::text[]"))
    # Encrypted (core.crypto); the site signs its user ids with it for identity verification.
    identity_secret: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
