"""Hybrid search over the chunks of published articles, as measured in ../shared/RETRIEVAL.md:
a lexical leg (the query's words OR-ed, each article in its own text-search configuration,
`ts_rank(tsv, query, 1)`) and a dense leg (cosine distance to the query's vector), top 50 chunks
each, collapsed to their article by the best chunk, fused by weighted reciprocal rank:
1.0/(60 + dense rank) + 0.5/(60 + lexical rank). Always filtered by workspace and by the
visibilities the caller may see (the bot: public and bot-only; the public API: public).

The dense leg orders by distance alone so that the HNSW index on the chunks' embeddings (migration
0008) can serve it: the planner takes the index on large tables and an exact scan on small ones or
for a small workspace. The search transaction widens the index's candidate list to 100
(`hnsw.ef_search`) and lets the scan go on past candidates the filters reject (pgvector 0.8's
`hnsw.iterative_scan`, relaxed order: the leg's rows are sorted again here).

The lexical leg is knowledge_base.lexical: a workspace of up to its RANK_BUDGET chunks has every match
ranked, as measured; a larger one first the chunks matching the query's rarer words (ranking every
match of a common word took seconds at 100k chunks), still by all the words. The fused articles'
titles, passages and (for those the dense leg missed) cosines come in one more round trip."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import ColumnElement, Float, Select, and_, case, func, literal, null, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.ids import ArticleId, WorkspaceId
from knowledge_base.embedders import Embedder
from knowledge_base.lexical import RANK_BUDGET, lexical_leg
from knowledge_base.models import EMBEDDING_DIM, Article, ArticleChunk, ArticleRevision
from knowledge_base.validation import ArticleStatus, Locale, Visibility

log = logging.getLogger(__name__)
QUERY_MAX = 1_000
LEG_DEPTH = 50
RRF_K = 60
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 0.5
SNIPPET_CHARS = 240
# HNSW at query time (../shared/RETRIEVAL.md: ef_search 100 gave recall@10 0.99 at 100k x 384).
HNSW_EF_SEARCH = 100
HNSW_ITERATIVE_SCAN = "relaxed_order"


@dataclass(frozen=True)
class SearchHit:
    article_id: ArticleId
    title: str
    slug: str
    locale: Locale
    visibility: Visibility
    snippet: str  # the best chunk's words, cut at a word
    passage: str  # the best chunk's words, whole (what the AI bot answers from)
    score: float  # the fused score
    dense_cosine: float | None  # the article's best chunk cosine; None without a query vector


@dataclass(frozen=True)
class SearchResults:
    hits: list[SearchHit]

    @property
    def top_cosine(self) -> float | None:
        """The dense cosine of the best fused article: the hand-off gate's measure."""
        return self.hits[0].dense_cosine if self.hits else None


@dataclass(frozen=True)
class _LegHit:
    article_id: ArticleId
    chunk_id: int
    value: float  # cosine similarity or ts_rank; higher is better


async def embed_query(embedder: Embedder, query: str) -> list[float] | None:
    """The query's vector, computed in a thread; None (search falls back to the lexical leg) if
    the embedder fails. Call it before opening a transaction: it takes CPU time, not the database."""
    try:
        return await asyncio.to_thread(embedder.embed_query, query)
    except Exception:
        log.exception("embedding a search query failed", extra={"model_id": embedder.model_id})
        return None


