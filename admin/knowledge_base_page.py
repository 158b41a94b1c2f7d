"""The Knowledge base pages (editors and admins): categories (add, rename, delete), the articles with
their status, visibility and language (filterable), a form to start one; and the editor of one
article (Markdown with a live preview, settings, save, publish, revisions and restore), drawn by
knowledge_base_editor.js over the knowledge-base API (admin/knowledge_base_api.py)."""

from __future__ import annotations

from aiohttp import web

from accounts.roles import Permission
from admin.forms import FormData, submit_and_return, text_field
from admin.identity import open_workspace
from admin.knowledge_base_api import article_filter
from admin.knowledge_base_import import import_limits
from admin.rendering import render_shell
from core.i18n import N_, gettext
from core.ids import ArticleId, CategoryId
from core.keys import clock_key, database_key
from knowledge_base.articles import access_article, create_article, list_articles
from knowledge_base.categories import change_category, create_category, delete_category, list_categories
from knowledge_base.validation import Locale, Visibility, parse_locale, parse_visibility

routes = web.RouteTableDef()

VISIBILITY_NAMES = {
    Visibility.PUBLIC: N_("Public: help center and bot"),
    Visibility.BOT_ONLY: N_("Bot only"),
    Visibility.INTERNAL: N_("Internal: operators only"),
}
STATUS_NAMES = {"draft": N_("Draft"), "published": N_("Published")}
LOCALE_NAMES = {Locale.RU: "Русский", Locale.EN: "English"}

# What knowledge_base_editor.js writes itself; `{name}` placeholders are filled in by the script.
SCRIPT_STRINGS = {
    "unsaved": N_("Unsaved changes"),
    "saving": N_("Saving…"),
    "saved": N_("Draft saved."),
    "published": N_("Revision {number} is published."),
    "restored": N_("Revision {number} is restored and published."),
    "confirm_restore": N_("Publish revision {number} again? The current draft is replaced by it."),
    "confirm_delete": N_("Delete this article and all its revisions? This cannot be undone."),
    "status_draft": N_("Not published yet"),
    "status_live": N_("Published: revision {number}"),
    "status_changed": N_("Published: revision {number}; the draft has unpublished changes"),
    "revision": N_("Revision {number}"),
    "live": N_("live"),
    "restore": N_("Restore"),
    "show": N_("Show"),
    "no_revisions": N_("No revisions yet: publish the draft to make one."),
    "preview_empty": N_("The preview appears here as you type."),
    "error": N_("Something went wrong; try again."),
}


def _page(request: web.Request) -> str:
    return f"/w/{request.match_info['slug']}/knowledge-base"


@routes.get("/w/{slug}/knowledge-base")
async def knowledge_base_page(request: web.Request) -> web.StreamResponse:
    where = article_filter(request)
    async with request.app[database_key].transaction() as tx:
        visit = await open_workspace(request, tx.session)
        categories = await list_categories(tx.session, visit.actor)
        articles = await list_articles(tx.session, visit.actor, where)
    context = {
        "categories": categories,
        "category_names": {category.id: category.name for category in categories},
        "articles": articles,
        "where": where,
        "visibility_names": VISIBILITY_NAMES,
        "status_names": STATUS_NAMES,
        "locale_names": LOCALE_NAMES,
        # The New article form prefilled, e.g. from an unanswered question (`?title=…&language=ru`).
        "new_title": request.query.get("title", "")[:200],
        "new_locale": request.query.get("language", ""),
        "import_limits": import_limits(request.app),
    }
    return await render_shell(request, "knowledge_base.html", visit, "knowledge-base", context)


@routes.post("/w/{slug}/knowledge-base/categories")
async def create_category_form(request: web.Request) -> web.StreamResponse:
    async def create(form: FormData) -> str:
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            await create_category(tx.session, visit.actor, text_field(form, "name"))
        return gettext("Category added.")

    return await submit_and_return(request, _page(request), create)


@routes.post(r"/w/{slug}/knowledge-base/categories/{category_id:\d+}")
async def change_category_form(request: web.Request) -> web.StreamResponse:
    """Rename (action=save, `name`), or delete (action=delete): the category's articles stay, uncategorised."""
    category_id = CategoryId(int(request.match_info["category_id"]))

    async def change(form: FormData) -> str:
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            if text_field(form, "action") == "delete":
                await delete_category(tx.session, visit.actor, category_id)
                return gettext("Category deleted; its articles are now uncategorised.")
            await change_category(tx.session, visit.actor, category_id, name=text_field(form, "name"), position=None)
        return gettext("Category renamed.")

    return await submit_and_return(request, _page(request), change)


@routes.post("/w/{slug}/knowledge-base/articles")
async def create_article_form(request: web.Request) -> web.StreamResponse:
    async def create(form: FormData) -> None:
        category = text_field(form, "category")
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            article = await create_article(
                tx.session,
                visit.actor,
                title=text_field(form, "title"),
                body="",
                locale=parse_locale(text_field(form, "locale")),
                visibility=parse_visibility(text_field(form, "visibility")),
                category_id=CategoryId(int(category)) if category.isdigit() else None,
                at=request.app[clock_key].now(),
            )
        raise web.HTTPSeeOther(f"{_page(request)}/articles/{article.id}")

    return await submit_and_return(request, _page(request), create)


@routes.get(r"/w/{slug}/knowledge-base/articles/{article_id:\d+}")
async def article_editor_page(request: web.Request) -> web.StreamResponse:
    async with request.app[database_key].transaction() as tx:
        visit = await open_workspace(request, tx.session)
        visit.actor.require(Permission.EDIT_KNOWLEDGE_BASE)
        article = await access_article(tx.session, visit.actor, ArticleId(int(request.match_info["article_id"])))
        categories = await list_categories(tx.session, visit.actor)
    context = {
        "article": {"id": article.id, "title": article.title},
        "categories": categories,
        "visibility_names": VISIBILITY_NAMES,
        "locale_names": LOCALE_NAMES,
        "script_strings": {key: gettext(message) for key, message in SCRIPT_STRINGS.items()},
    }
    return await render_shell(request, "knowledge_base_editor.html", visit, "knowledge-base", context)
