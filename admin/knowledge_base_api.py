"""The knowledge-base JSON API (docs/knowledge-base-api.md): categories; articles created (published
at once unless `status: "draft"`), listed with filters, changed, deleted; the draft saved, published,
its revisions listed, read and restored; and a Markdown preview rendered by the same sanitiser the
help center uses. Editors and admins: Permission.EDIT_KNOWLEDGE_BASE, by session or API key."""

from __future__ import annotations

from functools import partial

from aiohttp import web
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Permission
from admin.api import json_response
from admin.identity import api_actor
from core.bodies import read_json
from core.db import Transaction
from core.errors import InvalidInput, NotFound
from core.ids import ArticleId, CategoryId
from core.keys import clock_key, database_key, indexer_key
from knowledge_base.articles import (
    ArticleFilter,
    ArticleSummary,
    access_article,
    access_revision,
    change_article,
    create_article,
    delete_article,
    list_articles,
    list_revisions,
    publish_article,
    published_revision,
    restore_revision,
    save_draft,
)
from knowledge_base.categories import change_category, create_category, delete_category, list_categories
from knowledge_base.markdown import render_markdown
from knowledge_base.models import ArticleRevision, Category
from knowledge_base.validation import (
    ArticleStatus,
    Locale,
    Visibility,
    check_body,
    parse_locale,
    parse_status,
    parse_visibility,
)

routes = web.RouteTableDef()
BASE = "/api/v1/knowledge-base"
ARTICLE = BASE + r"/articles/{article_id:\d+}"
CATEGORY = BASE + r"/categories/{category_id:\d+}"
Json = dict[str, object]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CategoryBody(_Body):
    name: str
    position: int | None = None


class CategoryChange(_Body):
    name: str | None = None
    position: int | None = None


class NewArticleBody(_Body):
    title: str
    body: str = ""
    locale: Locale
    visibility: Visibility = Visibility.PUBLIC
    category: int | str | None = None  # an id or a category's slug
    status: ArticleStatus = ArticleStatus.PUBLISHED


class ArticleChange(_Body):
    """Settings apply at once; title and body go into the draft; `status: "published"` publishes it."""

    title: str | None = None
    body: str | None = None
    locale: Locale | None = None
    visibility: Visibility | None = None
    category: int | str | None = None
    status: ArticleStatus | None = None


class DraftBody(_Body):
    title: str
    body: str


class RestoreBody(_Body):
    number: int


class PreviewBody(_Body):
    body: str


def category_json(category: Category) -> Json:
    return {"id": category.id, "name": category.name, "slug": category.slug, "position": category.position}


def summary_json(summary: ArticleSummary) -> Json:
    return {
        "id": summary.id,
        "title": summary.title,
        "slug": summary.slug,
        "locale": summary.locale,
        "visibility": summary.visibility,
        "status": summary.status,
        "category_id": summary.category_id,
        "draft_updated_at": summary.draft_updated_at.isoformat(),
        "published_number": summary.published_number,
        "unpublished_changes": summary.unpublished_changes,
    }


def revision_json(revision: ArticleRevision, *, with_body: bool = False) -> Json:
    view: Json = {
        "number": revision.number,
        "title": revision.title,
        "published_at": revision.published_at.isoformat(),
        "published_by": revision.published_by,
    }
    if with_body:
        view["body"] = revision.body_markdown
    return view


async def article_json(session: AsyncSession, actor: Actor, article_id: ArticleId) -> Json:
    """The editor's view: the draft, the settings, the live revision and the list of revisions."""
    article = await access_article(session, actor, article_id)
    live = await published_revision(session, article)
    return {
        "id": article.id,
        "title": article.title,
        "body": article.body_markdown,
        "slug": article.slug,
        "locale": article.locale,
        "visibility": article.visibility,
        "status": article.status,
        "category_id": article.category_id,
        "draft_updated_at": article.draft_updated_at.isoformat(),
        "published": None if live is None else revision_json(live, with_body=True),
        "url": f"/help/{actor.workspace_slug}/articles/{article.slug}",
        "revisions": [revision_json(r) for r in await list_revisions(session, actor, article_id)],
    }


async def category_id_of(session: AsyncSession, actor: Actor, value: int | str | None) -> CategoryId | None:
    """A category given by id or by slug (the public API accepts either)."""
    if value is None or isinstance(value, int):
        return None if value is None else CategoryId(value)
    for category in await list_categories(session, actor):
        if category.slug == value:
            return category.id
    raise NotFound("No such category.")


def reindex_after_commit(request: web.Request, tx: Transaction, article_id: ArticleId) -> None:
    """Search follows publishes, restores, setting changes and deletes once they commit; the
    indexer embeds in the background, so the editor does not wait for it."""
    tx.on_commit(partial(request.app[indexer_key].article_changed, article_id))


def _article_id(request: web.Request) -> ArticleId:
    return ArticleId(int(request.match_info["article_id"]))


def _category_id(request: web.Request) -> CategoryId:
    return CategoryId(int(request.match_info["category_id"]))


def article_filter(request: web.Request) -> ArticleFilter:
    query = request.query
    category = query.get("category")
    if category is not None and not category.isdigit():
        raise InvalidInput("Give the category as its id.", field="category")
    return ArticleFilter(
        locale=None if "locale" not in query else parse_locale(query["locale"]),
        visibility=None if "visibility" not in query else parse_visibility(query["visibility"]),
        category_id=None if category is None else CategoryId(int(category)),
        status=None if "status" not in query else parse_status(query["status"]),
    )


