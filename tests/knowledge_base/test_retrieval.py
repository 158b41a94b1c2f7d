"""Indexing and hybrid search: unchanged text is never embedded again, stale chunks go, only
published articles have chunks; search is confined to the workspace and the visibilities asked for,
finds lexical-only and dense-only matches, and fuses the legs with the weights measured."""

import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Role
from core.db import Database
from core.ids import ArticleId
from knowledge_base.articles import change_article, create_article, delete_article, publish_article, save_draft
from knowledge_base.indexing import Indexer, index_article, sync_chunks
from knowledge_base.models import ArticleChunk
from knowledge_base.search import SearchResults, fuse, search_articles
from knowledge_base.validation import Locale, Visibility
from tests.factories import make_actor
from tests.fakes.embedders import HashingEmbedder

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
BOT = {Visibility.PUBLIC, Visibility.BOT_ONLY}
PUBLIC = {Visibility.PUBLIC}
LONG = " ".join(f"word{n}" for n in range(400))


async def published(
    session: AsyncSession,
    actor: Actor,
    embedder: HashingEmbedder,
    title: str,
    body: str,
    *,
    visibility: Visibility = Visibility.PUBLIC,
    locale: Locale = Locale.EN,
) -> ArticleId:
    article = await create_article(
        session, actor, title=title, body=body, locale=locale, visibility=visibility, category_id=None, at=T0
    )
    await publish_article(session, actor, article.id, at=T0)
    await index_article(session, article.id, embedder)
    return article.id


async def chunk_rows(session: AsyncSession, article_id: ArticleId) -> list[ArticleChunk]:
    rows = await session.scalars(
        select(ArticleChunk).where(ArticleChunk.article_id == article_id).order_by(ArticleChunk.position)
    )
    return list(rows)


async def find(
    session: AsyncSession,
    actor: Actor,
    embedder: HashingEmbedder,
    query: str,
    visibilities: set[Visibility] = BOT,
    locale: Locale | None = None,
) -> SearchResults:
    return await search_articles(
        session,
        actor.workspace_id,
        query,
        query_vector=embedder.embed_query(query),
        model_id=embedder.model_id,
        visibilities=visibilities,
        locale=locale,
    )


async def test_reindexing_unchanged_text_embeds_nothing_and_edits_embed_only_what_changed(db: Database) -> None:
    embedder = HashingEmbedder()
    async with db.transaction() as tx:
        editor = await make_actor(tx.session, role=Role.EDITOR)
        article_id = await published(tx.session, editor, embedder, "Long guide", LONG)
        first = await chunk_rows(tx.session, article_id)
        assert len(first) == 4 and embedder.passages_embedded == 4
        assert all(row.embedding is not None and row.model_id == "hashing-test" for row in first)

        assert await index_article(tx.session, article_id, embedder) == 0
        await publish_article(tx.session, editor, article_id, at=T0)  # a new revision, the same text
        assert await index_article(tx.session, article_id, embedder) == 0
        assert embedder.passages_embedded == 4
        assert {row.id for row in await chunk_rows(tx.session, article_id)} == {row.id for row in first}

        await save_draft(tx.session, editor, article_id, title="Long guide", body=LONG + " appendix", at=T0)
        await publish_article(tx.session, editor, article_id, at=T0)
        assert await index_article(tx.session, article_id, embedder) == 1  # only the last chunk changed
        after = await chunk_rows(tx.session, article_id)
        assert [row.id for row in after[:3]] == [row.id for row in first[:3]]
        assert after[3].id != first[3].id and after[3].text.endswith("appendix")
        assert {row.revision_number for row in after} == {3}

        other_model = HashingEmbedder(model_id="another-model")  # a model change re-embeds everything
        assert await index_article(tx.session, article_id, other_model) == 4


