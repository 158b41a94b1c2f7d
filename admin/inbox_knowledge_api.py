"""The Inbox's knowledge panel (docs/inbox-api.md, Knowledge): operators search the workspace's
published articles of every visibility, internal ones included, and read one in its live revision.
`GET /api/v1/inbox/knowledge?q=&limit=` → `[{article_id, title, visibility, snippet, url}]`;
`GET /api/v1/inbox/knowledge/{article_id}` → `{article_id, title, visibility, html, text, url}`.
`url` is the help-center address of a public article, null for the others."""

from __future__ import annotations

from aiohttp import web

from admin.api import json_response
from admin.identity import api_actor
from core.errors import InvalidInput
from core.ids import ArticleId
from core.keys import database_key, embedder_key, settings_key
from knowledge_base.reference import access_reference_article, check_reads_reference, search_reference
from knowledge_base.search import QUERY_MAX, embed_query
from knowledge_base.validation import Visibility

routes = web.RouteTableDef()
LIMIT_DEFAULT = 10
LIMIT_MAX = 50


@routes.get("/api/v1/inbox/knowledge")
async def search(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        check_reads_reference(actor)  # before spending CPU on the query's vector
    query = _query(request.query.get("q", ""))
    limit = _limit(request.query.get("limit"))
    embedder = request.app[embedder_key]
    vector = await embed_query(embedder, query)  # outside the transaction: CPU, not the database
    async with request.app[database_key].transaction() as tx:
        hits = await search_reference(
            tx.session, actor, query, query_vector=vector, model_id=embedder.model_id, limit=limit
        )
    return json_response(
        [
            {
                "article_id": hit.article_id,
                "title": hit.title,
                "visibility": hit.visibility,
                "snippet": hit.snippet,
                "url": _public_url(request, actor.workspace_slug, hit.slug, hit.visibility),
            }
            for hit in hits
        ]
    )


@routes.get(r"/api/v1/inbox/knowledge/{article_id:\d+}")
async def article(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        found = await access_reference_article(tx.session, actor, ArticleId(int(request.match_info["article_id"])))
    return json_response(
        {
            "article_id": found.article_id,
            "title": found.title,
            "visibility": found.visibility,
            "locale": found.locale,
            "html": found.html,
            "text": found.text,
            "url": _public_url(request, actor.workspace_slug, found.slug, found.visibility),
        }
    )


def _query(raw: str) -> str:
    query = " ".join(raw.split())
    if not query:
        raise InvalidInput("Give something to search for in q.", field="q")
    if len(query) > QUERY_MAX:
        raise InvalidInput("A search may have at most {limit} characters.", limit=QUERY_MAX, field="q")
    return query


def _limit(raw: str | None) -> int:
    if raw is None:
        return LIMIT_DEFAULT
    if not raw.isdigit() or not 1 <= int(raw) <= LIMIT_MAX:
        raise InvalidInput("Give a limit from 1 to {limit}.", limit=LIMIT_MAX, field="limit")
    return int(raw)


def _public_url(request: web.Request, workspace_slug: str, slug: str, visibility: Visibility) -> str | None:
    """Only public articles are on the help center; a link to any other would be a 404 for the visitor."""
    if visibility != Visibility.PUBLIC:
        return None
    return f"{request.app[settings_key].http.base_url}/help/{workspace_slug}/articles/{slug}"
