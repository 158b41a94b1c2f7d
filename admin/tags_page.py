"""The Tags page: an admin creates, renames, recolours and deletes the labels operators put on dialogs."""

from __future__ import annotations

from aiohttp import web

from accounts.roles import Permission
from admin.forms import FormData, submit_and_return, text_field
from admin.identity import open_workspace
from admin.rendering import render_shell
from conversations.tags import DEFAULT_COLOR, create_tag, delete_tag, list_tags, update_tag
from core.i18n import gettext
from core.ids import TagId
from core.keys import database_key

routes = web.RouteTableDef()


@routes.get("/w/{slug}/tags")
async def tags_page(request: web.Request) -> web.StreamResponse:
    async with request.app[database_key].transaction() as tx:
        visit = await open_workspace(request, tx.session)
        visit.actor.require(Permission.MANAGE_WORKSPACE)
        tags = await list_tags(tx.session, visit.actor)
    return await render_shell(request, "tags.html", visit, "tags", {"tags": tags, "default_color": DEFAULT_COLOR})


@routes.post("/w/{slug}/tags")
async def create_tag_form(request: web.Request) -> web.StreamResponse:
    async def create(form: FormData) -> str:
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            tag = await create_tag(
                tx.session, visit.actor, text_field(form, "name"), color=text_field(form, "color") or None
            )
        return gettext("Tag {name} created.").format(name=tag.name)

    return await submit_and_return(request, _page(request), create)


@routes.post(r"/w/{slug}/tags/{tag_id:\d+}")
async def change_tag_form(request: web.Request) -> web.StreamResponse:
    tag_id = TagId(int(request.match_info["tag_id"]))

    async def change(form: FormData) -> str:
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            if text_field(form, "action") == "delete":
                await delete_tag(tx.session, visit.actor, tag_id)
                return gettext("The tag was deleted.")
            await update_tag(
                tx.session,
                visit.actor,
                tag_id,
                name=text_field(form, "name"),
                color=text_field(form, "color") or None,
            )
        return gettext("Saved.")

    return await submit_and_return(request, _page(request), change)


def _page(request: web.Request) -> str:
    return f"/w/{request.match_info['slug']}/tags"
