"""The lexical leg of knowledge_base.search, as measured in ../shared/RETRIEVAL.md: the query's words
OR-ed (`plainto_tsquery`'s stems, never re-parsed), each article matched in its own text-search
configuration, chunks ranked by `ts_rank(tsv, query, 1)`, the best `depth` kept.

Ranking reads each ranked chunk's tsvector (kept in the row, not in TOAST: `tsv` has STORAGE MAIN),
so its cost grows with the matches: in a workspace of 100k chunks a common word alone matches a
quarter of them, and ranking every match took seconds. So:
- a workspace of at most RANK_BUDGET chunks (counted, not estimated) ranks every match, as measured;
- a larger one ranks only the chunks matching the query's rarer words: its words, rarest first, while
  their estimated matches in the workspace add up to at most RANK_BUDGET (the rarest word always),
  still ranked by all the words. A chunk matching only the commoner words is left out: ts_rank has no
  inverse document frequency and would rank it by how often it repeats them. The estimates are the
  planner's statistics (pg_stats, kept by ANALYZE): a word's share of all chunks, times the
  workspace's estimated chunks; a word too rare to be listed counts half the rarest listed one (as
  the planner counts it). Without statistics (never analysed) every match is ranked. If the rarer
  words find fewer than `depth` chunks (a word the workspace does not have looks rare), the other
  words' chunks are ranked too, up to the cap;
- whatever the estimates say, a large workspace ranks at most RANK_CAP chunks a statement (a guard
  against words all common or statistics out of date: which ones is up to the index), and looks up
  the articles of the best ones only.
Statements carry their text-search queries and limits inline, constants to the planner: a prepared
statement's generic plan would guess how many chunks a query matches."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Row,
    Select,
    SQLColumnExpression,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Integer, String

from core.ids import WorkspaceId
from knowledge_base.models import Article, ArticleChunk
from knowledge_base.validation import TEXT_SEARCH_CONFIG, Locale

RANK_BUDGET = 3_000  # chunks a large workspace's query is meant to rank at most (estimated)
RANK_CAP = 6_000  # chunks it ranks at most, whatever the estimates
# An OR-ed tsquery's item: a quoted lexeme, its quotes doubled and backslashes escaped.
_ITEM = re.compile(r"'(?:[^'\\]|''|\\.)*'")


@dataclass(frozen=True)
class LexicalHit:
    chunk_id: int
    article_id: int
    rank: float


async def lexical_leg(
    session: AsyncSession,
    workspace_id: WorkspaceId,
    visible: list[ColumnElement[bool]],
    query: str,
    locale: Locale | None,
    *,
    depth: int,
    budget: int | None = RANK_BUDGET,
    cap: int = RANK_CAP,
) -> list[LexicalHit]:
    """The best matching chunks of the workspace's articles that pass `visible` (conditions on
    Article), best first (rank, then id). `budget` None ranks every match, as a small workspace does;
    a large one ranks at most `cap` chunks a statement."""
    configs = {known: config for known, config in TEXT_SEARCH_CONFIG.items() if locale in (None, known)}
    if not configs:
        return []
    probe = 0 if budget is None else budget + 1
    params = {"query": query, "workspace": workspace_id, "probe": probe, "configs": list(configs.values())}
    chunks, statistics, texts = (await session.execute(_PROBE, params)).one()
    queries = {known: text for known, text in zip(configs, texts, strict=True) if text}
    if not queries:  # stop words only: nothing matches
        return []
    if budget is None or chunks <= budget:
        readable = [ArticleChunk.workspace_id == _inline(workspace_id), *visible]
        return _hits(await session.execute(_ranking(readable, queries, depth)))
    estimates = None if statistics is None else _estimates(json.loads(statistics), workspace_id)
    rarer = {known: _rarest(text, estimates, budget) for known, text in queries.items()}
    hits = _hits(await session.execute(_capped_ranking(workspace_id, visible, queries, rarer, depth, cap)))
    commoner = {known: rest for known, text in rarer.items() if (rest := _rest(queries[known], text))}
    if len(hits) < depth and commoner:  # the rarer words are rarer than estimated (not in the workspace at all)
        more = _hits(await session.execute(_capped_ranking(workspace_id, visible, queries, commoner, depth, cap)))
        hits = sorted({hit.chunk_id: hit for hit in [*hits, *more]}.values(), key=lambda hit: (-hit.rank, hit.chunk_id))
    return hits[:depth]


def _hits(rows: Iterable[Row[Any]]) -> list[LexicalHit]:
    return [LexicalHit(row.id, row.article_id, float(row.rank)) for row in rows]


# One round trip: the workspace's chunks counted up to :probe (cheap; a small workspace's are all
# ranked); the planner's statistics for the query's words (only when there are more chunks); the
# query's OR-ed tsquery text in each configuration ('' without a word to search).
_PROBE = text("""
    WITH probe AS (
        SELECT count(*) AS chunks FROM (SELECT FROM kb_chunks WHERE workspace_id = :workspace LIMIT :probe) s
    ), config AS (
        SELECT CAST(name AS regconfig) AS config, n FROM unnest(CAST(:configs AS text[])) WITH ORDINALITY AS c(name, n)
    )
    SELECT probe.chunks, CASE WHEN probe.chunks >= :probe AND :probe > 0 THEN (
        SELECT json_build_object(
            'chunks', (SELECT reltuples FROM pg_class WHERE oid = CAST('kb_chunks' AS regclass)),
            'workspaces', w.most_common_vals::text::bigint[], 'shares', w.most_common_freqs,
            'distinct', w.n_distinct, 'nulls', w.null_frac,
            'rarest_listed', t.most_common_elem_freqs[array_length(t.most_common_elem_freqs, 1) - 2],
            'listed', (SELECT json_object_agg(u.lexeme, u.frequency)
                       FROM unnest(t.most_common_elems::text::text[], t.most_common_elem_freqs) AS u(lexeme, frequency)
                       WHERE u.lexeme IN (SELECT unnest(tsvector_to_array(to_tsvector(config, :query))) FROM config))
        )::text
        FROM pg_stats w, pg_stats t
        WHERE (w.schemaname, w.tablename, w.attname) = (current_schema(), 'kb_chunks', 'workspace_id')
        AND (t.schemaname, t.tablename, t.attname) = (current_schema(), 'kb_chunks', 'tsv')
        AND NOT w.inherited AND NOT t.inherited
    ) END,
    ARRAY(SELECT replace(plainto_tsquery(config, :query)::text, ' & ', ' | ') FROM config ORDER BY n)
    FROM probe