async def test_stale_chunks_go_and_only_the_live_revision_is_indexed(db: Database) -> None:
    embedder = HashingEmbedder()
    async with db.transaction() as tx:
        editor = await make_actor(tx.session, role=Role.EDITOR)
        article_id = await published(tx.session, editor, embedder, "Refunds", "Within fourteen days.")
        await save_draft(tx.session, editor, article_id, title="Refunds", body="Within thirty days.", at=T0)
        await index_article(tx.session, article_id, embedder)  # a draft does not change the chunks
        [chunk] = await chunk_rows(tx.session, article_id)
        assert chunk.text == "Within fourteen days."

        await publish_article(tx.session, editor, article_id, at=T0)
        await index_article(tx.session, article_id, embedder)
        assert [row.text for row in await chunk_rows(tx.session, article_id)] == ["Within thirty days."]
        lexical = await search_articles(
            tx.session, editor.workspace_id, "fourteen", query_vector=None, model_id="x", visibilities=PUBLIC
        )
        assert lexical.hits == []

        draft = await create_article(
            tx.session, editor, title="Draft", body="Fourteen.", locale=Locale.EN, visibility=Visibility.PUBLIC,
            category_id=None, at=T0,
        )  # fmt: skip
        await index_article(tx.session, draft.id, embedder)
        assert await chunk_rows(tx.session, draft.id) == []

        await delete_article(tx.session, editor, article_id)
        assert (await sync_chunks(tx.session, article_id)).removed == 0  # the cascade took them
        total = await tx.session.scalar(select(func.count()).select_from(ArticleChunk))
        assert total == 0


async def test_search_sees_only_the_visibilities_asked_for_and_never_another_workspace(db: Database) -> None:
    embedder = HashingEmbedder()
    async with db.transaction() as tx:
        editor = await make_actor(tx.session, role=Role.EDITOR)
        stranger = await make_actor(tx.session, role=Role.EDITOR)
        public = await published(tx.session, editor, embedder, "Refund policy", "Refunds within 14 days.")
        bot_only = await published(
            tx.session, editor, embedder, "Refund exceptions", "Refund of gift cards.", visibility=Visibility.BOT_ONLY
        )
        await published(
            tx.session, editor, embedder, "Refund approvals", "Refund needs a manager.", visibility=Visibility.INTERNAL
        )
        await published(tx.session, stranger, embedder, "Refund elsewhere", "Refund refund refund.")

        bot = await find(tx.session, editor, embedder, "refund")
        assert {hit.article_id for hit in bot.hits} == {public, bot_only}
        api = await find(tx.session, editor, embedder, "refund", PUBLIC)
        assert [hit.article_id for hit in api.hits] == [public]

        await change_article(
            tx.session, editor, public, locale=Locale.EN, visibility=Visibility.INTERNAL, category_id=None
        )
        assert (await find(tx.session, editor, embedder, "refund", PUBLIC)).hits == []  # at once, no re-index


async def test_each_article_is_matched_in_its_own_language_and_locale_filters(db: Database) -> None:
    embedder = HashingEmbedder()
    async with db.transaction() as tx:
        editor = await make_actor(tx.session, role=Role.EDITOR)
        russian = await published(
            tx.session, editor, embedder, "Возврат денег", "Деньги возвращаются в течение 14 дней.", locale=Locale.RU
        )
        english = await published(tx.session, editor, embedder, "Refunds", "Money is refunded within 14 days.")
        hits = (await find(tx.session, editor, embedder, "как вернуть деньги?", locale=Locale.RU)).hits
        assert [hit.article_id for hit in hits] == [russian]  # "деньги" stems to the article's "деньг"
        hits = (await find(tx.session, editor, embedder, "refunding", locale=Locale.EN)).hits
        assert [hit.article_id for hit in hits] == [english]  # english stemming: refunding ~ refunded


async def test_fusion_finds_lexical_only_and_dense_only_matches_and_ranks_both_legs_first(db: Database) -> None:
    embedder = HashingEmbedder(synonyms={"reimbursement": "refund"})
    async with db.transaction() as tx:
        editor = await make_actor(tx.session, role=Role.EDITOR)
        both = await published(tx.session, editor, embedder, "Refund", "Refund policy: refund within 14 days.")
        dense_only = await published(tx.session, editor, embedder, "Money back", "Refund refund refund.")
        unembedded = await create_article(
            tx.session, editor, title="Reimbursement forms", body="Forms for expenses.", locale=Locale.EN,
            visibility=Visibility.PUBLIC, category_id=None, at=T0,
        )  # fmt: skip
        await publish_article(tx.session, editor, unembedded.id, at=T0)
        await sync_chunks(tx.session, unembedded.id)  # chunked, not embedded yet: the lexical leg alone

        results = await find(tx.session, editor, embedder, "reimbursement")
        ids = [hit.article_id for hit in results.hits]
        assert set(ids) == {both, dense_only, unembedded.id}
        assert ids[-1] == unembedded.id  # one lexical rank is worth half a dense one
        scores = {hit.article_id: hit for hit in results.hits}
        assert scores[unembedded.id].dense_cosine is None
        assert results.top_cosine is not None and 0.5 < results.top_cosine <= 1.0

        mixed = await find(tx.session, editor, embedder, "refund policy")
        assert mixed.hits[0].article_id == both  # first in both legs
        assert mixed.hits[0].score == 1.0 / 61 + 0.5 / 61
        assert "Refund policy" in mixed.hits[0].snippet

        lexical_only = await search_articles(
            tx.session, editor.workspace_id, "forms", query_vector=None, model_id="x", visibilities=BOT
        )
        assert [hit.article_id for hit in lexical_only.hits] == [unembedded.id]