def fuse(dense: Sequence[ArticleId], lexical: Sequence[ArticleId]) -> list[tuple[ArticleId, float]]:
    """Weighted reciprocal rank fusion of two rankings (rank 1 first); best first, ties by id."""
    scores: dict[ArticleId, float] = {}
    for weight, ranking in ((DENSE_WEIGHT, dense), (LEXICAL_WEIGHT, lexical)):
        for rank, article_id in enumerate(ranking, 1):
            scores[article_id] = scores.get(article_id, 0.0) + weight / (RRF_K + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


async def search_articles(
    session: AsyncSession,
    workspace_id: WorkspaceId,
    query: str,
    *,
    query_vector: list[float] | None,
    model_id: str,
    visibilities: Collection[Visibility],
    locale: Locale | None = None,
    limit: int = 10,
    lexical_budget: int | None = RANK_BUDGET,
) -> SearchResults:
    """`query_vector` is the query embedded by the model `model_id` (None: the lexical leg alone,
    e.g. when the embedder failed). Chunks not yet embedded are found by the lexical leg only.
    `lexical_budget` as in knowledge_base.lexical (None ranks every match: the benchmark's baseline)."""
    readable = _readable(workspace_id, visibilities, locale)
    dense = [] if query_vector is None else await _dense_leg(session, readable, query_vector, model_id)
    visible = _visible(workspace_id, visibilities, locale)
    lexical = await _lexical_leg(session, workspace_id, visible, query, locale, budget=lexical_budget)
    fused = fuse(_collapse(dense), _collapse(lexical))[:limit]
    if not fused:
        return SearchResults([])
    best_chunk: dict[ArticleId, int] = {}
    for hit in [*dense, *lexical]:  # each leg is best first; the dense leg's chunk wins
        best_chunk.setdefault(hit.article_id, hit.chunk_id)
    cosines: dict[ArticleId, float] = {}
    for hit in dense:
        cosines.setdefault(hit.article_id, hit.value)
    ids = [article_id for article_id, _ in fused]
    missing = [article_id for article_id in ids if article_id not in cosines]
    lookup = _details(ids, [best_chunk[article_id] for article_id in ids], missing, query_vector, model_id)
    articles = {row.id: row for row in await session.execute(lookup)}
    for row in articles.values():
        if row.distance is not None:
            cosines[row.id] = 1.0 - row.distance
    hits = [
        SearchHit(
            article_id=article_id,
            title=articles[article_id].title,
            slug=articles[article_id].slug,
            locale=Locale(articles[article_id].locale),
            visibility=Visibility(articles[article_id].visibility),
            snippet=_snippet(articles[article_id].passage or ""),
            passage=articles[article_id].passage or "",
            score=score,
            dense_cosine=cosines.get(article_id),
        )
        for article_id, score in fused
        if article_id in articles
    ]
    return SearchResults(hits)


def _readable(
    workspace_id: WorkspaceId, visibilities: Collection[Visibility], locale: Locale | None
) -> list[ColumnElement[bool]]:
    """Chunks of the workspace's published articles the caller may see (joined with Article)."""
    return [ArticleChunk.workspace_id == workspace_id, *_visible(workspace_id, visibilities, locale)]


def _visible(
    workspace_id: WorkspaceId, visibilities: Collection[Visibility], locale: Locale | None
) -> list[ColumnElement[bool]]:
    """The workspace's published articles the caller may see."""
    conditions = [
        Article.workspace_id == workspace_id,
        Article.status == ArticleStatus.PUBLISHED,
        Article.visibility.in_([str(visibility) for visibility in visibilities]),
    ]
    if locale is not None:
        conditions.append(Article.locale == locale)
    return conditions


def _vector(query_vector: list[float]) -> ColumnElement[list[float]]:
    return literal(query_vector, Vector(EMBEDDING_DIM))


def _cosine_distance(query_vector: list[float]) -> ColumnElement[float]:
    return ArticleChunk.embedding.op("<=>", return_type=Float)(_vector(query_vector))


async def use_hnsw_settings(session: AsyncSession) -> None:
    """`SET LOCAL hnsw.ef_search`/`hnsw.iterative_scan` for the rest of the transaction, in one round
    trip (set_config with is_local). Without an iterative scan the index would hand over at most
    ef_search candidates, and those the workspace/visibility/locale/model filters drop are lost."""
    await session.execute(
        select(
            func.set_config("hnsw.ef_search", str(HNSW_EF_SEARCH), true()),
            func.set_config("hnsw.iterative_scan", HNSW_ITERATIVE_SCAN, true()),
        )
    )


async def _dense_leg(
    session: AsyncSession, readable: list[ColumnElement[bool]], query_vector: list[float], model_id: str
) -> list[_LegHit]:
    """The nearest readable chunks, best first. Ordered by the distance alone (the index cannot
    serve a second key); a relaxed-order scan may return them slightly out of order, and ties
    between equal distances are broken by id, here."""
    await use_hnsw_settings(session)
    rows = await session.execute(_dense_query(readable, query_vector, model_id))
    nearest = sorted(rows, key=lambda row: (row.distance, row.id))
    return [_LegHit(ArticleId(row.article_id), row.id, 1.0 - row.distance) for row in nearest]


def _dense_query(
    readable: list[ColumnElement[bool]], query_vector: list[float], model_id: str
) -> Select[int, ArticleId, float]:
    """The limit is written into the statement, not sent as a parameter: a prepared statement's
    generic plan (used after five executions on a connection when it looks cheaper) would otherwise
    guess a tenth of the table for `LIMIT $n` and choose an exact scan over the index."""
    distance = _cosine_distance(query_vector)
    return (
        select(ArticleChunk.id, ArticleChunk.article_id, distance.label("distance"))
        .join(Article, Article.id == ArticleChunk.article_id)
        .where(*readable, ArticleChunk.model_id == model_id, ArticleChunk.embedding.is_not(None))
        .order_by(distance)
        .limit(literal(LEG_DEPTH, literal_execute=True))
    )


async def _lexical_leg(
    session: AsyncSession,
    workspace_id: WorkspaceId,
    visible: list[ColumnElement[bool]],
    query: str,
    locale: Locale | None,
    *,
    budget: int | None = RANK_BUDGET,
) -> list[_LegHit]:
    """knowledge_base.lexical: each article's chunks matched in its configuration; `budget` as there."""
    hits = await lexical_leg(session, workspace_id, visible, query, locale, depth=LEG_DEPTH, budget=budget)
    return [_LegHit(ArticleId(hit.article_id), hit.chunk_id, hit.rank) for hit in hits]


def _details(
    ids: list[ArticleId],
    chunk_ids: list[int],
    missing: list[ArticleId],
    query_vector: list[float] | None,
    model_id: str,
) -> Select[Any, Any, Any, Any, Any, Any, Any]:
    """In one round trip, the fused articles' live titles (the draft's may say what is not published
    yet) and addresses, their best chunk's words, and for those the dense leg did not find (`missing`)
    their best chunk's cosine distance."""
    distance: ColumnElement[Any] = null()
    if query_vector is not None and missing:
        chunk = aliased(ArticleChunk)
        nearest = select(func.min(chunk.embedding.op("<=>", return_type=Float)(_vector(query_vector))))
        nearest = nearest.where(chunk.article_id == Article.id, chunk.model_id == model_id)
        distance = case((Article.id.in_(missing), nearest.scalar_subquery()), else_=null())
    passage = and_(ArticleChunk.article_id == Article.id, ArticleChunk.id.in_(chunk_ids))
    return (
        select(
            Article.id,
            ArticleRevision.title,
            Article.slug,
            Article.locale,
            Article.visibility,
            ArticleChunk.text.label("passage"),
            distance.label("distance"),
        )
        .join(ArticleRevision, ArticleRevision.id == Article.published_revision_id)
        .outerjoin(ArticleChunk, passage)
        .where(Article.id.in_(ids))
    )


def _collapse(leg: Sequence[_LegHit]) -> list[ArticleId]:
    """Articles in the order of their best chunk."""
    return list(dict.fromkeys(hit.article_id for hit in leg))


def _snippet(text: str) -> str:
    if len(text) <= SNIPPET_CHARS:
        return text
    cut = text[:SNIPPET_CHARS].rsplit(" ", 1)[0]
    return cut + "…"