""").bindparams(*(bindparam(name, type_=Integer, literal_execute=True) for name in ("workspace", "probe")))  # fmt: skip


def _estimates(statistics: dict[str, Any], workspace_id: WorkspaceId) -> dict[str, float]:
    """The query's listed words' estimated matches in the workspace, and under "" any other word's:
    the word's share of the chunks times the planner's estimate of the workspace's chunks (its share
    if among the most common values, else an equal share of what those leave)."""
    workspaces, shares = statistics["workspaces"] or [], statistics["shares"] or []
    if workspace_id in workspaces:
        share = shares[workspaces.index(workspace_id)]
    else:
        distinct = statistics["distinct"]
        others = (distinct if distinct > 0 else -distinct * statistics["chunks"]) - len(workspaces)
        share = max(0.0, 1.0 - sum(shares) - statistics["nulls"]) / others if others >= 1 else 0.0
    chunks = statistics["chunks"] * share
    listed = statistics["listed"] or {}
    return {"": chunks * (statistics["rarest_listed"] or 0.0) / 2} | {w: chunks * f for w, f in listed.items()}


def _rarest(or_text: str, estimates: Mapping[str, float] | None, budget: int) -> str:
    """The OR-ed query's items whose estimated matches, rarest first, add up to at most `budget` (the
    rarest one always), in the query's order; the whole query without estimates or if it is not a
    plain OR of quoted lexemes."""
    items = list(dict.fromkeys(or_text.split(" | ")))
    if estimates is None or not all(_ITEM.fullmatch(item) for item in items):
        return or_text
    matches = {item: estimates.get(_unquote(item), estimates[""]) for item in items}
    kept: set[str] = set()
    total = 0.0
    for item in sorted(items, key=matches.__getitem__):
        total += matches[item]
        if kept and total > budget:
            break
        kept.add(item)
    return " | ".join(item for item in items if item in kept)


def _rest(or_text: str, kept: str) -> str:
    """The OR-ed query's items not in `kept`, in the query's order."""
    left_out = set(kept.split(" | "))
    return " | ".join(item for item in dict.fromkeys(or_text.split(" | ")) if item not in left_out)


def _unquote(item: str) -> str:
    return re.sub(r"''|\\(.)", lambda match: match.group(1) or "'", item[1:-1])


def _inline(value: str | int) -> ColumnElement[Any]:
    """A constant written into the statement (the planner sees it), escaped by SQLAlchemy."""
    if isinstance(value, int):
        return literal(value, literal_execute=True)
    return literal(value, String, literal_execute=True)


def _ranking(readable: list[ColumnElement[bool]], queries: dict[Locale, str], depth: int) -> Select[Any, Any, Any]:
    """Every readable chunk matching the query in its article's configuration, ranked."""
    rank = _rank(Article.locale, ArticleChunk.tsv, queries)
    return (
        select(ArticleChunk.id, ArticleChunk.article_id, rank.label("rank"))
        .join(Article, Article.id == ArticleChunk.article_id)
        .where(*readable, _matches(Article.locale, ArticleChunk.tsv, queries))
        .order_by(rank.desc(), ArticleChunk.id)
        .limit(_inline(depth))
    )


