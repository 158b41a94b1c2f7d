"""Tables of the knowledge base: categories, articles (the editable draft plus the live revision) and
revisions, immutable copies made by each publish."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base
from core.ids import ArticleId, ArticleRevisionId, CategoryId, OperatorId, WorkspaceId


class Category(Base):
    __tablename__ = "kb_categories"
    __table_args__ = (UniqueConstraint("workspace_id", "slug"),)

    id: Mapped[CategoryId] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(server_default="0")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Article(Base):
    """`title`/`body_markdown` are the draft; readers see `published_revision_id`. Locale, visibility
    and category are the article's, not a revision's: changing them takes effect at once."""

    __tablename__ = "kb_articles"
    __table_args__ = (UniqueConstraint("workspace_id", "slug"),)

    id: Mapped[ArticleId] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    category_id: Mapped[CategoryId | None] = mapped_column(
        ForeignKey("kb_categories.id", ondelete="SET NULL"), index=True
    )
    locale: Mapped[str] = mapped_column(String(8))  # knowledge_base.validation.Locale
    visibility: Mapped[str] = mapped_column(String(16))  # knowledge_base.validation.Visibility
    status: Mapped[str] = mapped_column(String(16), server_default="draft")  # ArticleStatus
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80))
    body_markdown: Mapped[str] = mapped_column(Text)
    draft_updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    published_revision_id: Mapped[ArticleRevisionId | None] = mapped_column(
        ForeignKey("kb_article_revisions.id", ondelete="SET NULL", use_alter=True, name="fk_kb_articles_published")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ArticleRevision(Base):
    """What one publish made public, never changed."""

    __tablename__ = "kb_article_revisions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[ArticleRevisionId] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    article_id: Mapped[ArticleId] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body_markdown: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(server_default=func.now())
    published_by: Mapped[OperatorId | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
