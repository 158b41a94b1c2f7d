"""Knowledge-base search for API clients and editors (docs/knowledge-base-api.md):
`GET /api/v1/knowledge-base/search?q=&limit=&locale=` → `{results: [{article_id, title, url, score,
snippet}]}`, best first, over published public articles, by the same hybrid retrieval the bot uses."""

from __future__ import annotations

from aiohttp import web

from accounts.roles import Permission
from admin.api import json_response
from admin.identity import api_actor
from core.errors import InvalidInput
from core.keys import database_key, embedder_key
from knowledge_base.search import QUERY_MAX, embed_query, search_articles
from knowledge_base.validation import Visibility, parse_locale

routes = web.RouteTableDef()
LIMIT_DEFAULT = 10
LIMIT_MAX = 50


def _limit(raw: str | None) -> int:
    if raw is None:
        return LIMIT_DEFAULT
    if not raw.isdigit() or not 1 <= int(raw) <= LIMIT_MAX:
        raise InvalidInput("Give a limit from 1 to {limit}.", limit=LIMIT_MAX, field="limit")
    return int(raw)


@routes.get("/api/v1/knowledge-base/search")
async def search(request: web.Request) -> web.Response:
    query = " ".join(request.query.get("q", "").split())
    if not query:
        raise InvalidInput("Give something to search for in q.", field="q")
    if len(query) > QUERY_MAX:
        raise InvalidInput("A search may have at most {limit} characters.", limit=QUERY_MAX, field="q")
    limit = _limit(request.query.get("limit"))
    locale = None if "locale" not in request.query else parse_locale(request.query["locale"])
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        actor.require(Permission.EDIT_KNOWLEDGE_BASE)
    embedder = request.app[embedder_key]
    vector = await embed_query(embedder, query)  # outside the transaction: CPU, not the database
    async with request.app[database_key].transaction() as tx:
        found = await search_articles(
            tx.session,
            actor.workspace_id,
            query,
            query_vector=vector,
            model_id=embedder.model_id,
            visibilities={Visibility.PUBLIC},
            locale=locale,
            limit=limit,
        )
    results = [
        {
            "article_id": hit.article_id,
            "title": hit.title,
            "url": f"/help/{actor.workspace_slug}/articles/{hit.slug}",
            "score": round(hit.score, 6),
            "snippet": hit.snippet,
        }
        for hit in found.hits
    ]
    return json_response({"results": results})
