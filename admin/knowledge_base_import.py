"""Importing articles, from the Knowledge base page's forms and the JSON API: several Markdown files
uploaded at once (each becomes an article in a savepoint of its own, so a refused file loses nothing
of the others), or one HTML page by URL, downloaded with no transaction open, converted to Markdown
and created as a draft for review. Editors and admins: Permission.EDIT_KNOWLEDGE_BASE."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from aiohttp_session import get_session
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.models import Workspace
from accounts.roles import Permission
from admin.api import json_response
from admin.forms import FormData, submit_and_return, text_field
from admin.identity import api_actor, open_workspace
from admin.knowledge_base_api import article_json, category_id_of, reindex_after_commit
from admin.page_download import check_page_url, download_page
from admin.rendering import flash, render_shell
from core.bodies import read_json
from core.db import Transaction
from core.errors import DomainError, Forbidden, InvalidInput, NotFound, Unauthenticated
from core.i18n import gettext
from core.ids import ArticleId, CategoryId
from core.keys import clock_key, database_key, settings_key
from knowledge_base.articles import create_article, publish_article
from knowledge_base.categories import access_category
from knowledge_base.importing import MAX_FILES, article_from_html, article_from_markdown_file
from knowledge_base.validation import Locale, Visibility, parse_locale, parse_visibility

routes = web.RouteTableDef()
API = "/api/v1/knowledge-base/import"
PAGE = "/w/{slug}/knowledge-base"
WhoActs = Callable[[AsyncSession], Awaitable[Actor]]


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


@dataclass(frozen=True)
class Choices:
    """What every imported article gets; `category` is an id, or (API) a category's slug."""

    locale: Locale
    visibility: Visibility
    category: int | str | None
    publish: bool


@dataclass(frozen=True)
class Outcome:
    file_name: str
    article_id: ArticleId | None = None
    title: str = ""
    published: bool = False
    error: DomainError | None = None


class UrlImportBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    locale: Locale
    visibility: Visibility = Visibility.PUBLIC
    category: int | str | None = None


def import_limits(app: web.Application) -> dict[str, int]:
    """For the import form's own check before sending: files at once, bytes in one request."""
    return {"files": MAX_FILES, "bytes": app[settings_key].http.max_body_bytes}


def choices_from_form(form: FormData) -> Choices:
    category = text_field(form, "category").strip()
    return Choices(
        locale=parse_locale(text_field(form, "locale")),
        visibility=parse_visibility(text_field(form, "visibility") or Visibility.PUBLIC),
        category=int(category) if category.isdigit() else category or None,
        publish=text_field(form, "publish").lower() in ("1", "true", "on", "yes"),
    )


async def uploads_of(form: FormData) -> list[Upload]:
    """The `files` parts (`file` too, for API clients), at most MAX_FILES. The app's body size limit
    applies to the whole upload (aiohttp refuses a bigger body with 413 while parsing it)."""
    fields = [part for name in ("files", "file") for part in form.getall(name, []) if isinstance(part, web.FileField)]
    fields = [part for part in fields if part.filename]  # a form submitted with no file chosen sends one unnamed
    if not fields:
        raise InvalidInput("Choose one or more .md files to import.", field="files")
    if len(fields) > MAX_FILES:
        raise InvalidInput("Import at most {limit} files at once.", limit=MAX_FILES, field="files")
    # aiohttp spooled each part to a temporary file while parsing; read them off the event loop.
    return await asyncio.to_thread(lambda: [Upload(part.filename, part.file.read()) for part in fields])


async def import_markdown(
    tx: Transaction, actor: Actor, uploads: Sequence[Upload], choices: Choices, *, at: datetime
) -> list[Outcome]:
    """One outcome per upload, in order. A file is created (and published, if asked) in a savepoint:
    one that is refused, even by the database, is rolled back alone."""
    actor.require(Permission.EDIT_KNOWLEDGE_BASE)
    category_id = await _category(tx.session, actor, choices)  # checked once: a bad one refuses the request
    outcomes: list[Outcome] = []
    for upload in uploads:
        try:
            parsed = article_from_markdown_file(upload.name, upload.data)
            async with tx.session.begin_nested():
                article = await create_article(
                    tx.session,
                    actor,
                    title=parsed.title,
                    body=parsed.body,
                    locale=choices.locale,
                    visibility=choices.visibility,
                    category_id=category_id,
                    at=at,
                )
                if choices.publish:
                    await publish_article(tx.session, actor, article.id, at=at)
        except (Unauthenticated, Forbidden, NotFound):
            raise
        except DomainError as error:
            outcomes.append(Outcome(upload.name, error=error))
            continue
        outcomes.append(Outcome(upload.name, article.id, article.title, published=choices.publish))
    return outcomes