def _capped_ranking(
    workspace_id: WorkspaceId,
    visible: list[ColumnElement[bool]],
    ranked_by: dict[Locale, str],
    matching: dict[Locale, str],
    depth: int,
    cap: int,
) -> Select[Any, Any, Any]:
    """At most `cap` of the workspace's chunks matching `matching` in any configuration (the GIN
    index finds them, in no particular order), then each one's article looked up by its key (OFFSET
    0 keeps the planner from scanning the workspace's articles instead). With one query for every
    configuration (any query of ASCII words) the chunks are ranked first and only the best ones'
    articles looked up; else each chunk's article tells its configuration, hence its query."""
    union = " | ".join(dict.fromkeys(" | ".join(matching.values()).split(" | ")))
    matched = (ArticleChunk.workspace_id == _inline(workspace_id), ArticleChunk.tsv.op("@@")(_tsquery(union)))
    if len({*ranked_by.values()}) == 1 and len({*matching.values()}) == 1:
        rank = func.ts_rank(ArticleChunk.tsv, _tsquery(next(iter(ranked_by.values()))), 1).label("rank")
        candidate = select(ArticleChunk.id, ArticleChunk.article_id, rank).where(*matched).limit(_inline(cap))
        best = candidate.subquery("candidate")
        best = select(best).order_by(best.c.rank.desc(), best.c.id).limit(_inline(cap)).subquery("best")
        locales = [str(known) for known in matching]
        article = select(literal(1)).where(Article.id == best.c.article_id, Article.locale.in_(locales), *visible)
        return (
            select(best.c.id, best.c.article_id, best.c.rank)
            .select_from(best.join(article.offset(_inline(0)).lateral("article"), true()))
            .order_by(best.c.rank.desc(), best.c.id)
            .limit(_inline(depth))
        )
    found = select(ArticleChunk.id, ArticleChunk.article_id, ArticleChunk.tsv).where(*matched)
    chunk = found.limit(_inline(cap)).subquery("candidate")
    locale = select(Article.locale).where(Article.id == chunk.c.article_id, *visible).offset(_inline(0))
    lateral = locale.lateral("article")
    by_locale = _rank(lateral.c.locale, chunk.c.tsv, ranked_by)
    return (
        select(chunk.c.id, chunk.c.article_id, by_locale.label("rank"))
        .select_from(chunk.join(lateral, true()))
        .where(_matches(lateral.c.locale, chunk.c.tsv, matching))
        .order_by(by_locale.desc(), chunk.c.id)
        .limit(_inline(depth))
    )


def _tsquery(or_text: str) -> ColumnElement[str]:
    return cast(_inline(or_text), TSQUERY)


def _matches(
    locale: SQLColumnExpression[str], tsv: SQLColumnExpression[Any], queries: dict[Locale, str]
) -> ColumnElement[bool]:
    return or_(false(), *(and_(locale == known, tsv.op("@@")(_tsquery(q))) for known, q in queries.items()))


def _rank(
    locale: SQLColumnExpression[str], tsv: SQLColumnExpression[Any], queries: dict[Locale, str]
) -> ColumnElement[float]:
    ranks = ((locale == known, func.ts_rank(tsv, _tsquery(q), 1)) for known, q in queries.items())
    return case(*ranks, else_=literal(0.0, Float))
