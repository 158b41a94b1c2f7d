"""Keeping each article's retrieval chunks in step with what is published. `sync_chunks` rewrites the
chunks of the live revision (unchanged text keeps its chunk and vector, stale chunks go, new ones get
their tsvector at once so the lexical leg finds them); `embed_pending` fills the vectors that are
missing or were made by another model. Unpublished or deleted articles have no chunks.

`Indexer` runs both after an editor's transaction commits: in the background in the server (a
publish never waits for the CPU-heavy embedding), inline when tests give their own database.
Failures are logged and never reach the editor; the next start catches up."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    and_,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database
from core.ids import ArticleId
from knowledge_base.chunking import Chunk, chunk_article
from knowledge_base.embedders import Embedder
from knowledge_base.models import Article, ArticleChunk, ArticleRevision
from knowledge_base.validation import TEXT_SEARCH_CONFIG, ArticleStatus

log = logging.getLogger(__name__)
EMBED_BATCH = 16


@dataclass(frozen=True)
class SyncReport:
    kept: int = 0
    added: int = 0
    removed: int = 0


@dataclass(frozen=True)
class PendingChunk:
    id: int
    content_hash: str
    passage: str


def text_search_config(locale: str) -> str:
    """`russian`/`english` by the article's locale, `simple` for anything else."""
    return {str(known): config for known, config in TEXT_SEARCH_CONFIG.items()}.get(locale, "simple")


def chunk_tsvector(
    config: str, title: ColumnExpressionArgument[str], text: ColumnExpressionArgument[str]
) -> ColumnElement[str]:
    """Title weight A, words weight D, in the article's configuration (../shared/RETRIEVAL.md)."""
    regconfig = cast(literal(config), REGCONFIG)
    weighted_title = func.setweight(func.to_tsvector(regconfig, title), literal_column("'A'"))
    weighted_text = func.setweight(func.to_tsvector(regconfig, text), literal_column("'D'"))
    return weighted_title.op("||")(weighted_text)


async def sync_chunks(session: AsyncSession, article_id: ArticleId) -> SyncReport:
    """The article's chunks become those of its live revision; the article row is locked meanwhile
    so two syncs of one article do not interleave."""
    article = await session.scalar(select(Article).where(Article.id == article_id).with_for_update())
    live = None
    if article is not None and article.status == ArticleStatus.PUBLISHED and article.published_revision_id:
        live = await session.scalar(select(ArticleRevision).where(ArticleRevision.id == article.published_revision_id))
    if article is None or live is None:
        removed = await session.execute(delete(ArticleChunk).where(ArticleChunk.article_id == article_id))
        return SyncReport(removed=removed.rowcount)  # type: ignore[attr-defined]
    wanted = chunk_article(live.title, live.body_markdown)
    existing: dict[str, list[int]] = {}
    for chunk_id, content_hash in await session.execute(
        select(ArticleChunk.id, ArticleChunk.content_hash)
        .where(ArticleChunk.article_id == article_id)
        .order_by(ArticleChunk.position)
    ):
        existing.setdefault(content_hash, []).append(chunk_id)
    kept: list[tuple[int, Chunk]] = []
    new: list[Chunk] = []
    for chunk in wanted:
        same = existing.get(chunk.content_hash)
        if same:
            kept.append((same.pop(0), chunk))
        else:
            new.append(chunk)
    stale = [chunk_id for ids in existing.values() for chunk_id in ids]
    if stale:
        await session.execute(delete(ArticleChunk).where(ArticleChunk.id.in_(stale)))
    config = text_search_config(article.locale)
    for chunk_id, chunk in kept:  # the locale (so the tsvector) or the position may have changed
        await session.execute(
            update(ArticleChunk)
            .where(ArticleChunk.id == chunk_id)
            .values(
                position=chunk.position,
                revision_number=live.number,
                tsv=chunk_tsvector(config, ArticleChunk.title, ArticleChunk.text),
            )
        )
    for chunk in new:
        await session.execute(
            insert(ArticleChunk).values(
                workspace_id=article.workspace_id,
                article_id=article.id,
                revision_number=live.number,
                position=chunk.position,
                title=chunk.title,
                text=chunk.text,
                content_hash=chunk.content_hash,
                tsv=chunk_tsvector(config, literal(chunk.title), literal(chunk.text)),
            )
        )
    return SyncReport(kept=len(kept), added=len(new), removed=len(stale))