def test_fusion_weights_a_dense_rank_twice_a_lexical_one() -> None:
    a, b, c = ArticleId(1), ArticleId(2), ArticleId(3)
    fused = fuse(dense=[a, b], lexical=[c, b])
    assert [article for article, _ in fused] == [b, a, c]
    assert dict(fused)[b] == 1.0 / 62 + 0.5 / 62
    assert fuse([], []) == []


async def test_the_indexer_logs_a_failing_embedder_and_search_still_finds_the_text(db: Database) -> None:
    embedder = HashingEmbedder()
    embedder.failing = True
    indexer = Indexer(db, embedder, background=False)
    async with db.transaction() as tx:
        editor = await make_actor(tx.session, role=Role.EDITOR)
        article = await create_article(
            tx.session, editor, title="Refunds", body="Within 14 days.", locale=Locale.EN,
            visibility=Visibility.PUBLIC, category_id=None, at=T0,
        )  # fmt: skip
        await publish_article(tx.session, editor, article.id, at=T0)
    await indexer.article_changed(article.id)  # logged, not raised
    async with db.transaction() as tx:
        [chunk] = await chunk_rows(tx.session, article.id)
        assert chunk.embedding is None
        found = await search_articles(
            tx.session, editor.workspace_id, "refunds", query_vector=None, model_id="x", visibilities=PUBLIC
        )
        assert [hit.article_id for hit in found.hits] == [article.id]
    embedder.failing = False
    await indexer.article_changed(article.id)
    async with db.transaction() as tx:
        [chunk] = await chunk_rows(tx.session, article.id)
        assert chunk.embedding is not None


async def test_the_background_indexer_catches_up_on_start_and_follows_requests(db: Database) -> None:
    embedder = HashingEmbedder()
    async with db.transaction() as tx:
        editor = await make_actor(tx.session, role=Role.EDITOR)
        article = await create_article(
            tx.session, editor, title="Refunds", body="Within 14 days.", locale=Locale.EN,
            visibility=Visibility.PUBLIC, category_id=None, at=T0,
        )  # fmt: skip
        await publish_article(tx.session, editor, article.id, at=T0)
    indexer = Indexer(db, embedder, background=True)
    worker = asyncio.create_task(indexer.run())
    try:
        # One connection is shared: the test touches the database only while the worker is idle.
        await asyncio.wait_for(indexer.idle.wait(), timeout=30)
        assert embedder.passages_embedded == 1
        async with db.transaction() as tx:
            await save_draft(tx.session, editor, article.id, title="Refunds", body="Within 30 days.", at=T0)
            await publish_article(tx.session, editor, article.id, at=T0)
        await indexer.article_changed(article.id)
        await asyncio.wait_for(indexer.idle.wait(), timeout=30)
        assert embedder.passages_embedded == 2
        async with db.transaction() as tx:
            assert [row.text for row in await chunk_rows(tx.session, article.id)] == ["Within 30 days."]
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)


async def test_hits_carry_the_published_title_not_the_drafts(db: Database) -> None:
    embedder = HashingEmbedder()
    async with db.transaction() as tx:
        editor = await make_actor(tx.session, role=Role.EDITOR)
        article_id = await published(tx.session, editor, embedder, "Refunds", "Money back within 14 days.")
        await save_draft(tx.session, editor, article_id, title="Secret new refund rules", body="Unpublished.", at=T0)
        results = await find(tx.session, editor, embedder, "money back")
    assert [hit.title for hit in results.hits] == ["Refunds"]
