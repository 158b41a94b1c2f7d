"""The demo workspace's articles: the same topics in English and Russian, each a well-formed Markdown
article that renders; created and published once, with their categories, however often the demo
starts; and once indexed, the widget question finds the widget article in either language."""

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from core.db import Database
from knowledge_base.demo import ensure_demo_articles, load_demo_articles, parse_demo_article
from knowledge_base.indexing import index_article
from knowledge_base.markdown import plain_text, render_markdown
from knowledge_base.models import Article, ArticleChunk, Category
from knowledge_base.search import search_articles
from knowledge_base.validation import ArticleStatus, Locale, Visibility
from tests.factories import make_workspace
from tests.fakes.embedders import HashingEmbedder

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
BOT = {Visibility.PUBLIC, Visibility.BOT_ONLY}
WIDGET_ARTICLE = "01-chat-widget"


def test_each_locale_has_the_same_topics_as_well_formed_articles() -> None:
    articles = load_demo_articles()
    by_locale = {locale: [a for a in articles if a.locale == locale] for locale in Locale}
    assert {locale: len(found) for locale, found in by_locale.items()} == {Locale.EN: 12, Locale.RU: 12}
    assert [a.name for a in by_locale[Locale.EN]] == [a.name for a in by_locale[Locale.RU]]
    for english, russian in zip(by_locale[Locale.EN], by_locale[Locale.RU], strict=True):
        assert english.visibility == russian.visibility, english.name
    assert len({a.slug for a in articles}) == len(articles)
    for locale, found in by_locale.items():
        assert Counter(a.visibility for a in found) == {
            Visibility.PUBLIC: 10,
            Visibility.BOT_ONLY: 1,
            Visibility.INTERNAL: 1,
        }, locale
    for article in articles:
        words = len(plain_text(article.body, limit=100_000).split())
        assert 150 <= words <= 400, (article.locale, article.name, words)
        html = render_markdown(article.body)
        assert html.count("<h2>") >= 2, article.name
        assert "<!--" not in article.body and not article.body.startswith("# ")


def test_a_demo_file_needs_a_title_and_a_category_and_known_fields_only() -> None:
    parsed = parse_demo_article(
        Locale.EN, "99-x", "# Refunds\n<!-- category: Billing -->\n<!-- visibility: internal -->\n\n## A\n\nText.\n"
    )
    assert (parsed.title, parsed.category, parsed.visibility) == ("Refunds", "Billing", Visibility.INTERNAL)
    assert parsed.body == "## A\n\nText.\n"
    assert parsed.slug == "refunds"
    with pytest.raises(ValueError, match="# Title"):
        parse_demo_article(Locale.EN, "99-x", "Refunds\n<!-- category: Billing -->\n")
    with pytest.raises(ValueError, match="category"):
        parse_demo_article(Locale.EN, "99-x", "# Refunds\n\nText.\n")
    with pytest.raises(ValueError, match="unknown field 'author'"):
        parse_demo_article(Locale.EN, "99-x", "# Refunds\n<!-- category: B -->\n<!-- author: me -->\n")


async def test_ensuring_twice_creates_the_articles_and_their_categories_once(db: Database) -> None:
    demo = load_demo_articles()
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        created = await ensure_demo_articles(tx.session, workspace.id, at=T0)
        assert len(created) == len(demo) == 24
        assert await ensure_demo_articles(tx.session, workspace.id, at=T0) == []

        rows = list(await tx.session.scalars(select(Article).where(Article.workspace_id == workspace.id)))
        assert len(rows) == 24
        assert {row.status for row in rows} == {ArticleStatus.PUBLISHED}
        assert all(row.published_revision_id is not None for row in rows)
        assert Counter(row.locale for row in rows) == {"en": 12, "ru": 12}
        expected = {(a.slug, a.title, str(a.locale), str(a.visibility)) for a in demo}
        assert {(row.slug, row.title, row.locale, row.visibility) for row in rows} == expected

        categories = {
            category.id: category.name
            for category in await tx.session.scalars(select(Category).where(Category.workspace_id == workspace.id))
        }
        assert sorted(categories.values()) == sorted({a.category for a in demo})
        category_of = {a.slug: a.category for a in demo}
        assert all(row.category_id is not None and categories[row.category_id] == category_of[row.slug] for row in rows)


async def test_a_deleted_or_missing_article_is_the_only_one_created_again(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        first = await ensure_demo_articles(tx.session, workspace.id, at=T0)
        gone = await tx.session.scalar(select(Article).where(Article.id == first[0]))
        assert gone is not None
        await tx.session.delete(gone)
        await tx.session.flush()
        [again] = await ensure_demo_articles(tx.session, workspace.id, at=T0)
        article = await tx.session.scalar(select(Article).where(Article.id == again))
        assert article is not None and article.slug == gone.slug
        total = await tx.session.scalar(
            select(func.count()).select_from(Category).where(Category.workspace_id == workspace.id)
        )
        assert total == len({a.category for a in load_demo_articles()})  # categories are reused


@pytest.mark.parametrize(
    ("locale", "question"),
    [(Locale.EN, "how do I install the widget"), (Locale.RU, "как установить виджет на сайт")],
)
async def test_once_indexed_the_widget_question_finds_the_widget_article(
    db: Database, locale: Locale, question: str
) -> None:
    embedder = HashingEmbedder()
    [widget] = [a for a in load_demo_articles() if a.locale == locale and a.name == WIDGET_ARTICLE]
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        for article_id in await ensure_demo_articles(tx.session, workspace.id, at=T0):
            await index_article(tx.session, article_id, embedder)
        chunked = await tx.session.scalar(
            select(func.count(func.distinct(ArticleChunk.article_id))).where(ArticleChunk.workspace_id == workspace.id)
        )
        assert chunked == 24
        results = await search_articles(
            tx.session,
            workspace.id,
            question,
            query_vector=embedder.embed_query(question),
            model_id=embedder.model_id,
            visibilities=BOT,
            locale=locale,
        )
        assert widget.slug in [hit.slug for hit in results.hits[:3]]
        assert results.hits[0].slug == widget.slug
