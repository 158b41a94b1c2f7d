"""The public help center, readable without login: /help/{workspace} lists the categories with
their public published articles in the visitor's language (else the other one) and searches them;
/help/{workspace}/articles/{slug} shows one article's live revision as sanitised HTML."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from core.i18n import active_locale
from core.keys import database_key
from knowledge_base.help_center import find_help_workspace, help_article, help_sections, search_help_center

routes = web.RouteTableDef()


@routes.get("/help/{slug}")
async def help_center(request: web.Request) -> web.StreamResponse:
    query = request.query.get("q", "").strip()
    async with request.app[database_key].transaction() as tx:
        workspace = await find_help_workspace(tx.session, request.match_info["slug"])
        if query:
            sections, results = [], await search_help_center(tx.session, workspace.id, query)
        else:
            sections, results = await help_sections(tx.session, workspace.id, active_locale()), []
    context = {"workspace": workspace, "query": query, "sections": sections, "results": results}
    return _render(request, "help_center.html", context)


@routes.get("/help/{slug}/articles/{article_slug}")
async def help_center_article(request: web.Request) -> web.StreamResponse:
    async with request.app[database_key].transaction() as tx:
        workspace = await find_help_workspace(tx.session, request.match_info["slug"])
        article = await help_article(tx.session, workspace.id, request.match_info["article_slug"])
    return _render(request, "help_article.html", {"workspace": workspace, "article": article, "query": ""})


def _render(request: web.Request, template: str, context: dict[str, object]) -> web.Response:
    # Not render_page: a visitor gets no session cookie (no CSRF token is needed to read).
    response = aiohttp_jinja2.render_template(template, request, {"locale": active_locale(), **context})
    response.headers["Vary"] = "Accept-Language, Cookie"  # the language follows them
    return response
