"""What the public help center shows, read without login: a workspace's public, published articles
(their live revision) by category, one article rendered, and full-text search with each article's
language configuration. Bot-only, internal and never-published articles are never returned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, case, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import Workspace
from core.errors import NotFound
from core.ids import CategoryId, WorkspaceId
from knowledge_base.categories import workspace_categories
from knowledge_base.markdown import plain_text, render_markdown
from knowledge_base.models import Article, ArticleRevision, Category
from knowledge_base.validation import TEXT_SEARCH_CONFIG, Locale, Visibility

SNIPPET_CHARS = 160
QUERY_MAX = 200
SEARCH_LIMIT = 20


@dataclass(frozen=True)
class ArticleLink:
    slug: str
    title: str
    snippet: str
    locale: Locale


@dataclass(frozen=True)
class Section:
    name: str | None  # None: the articles without a category
    articles: list[ArticleLink]


@dataclass(frozen=True)
class PublicArticle:
    slug: str
    title: str
    html: str  # sanitised
    locale: Locale
    category: str | None
    published_at: datetime


@dataclass(frozen=True)
class HelpWorkspace:
    id: WorkspaceId
    slug: str
    name: str


async def find_help_workspace(session: AsyncSession, slug: str) -> HelpWorkspace:
    row = (
        await session.execute(select(Workspace.id, Workspace.slug, Workspace.name).where(Workspace.slug == slug))
    ).first()
    if row is None:
        raise NotFound("No such help center.")
    return HelpWorkspace(id=row.id, slug=row.slug, name=row.name)


async def help_sections(session: AsyncSession, workspace_id: WorkspaceId, language: str) -> list[Section]:
    """Categories in order with their articles in `language`; in the other language when the
    workspace has none in it. Empty categories are left out; uncategorised articles come last."""
    rows = (await session.execute(_readable(workspace_id).add_columns(Article.category_id))).all()
    in_language = [row for row in rows if row.locale == language]
    chosen = in_language or rows
    by_category: dict[CategoryId | None, list[ArticleLink]] = {}
    for row in sorted(chosen, key=lambda row: row.title.casefold()):
        by_category.setdefault(row.category_id, []).append(_link(row.slug, row.title, row.body, row.locale))
    sections = [
        Section(category.name, by_category[category.id])
        for category in await workspace_categories(session, workspace_id)
        if category.id in by_category
    ]
    if None in by_category:
        sections.append(Section(None, by_category[None]))
    return sections


async def help_article(session: AsyncSession, workspace_id: WorkspaceId, slug: str) -> PublicArticle:
    query = (
        _readable(workspace_id)
        .add_columns(Category.name.label("category"), ArticleRevision.published_at)
        .outerjoin(Category, Category.id == Article.category_id)
        .where(Article.slug == slug)
    )
    row = (await session.execute(query)).first()
    if row is None:
        raise NotFound("No such article.")
    return PublicArticle(
        slug=row.slug,
        title=row.title,
        html=render_markdown(row.body),
        locale=Locale(row.locale),
        category=row.category,
        published_at=row.published_at,
    )


async def search_help_center(
    session: AsyncSession, workspace_id: WorkspaceId, text: str, *, limit: int = SEARCH_LIMIT
) -> list[ArticleLink]:
    """Best first. Each article is matched in its own language's configuration, so "вернуть" finds
    "возврат денег"-style stems in Russian articles and "refunds" finds "refund" in English ones."""
    words = " ".join(text.split())[:QUERY_MAX]
    if not words:
        return []
    config = _search_config()
    document = func.to_tsvector(config, ArticleRevision.title + " " + ArticleRevision.body_markdown)
    query = func.websearch_to_tsquery(config, words)
    rank = func.ts_rank(document, query)
    rows = await session.execute(
        _readable(workspace_id)
        .where(document.op("@@")(query))
        .order_by(rank.desc(), ArticleRevision.title)
        .limit(limit)
    )
    return [_link(row.slug, row.title, row.body, row.locale) for row in rows]


def _readable(workspace_id: WorkspaceId) -> Select[str, str, str, str]:
    """The one definition of what the public may read: public visibility and a live revision."""
    return (
        select(
            Article.slug,
            ArticleRevision.title,
            ArticleRevision.body_markdown.label("body"),
            Article.locale,
        )
        .join(ArticleRevision, ArticleRevision.id == Article.published_revision_id)
        .where(Article.workspace_id == workspace_id, Article.visibility == Visibility.PUBLIC)
    )


def _search_config() -> ColumnElement[str]:
    whens: list[tuple[ColumnElement[bool], ColumnElement[str]]] = [
        (Article.locale == locale.value, literal_column(f"'{config}'::regconfig"))
        for locale, config in TEXT_SEARCH_CONFIG.items()
    ]
    return case(*whens, else_=literal_column("'simple'::regconfig"))


def _link(slug: str, title: str, body: str, locale: str) -> ArticleLink:
    return ArticleLink(slug=slug, title=title, snippet=plain_text(body, limit=SNIPPET_CHARS), locale=Locale(locale))
