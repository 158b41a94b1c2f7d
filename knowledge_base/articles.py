"""Articles as editors manage them: create a draft, save it, publish it as an immutable revision,
restore an earlier revision (copied into the draft and published again), change the locale,
visibility or category, delete. Editors and admins only: Permission.EDIT_KNOWLEDGE_BASE."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Permission
from core.db import unique_or
from core.errors import Conflict, InvalidInput, NotFound
from core.ids import ArticleId, CategoryId, WorkspaceId
from knowledge_base.categories import access_category
from knowledge_base.models import Article, ArticleRevision
from knowledge_base.slugs import numbered, slugify
from knowledge_base.validation import ArticleStatus, Locale, Visibility, check_body, check_title


@dataclass(frozen=True)
class ArticleSummary:
    id: ArticleId
    title: str  # the draft's
    slug: str
    locale: Locale
    visibility: Visibility
    status: ArticleStatus
    category_id: CategoryId | None
    draft_updated_at: datetime
    published_number: int | None
    unpublished_changes: bool  # the draft differs from what readers see


@dataclass(frozen=True)
class ArticleFilter:
    locale: Locale | None = None
    visibility: Visibility | None = None
    category_id: CategoryId | None = None
    status: ArticleStatus | None = None


async def create_article(
    session: AsyncSession,
    actor: Actor,
    *,
    title: str,
    body: str,
    locale: Locale,
    visibility: Visibility,
    category_id: CategoryId | None,
    at: datetime,
) -> Article:
    """A draft; publish_article makes it readable."""
    actor.require(Permission.EDIT_KNOWLEDGE_BASE)
    cleaned = check_title(title)
    if category_id is not None:
        await access_category(session, actor, category_id)
    article = Article(
        workspace_id=actor.workspace_id,
        category_id=category_id,
        locale=locale,
        visibility=visibility,
        status=ArticleStatus.DRAFT,
        title=cleaned,
        slug=await _free_slug(session, actor.workspace_id, slugify(cleaned, fallback="article")),
        body_markdown=check_body(body),
        draft_updated_at=at,
    )
    async with unique_or(session, Conflict("Two articles with this title were created at once; try again.")):
        session.add(article)
    return article


async def save_draft(
    session: AsyncSession, actor: Actor, article_id: ArticleId, *, title: str, body: str, at: datetime
) -> Article:
    """Readers keep seeing the published revision until the next publish. The slug stays."""
    article = await access_article(session, actor, article_id, for_update=True)
    cleaned, checked = check_title(title), check_body(body)  # both, before changing anything
    article.title, article.body_markdown, article.draft_updated_at = cleaned, checked, at
    return article


async def change_article(
    session: AsyncSession,
    actor: Actor,
    article_id: ArticleId,
    *,
    locale: Locale,
    visibility: Visibility,
    category_id: CategoryId | None,
) -> Article:
    """Locale, visibility and category belong to the article, not a revision: they apply at once."""
    article = await access_article(session, actor, article_id, for_update=True)
    if category_id is not None:
        await access_category(session, actor, category_id)
    article.locale = locale
    article.visibility = visibility
    article.category_id = category_id
    return article


async def publish_article(
    session: AsyncSession, actor: Actor, article_id: ArticleId, *, at: datetime
) -> ArticleRevision:
    article = await access_article(session, actor, article_id, for_update=True)
    if not article.body_markdown.strip():
        raise InvalidInput("An empty article cannot be published.", field="body")
    number = await session.scalar(
        select(func.coalesce(func.max(ArticleRevision.number), 0) + 1).where(ArticleRevision.article_id == article.id)
    )
    revision = ArticleRevision(
        workspace_id=article.workspace_id,
        article_id=article.id,
        number=number,
        title=article.title,
        body_markdown=article.body_markdown,
        published_at=at,
        published_by=actor.operator_id,
    )
    session.add(revision)
    await session.flush()
    article.published_revision_id = revision.id
    article.status = ArticleStatus.PUBLISHED
    return revision


async def restore_revision(
    session: AsyncSession, actor: Actor, article_id: ArticleId, number: int, *, at: datetime
) -> ArticleRevision:
    """Revision `number`'s text becomes the draft and is published as a new revision."""
    old = await access_revision(session, actor, article_id, number)
    await save_draft(session, actor, article_id, title=old.title, body=old.body_markdown, at=at)
    return await publish_article(session, actor, article_id, at=at)