async def import_page(request: web.Request, who: WhoActs, url: str, choices: Choices) -> ArticleId:
    """Read the workspace's setting and close; download and convert; then create the draft."""
    url = check_page_url(url)
    async with request.app[database_key].transaction() as tx:
        actor = await who(tx.session)
        actor.require(Permission.EDIT_KNOWLEDGE_BASE)
        await _category(tx.session, actor, choices)  # refuse a bad choice before the download
        allow_private = await tx.session.scalar(
            select(Workspace.allow_private_webhooks).where(Workspace.id == actor.workspace_id)
        )
    page = await download_page(url, allow_private=bool(allow_private))
    parsed = await asyncio.to_thread(article_from_html, page.body, url=page.url, encoding=page.charset)
    async with request.app[database_key].transaction() as tx:
        actor = await who(tx.session)
        article = await create_article(
            tx.session,
            actor,
            title=parsed.title,
            body=parsed.body,
            locale=choices.locale,
            visibility=choices.visibility,
            category_id=await category_id_of(tx.session, actor, choices.category),
            at=request.app[clock_key].now(),
        )
    return article.id


@routes.post(PAGE + "/import/markdown")
async def import_markdown_form(request: web.Request) -> web.StreamResponse:
    """The outcome of each file on a page of its own; an error about the whole form goes back to
    the Knowledge base page."""
    form = await request.post()
    back = f"/w/{request.match_info['slug']}/knowledge-base"
    try:
        choices, uploads = choices_from_form(form), await uploads_of(form)
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            outcomes = await import_markdown(tx, visit.actor, uploads, choices, at=request.app[clock_key].now())
            _reindex_published(request, tx, outcomes)
    except (Unauthenticated, NotFound):
        raise
    except DomainError as error:
        flash(await get_session(request), error.translated(gettext), kind="error")
        raise web.HTTPSeeOther(back) from None
    context = {
        "rows": [(o, None if o.error is None else o.error.translated(gettext)) for o in outcomes],
        "created": sum(1 for outcome in outcomes if outcome.article_id is not None),
    }
    return await render_shell(request, "knowledge_base_import.html", visit, "knowledge-base", context)


@routes.post(PAGE + "/import/url")
async def import_url_form(request: web.Request) -> web.StreamResponse:
    """On success the editor lands on the new draft; an error is shown on the Knowledge base page."""

    async def run(form: FormData) -> None:
        async def who(session: AsyncSession) -> Actor:
            return (await open_workspace(request, session)).actor

        article_id = await import_page(request, who, text_field(form, "url"), choices_from_form(form))
        raise web.HTTPSeeOther(f"/w/{request.match_info['slug']}/knowledge-base/articles/{article_id}")

    return await submit_and_return(request, f"/w/{request.match_info['slug']}/knowledge-base", run)


@routes.post(API + "/markdown")
async def import_markdown_api(request: web.Request) -> web.Response:
    """201 `{articles, refused}`; 400 with the refusals in `details` when no file could be imported."""
    if not request.content_type.startswith("multipart/"):
        raise InvalidInput("Send the files as multipart/form-data in fields named files.", field="files")
    form = await request.post()
    choices, uploads = choices_from_form(form), await uploads_of(form)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        outcomes = await import_markdown(tx, actor, uploads, choices, at=request.app[clock_key].now())
        refused = [_refusal_json(o.file_name, o.error) for o in outcomes if o.error is not None]
        created = [o.article_id for o in outcomes if o.article_id is not None]
        if not created:
            raise InvalidInput("None of the files could be imported.", field="files", refused=refused)
        _reindex_published(request, tx, outcomes)
        views = [await article_json(tx.session, actor, article_id) for article_id in created]
    return json_response({"articles": views, "refused": refused}, status=201)


@routes.post(API + "/url")
async def import_url_api(request: web.Request) -> web.Response:
    """201 with the new draft article."""
    body = await read_json(request, UrlImportBody)
    choices = Choices(locale=body.locale, visibility=body.visibility, category=body.category, publish=False)

    async def who(session: AsyncSession) -> Actor:
        return await api_actor(request, session)

    article_id = await import_page(request, who, body.url, choices)
    async with request.app[database_key].transaction() as tx:
        view = await article_json(tx.session, await who(tx.session), article_id)
    return json_response(view, status=201)


async def _category(session: AsyncSession, actor: Actor, choices: Choices) -> CategoryId | None:
    category_id = await category_id_of(session, actor, choices.category)
    if category_id is not None:
        await access_category(session, actor, category_id)
    return category_id


def _refusal_json(file_name: str, error: DomainError) -> dict[str, str]:
    return {"file": file_name, "code": str(error.code), "message": error.message}


def _reindex_published(request: web.Request, tx: Transaction, outcomes: Sequence[Outcome]) -> None:
    for outcome in outcomes:
        if outcome.published and outcome.article_id is not None:
            reindex_after_commit(request, tx, outcome.article_id)
