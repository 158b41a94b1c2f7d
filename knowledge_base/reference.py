"""Articles as operators read them while answering a dialog: the workspace's published articles of
every visibility (internal and bot-only ones too), found by the same hybrid search as the bot's and
read in their live revision, rendered as sanitised HTML and as plain text to paste into a reply."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Permission, can
from core.errors import Forbidden, NotFound
from core.ids import ArticleId
from knowledge_base.article_text import article_text
from knowledge_base.markdown import render_markdown
from knowledge_base.models import Article, ArticleRevision
from knowledge_base.search import SearchHit, search_articles
from knowledge_base.validation import ArticleStatus, Locale, Visibility

# Operators answer dialogs, editors write the articles: both may read every visibility.
READERS = (Permission.WORK_INBOX, Permission.EDIT_KNOWLEDGE_BASE)


@dataclass(frozen=True)
class ReferenceHit:
    article_id: ArticleId
    title: str  # the live revision's
    slug: str
    visibility: Visibility
    snippet: str


@dataclass(frozen=True)
class ReferenceArticle:
    article_id: ArticleId
    title: str
    slug: str
    locale: Locale
    visibility: Visibility
    html: str  # sanitised
    text: str  # plain, paragraphs on their own lines


def check_reads_reference(actor: Actor) -> None:
    if not any(can(actor.role, permission) for permission in READERS):
        raise Forbidden("Your role ({role}) does not allow this action.", role=str(actor.role))


async def search_reference(
    session: AsyncSession,
    actor: Actor,
    query: str,
    *,
    query_vector: list[float] | None,
    model_id: str,
    limit: int,
) -> list[ReferenceHit]:
    """Best first; `query_vector` as for knowledge_base.search.search_articles."""
    check_reads_reference(actor)
    found = await search_articles(
        session,
        actor.workspace_id,
        query,
        query_vector=query_vector,
        model_id=model_id,
        visibilities=set(Visibility),
        limit=limit,
    )
    titles = await _live_titles(session, actor, [hit.article_id for hit in found.hits])
    return [_hit(hit, titles) for hit in found.hits if hit.article_id in titles]


async def access_reference_article(session: AsyncSession, actor: Actor, article_id: ArticleId) -> ReferenceArticle:
    """The live revision; a draft-only article, or another workspace's, is 404 like a missing one."""
    check_reads_reference(actor)
    row = (
        await session.execute(
            select(
                Article.slug,
                Article.locale,
                Article.visibility,
                ArticleRevision.title,
                ArticleRevision.body_markdown,
            )
            .join(ArticleRevision, ArticleRevision.id == Article.published_revision_id)
            .where(
                Article.id == article_id,
                Article.workspace_id == actor.workspace_id,
                Article.status == ArticleStatus.PUBLISHED,
            )
        )
    ).first()
    if row is None:
        raise NotFound("No such article.")
    html = render_markdown(row.body_markdown)
    return ReferenceArticle(
        article_id=article_id,
        title=row.title,
        slug=row.slug,
        locale=Locale(row.locale),
        visibility=Visibility(row.visibility),
        html=html,
        text=article_text(html),
    )


async def _live_titles(session: AsyncSession, actor: Actor, ids: list[ArticleId]) -> dict[ArticleId, str]:
    """Search names the draft's title; readers see the live revision's."""
    if not ids:
        return {}
    rows = await session.execute(
        select(Article.id, ArticleRevision.title)
        .join(ArticleRevision, ArticleRevision.id == Article.published_revision_id)
        .where(Article.id.in_(ids), Article.workspace_id == actor.workspace_id)
    )
    return {ArticleId(row.id): row.title for row in rows}


def _hit(hit: SearchHit, titles: dict[ArticleId, str]) -> ReferenceHit:
    return ReferenceHit(
        article_id=hit.article_id,
        title=titles[hit.article_id],
        slug=hit.slug,
        visibility=hit.visibility,
        snippet=hit.snippet,
    )
