"""Tables of the knowledge base: categories, articles (the editable draft plus the live revision),
revisions, immutable copies made by each publish, and the live revisions' chunks for retrieval."""

from __future__ import annotations

from datetime import datetime

from pgvector.sqlalchemy import Vector
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import TSVECTOR
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


EMBEDDING_DIM = 384  # multilingual-e5-small; another size needs a migration
# The HNSW graph's build parameters; a change needs a migration rebuilding it. ef_construction 128, not
# pgvector's 64: on clustered vectors at 100k chunks 64 left ~15% of queries stranded in the wrong
# cluster (recall@10 0.85 at ef_search 100), 128 gave 0.99 for a build about 1.6 times as long
# (bench/kb_retrieval.py).
HNSW_BUILD = {"m": 16, "ef_construction": 128}


class ArticleChunk(Base):
    """One passage of a published article's live revision (knowledge_base.chunking). `tsv` is the
    lexical leg (title weight A, words weight D, the article's locale configuration), filled on
    insert; `embedding`/`model_id` are filled by the embedder afterwards, so the lexical leg finds
    a chunk before its vector exists. `embedding` has an HNSW index for cosine distance: the dense leg
    of knowledge_base.search uses it once the table is large enough for the planner to prefer it.
    `tsv` is stored in the row (STORAGE MAIN, migration 0012), not in TOAST: the lexical leg ranks
    thousands of candidates with `ts_rank` and would read each one's TOAST pages otherwise."""

    __tablename__ = "kb_chunks"
    __table_args__ = (
        Index("ix_kb_chunks_tsv", "tsv", postgresql_using="gin"),
        Index(
            "ix_kb_chunks_embedding",
            "embedding",
            postgresql_using="hnsw",
            postgresql_with=HNSW_BUILD,
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[WorkspaceId] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    article_id: Mapped[ArticleId] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"), index=True)
    revision_number: Mapped[int]
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    model_id: Mapped[str | None] = mapped_column(String(100))
    embedding: Mapped[list[float] | None] = mapped_column(Vector(EMBEDDING_DIM))
    tsv: Mapped[str] = mapped_column(TSVECTOR)