@routes.get(BASE + "/categories")
async def categories(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        found = await list_categories(tx.session, actor)
        views = [category_json(category) for category in found]
    return json_response({"categories": views})


@routes.post(BASE + "/categories")
async def add_category(request: web.Request) -> web.Response:
    body = await read_json(request, CategoryBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        category = await create_category(tx.session, actor, body.name, position=body.position)
        view = category_json(category)
    return json_response(view, status=201)


@routes.patch(CATEGORY)
async def update_category(request: web.Request) -> web.Response:
    body = await read_json(request, CategoryChange)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        category = await change_category(
            tx.session, actor, _category_id(request), name=body.name, position=body.position
        )
        view = category_json(category)
    return json_response(view)


@routes.delete(CATEGORY)
async def remove_category(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        await delete_category(tx.session, actor, _category_id(request))
    return web.Response(status=204)


@routes.get(BASE + "/articles")
async def articles(request: web.Request) -> web.Response:
    where = article_filter(request)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        summaries = await list_articles(tx.session, actor, where)
    return json_response({"articles": [summary_json(summary) for summary in summaries]})


@routes.post(BASE + "/articles")
async def add_article(request: web.Request) -> web.Response:
    body = await read_json(request, NewArticleBody)
    now = request.app[clock_key].now()
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        article = await create_article(
            tx.session,
            actor,
            title=body.title,
            body=body.body,
            locale=body.locale,
            visibility=body.visibility,
            category_id=await category_id_of(tx.session, actor, body.category),
            at=now,
        )
        if body.status is ArticleStatus.PUBLISHED:
            await publish_article(tx.session, actor, article.id, at=now)
            reindex_after_commit(request, tx, article.id)
        view = await article_json(tx.session, actor, article.id)
    return json_response(view, status=201)


@routes.get(ARTICLE)
async def article(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        view = await article_json(tx.session, actor, _article_id(request))
    return json_response(view)


@routes.patch(ARTICLE)
async def update_article(request: web.Request) -> web.Response:
    body = await read_json(request, ArticleChange)
    now = request.app[clock_key].now()
    article_id = _article_id(request)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        current = await access_article(tx.session, actor, article_id)
        category = current.category_id if "category" not in body.model_fields_set else body.category
        await change_article(
            tx.session,
            actor,
            article_id,
            locale=body.locale or Locale(current.locale),
            visibility=body.visibility or Visibility(current.visibility),
            category_id=await category_id_of(tx.session, actor, category),
        )
        if body.title is not None or body.body is not None:
            title = current.title if body.title is None else body.title
            text = current.body_markdown if body.body is None else body.body
            await save_draft(tx.session, actor, article_id, title=title, body=text, at=now)
        if body.status is ArticleStatus.PUBLISHED:
            await publish_article(tx.session, actor, article_id, at=now)
        reindex_after_commit(request, tx, article_id)  # the locale decides the text-search configuration
        view = await article_json(tx.session, actor, article_id)
    return json_response(view)


@routes.delete(ARTICLE)
async def remove_article(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        await delete_article(tx.session, actor, _article_id(request))
        reindex_after_commit(request, tx, _article_id(request))
    return web.Response(status=204)


@routes.put(ARTICLE + "/draft")
async def change_draft(request: web.Request) -> web.Response:
    body = await read_json(request, DraftBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        article = await save_draft(
            tx.session, actor, _article_id(request), title=body.title, body=body.body, at=request.app[clock_key].now()
        )
        updated_at = article.draft_updated_at.isoformat()
    return json_response({"draft_updated_at": updated_at})


@routes.post(ARTICLE + "/publish")
async def publish(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        revision = await publish_article(tx.session, actor, _article_id(request), at=request.app[clock_key].now())
        reindex_after_commit(request, tx, _article_id(request))
        view = revision_json(revision)
    return json_response({"revision": view})


@routes.get(ARTICLE + "/revisions")
async def revisions(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        found = await list_revisions(tx.session, actor, _article_id(request))
        views = [revision_json(revision) for revision in found]
    return json_response({"revisions": views})


@routes.get(ARTICLE + r"/revisions/{number:\d+}")
async def revision(request: web.Request) -> web.Response:
    number = int(request.match_info["number"])
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        view = revision_json(await access_revision(tx.session, actor, _article_id(request), number), with_body=True)
    return json_response({"revision": view})


@routes.post(ARTICLE + "/restore")
async def restore(request: web.Request) -> web.Response:
    body = await read_json(request, RestoreBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        await restore_revision(tx.session, actor, _article_id(request), body.number, at=request.app[clock_key].now())
        reindex_after_commit(request, tx, _article_id(request))
        view = await article_json(tx.session, actor, _article_id(request))
    return json_response(view)


@routes.post(BASE + "/preview")
async def preview(request: web.Request) -> web.Response:
    """The draft's Markdown as the help center will show it; reads and writes nothing."""
    body = await read_json(request, PreviewBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        actor.require(Permission.EDIT_KNOWLEDGE_BASE)
    return json_response({"html": render_markdown(check_body(body.body))})