async def delete_article(session: AsyncSession, actor: Actor, article_id: ArticleId) -> None:
    await session.delete(await access_article(session, actor, article_id, for_update=True))
    await session.flush()


async def list_revisions(session: AsyncSession, actor: Actor, article_id: ArticleId) -> list[ArticleRevision]:
    """Newest first."""
    article = await access_article(session, actor, article_id)
    rows = await session.scalars(
        select(ArticleRevision).where(ArticleRevision.article_id == article.id).order_by(ArticleRevision.number.desc())
    )
    return list(rows)


async def access_revision(session: AsyncSession, actor: Actor, article_id: ArticleId, number: int) -> ArticleRevision:
    article = await access_article(session, actor, article_id)
    revision = await session.scalar(
        select(ArticleRevision).where(ArticleRevision.article_id == article.id, ArticleRevision.number == number)
    )
    if revision is None:
        raise NotFound("This article has no revision {number}.", number=number)
    return revision


async def published_revision(session: AsyncSession, article: Article) -> ArticleRevision | None:
    if article.published_revision_id is None:
        return None
    return await session.scalar(select(ArticleRevision).where(ArticleRevision.id == article.published_revision_id))


async def access_article(
    session: AsyncSession, actor: Actor, article_id: ArticleId, *, for_update: bool = False
) -> Article:
    """The article, if it is the actor's workspace's; another workspace's is 404 like a missing one."""
    actor.require(Permission.EDIT_KNOWLEDGE_BASE)
    query = select(Article).where(Article.id == article_id, Article.workspace_id == actor.workspace_id)
    if for_update:
        query = query.with_for_update()
    article = await session.scalar(query)
    if article is None:
        raise NotFound("No such article.")
    return article


async def list_articles(
    session: AsyncSession, actor: Actor, where: ArticleFilter = ArticleFilter()
) -> list[ArticleSummary]:
    actor.require(Permission.EDIT_KNOWLEDGE_BASE)
    changed = or_(Article.title != ArticleRevision.title, Article.body_markdown != ArticleRevision.body_markdown)
    query = (
        select(Article, ArticleRevision.number, changed)
        .outerjoin(ArticleRevision, ArticleRevision.id == Article.published_revision_id)
        .where(Article.workspace_id == actor.workspace_id)
        .order_by(Article.title, Article.id)
    )
    for column, value in (
        (Article.locale, where.locale),
        (Article.visibility, where.visibility),
        (Article.category_id, where.category_id),
        (Article.status, where.status),
    ):
        if value is not None:
            query = query.where(column == value)
    return [_summary(article, number, bool(differs)) for article, number, differs in await session.execute(query)]


def _summary(article: Article, published_number: int | None, differs: bool) -> ArticleSummary:
    return ArticleSummary(
        id=article.id,
        title=article.title,
        slug=article.slug,
        locale=Locale(article.locale),
        visibility=Visibility(article.visibility),
        status=ArticleStatus(article.status),
        category_id=article.category_id,
        draft_updated_at=article.draft_updated_at,
        published_number=published_number,
        unpublished_changes=published_number is None or differs,
    )


async def _free_slug(session: AsyncSession, workspace_id: WorkspaceId, slug: str) -> str:
    taken = set(
        await session.scalars(
            select(Article.slug).where(Article.workspace_id == workspace_id, Article.slug.startswith(slug))
        )
    )
    return next(candidate for n in range(1, len(taken) + 2) if (candidate := numbered(slug, n)) not in taken)