async def pending_chunks(session: AsyncSession, article_id: ArticleId, model_id: str) -> list[PendingChunk]:
    """The article's chunks without a vector from `model_id`."""
    rows = await session.execute(
        select(ArticleChunk.id, ArticleChunk.content_hash, ArticleChunk.title, ArticleChunk.text)
        .where(
            ArticleChunk.article_id == article_id,
            or_(ArticleChunk.model_id.is_(None), ArticleChunk.model_id != model_id, ArticleChunk.embedding.is_(None)),
        )
        .order_by(ArticleChunk.position)
    )
    return [PendingChunk(row.id, row.content_hash, Chunk(0, row.title, row.text).passage) for row in rows]


async def store_embeddings(
    session: AsyncSession, model_id: str, chunks: Sequence[PendingChunk], vectors: Sequence[list[float]]
) -> None:
    """A chunk replaced meanwhile (its id or hash gone) is left alone: its successor is pending."""
    for chunk, vector in zip(chunks, vectors, strict=True):
        await session.execute(
            update(ArticleChunk)
            .where(and_(ArticleChunk.id == chunk.id, ArticleChunk.content_hash == chunk.content_hash))
            .values(embedding=vector, model_id=model_id)
        )


async def index_article(session: AsyncSession, article_id: ArticleId, embedder: Embedder) -> int:
    """Sync and embed in one session; the number of chunks embedded (0 when the text is unchanged)."""
    await sync_chunks(session, article_id)
    pending = await pending_chunks(session, article_id, embedder.model_id)
    for start in range(0, len(pending), EMBED_BATCH):
        batch = pending[start : start + EMBED_BATCH]
        vectors = await asyncio.to_thread(embedder.embed_passages, [chunk.passage for chunk in batch])
        await store_embeddings(session, embedder.model_id, batch, vectors)
    return len(pending)


class Indexer:
    """Re-indexes articles after their changes commit. With `background`, requests are queued and
    one worker (`run`) handles them in order, each article once however often it was requested;
    without it `article_changed` indexes before returning (tests)."""

    def __init__(self, database: Database, embedder: Embedder, *, background: bool) -> None:
        self._database = database
        self._embedder = embedder
        self._background = background
        self._queued: dict[ArticleId, None] = {}
        self._wake = asyncio.Event()
        self.idle = asyncio.Event()  # set while the worker waits with nothing queued

    async def article_changed(self, article_id: ArticleId) -> None:
        if not self._background:
            await self.index(article_id)
            return
        self._queued[article_id] = None
        self.idle.clear()
        self._wake.set()

    async def run(self) -> None:
        """The background worker: catch up (articles published before, or vectors of another model),
        then follow requests until cancelled."""
        for article_id in await self._needing_work():
            self._queued.setdefault(article_id, None)
        while True:
            while self._queued:
                article_id = next(iter(self._queued))
                del self._queued[article_id]
                await self.index(article_id)
            self._wake.clear()
            self.idle.set()
            await self._wake.wait()

    async def index(self, article_id: ArticleId) -> None:
        """Sync in one transaction (lexical search sees the new text at once), then embed outside
        any transaction and store each batch in its own."""
        try:
            started = time.perf_counter()
            async with self._database.transaction() as tx:
                report = await sync_chunks(tx.session, article_id)
                pending = await pending_chunks(tx.session, article_id, self._embedder.model_id)
            for start in range(0, len(pending), EMBED_BATCH):
                batch = pending[start : start + EMBED_BATCH]
                vectors = await asyncio.to_thread(self._embedder.embed_passages, [chunk.passage for chunk in batch])
                async with self._database.transaction() as tx:
                    await store_embeddings(tx.session, self._embedder.model_id, batch, vectors)
            log.info(
                "article indexed",
                extra={
                    "article_id": article_id,
                    "kept": report.kept,
                    "added": report.added,
                    "removed": report.removed,
                    "embedded": len(pending),
                    "seconds": round(time.perf_counter() - started, 3),
                },
            )
        except Exception:
            log.exception("indexing an article failed", extra={"article_id": article_id})

    async def _needing_work(self) -> list[ArticleId]:
        async with self._database.transaction() as tx:
            published = select(Article.id).where(Article.status == ArticleStatus.PUBLISHED)
            unembedded = select(ArticleChunk.article_id).where(
                or_(ArticleChunk.model_id.is_(None), ArticleChunk.model_id != self._embedder.model_id)
            )
            chunked = select(ArticleChunk.article_id)
            rows = await tx.session.scalars(
                published.where(or_(Article.id.not_in(chunked), Article.id.in_(unembedded))).union(
                    select(ArticleChunk.article_id).where(ArticleChunk.article_id.not_in(published))
                )
            )
            return [ArticleId(article_id) for article_id in rows]
