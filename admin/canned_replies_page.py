"""The Canned replies page: everyone keeps their own prepared answers; admins also keep the shared ones."""

from __future__ import annotations

from aiohttp import web

from accounts.roles import Permission, can
from admin.forms import FormData, submit_and_return, text_field
from admin.identity import open_workspace
from admin.rendering import render_shell
from conversations.canned_replies import (
    CannedReplyFields,
    create_canned_reply,
    delete_canned_reply,
    list_canned_replies,
    update_canned_reply,
)
from conversations.limits import MAX_TEXT_LENGTH
from core.i18n import gettext
from core.ids import CannedReplyId
from core.keys import database_key

routes = web.RouteTableDef()


@routes.get("/w/{slug}/canned-replies")
async def canned_replies_page(request: web.Request) -> web.StreamResponse:
    async with request.app[database_key].transaction() as tx:
        visit = await open_workspace(request, tx.session)
        replies = await list_canned_replies(tx.session, visit.actor)
    context = {
        "replies": replies,
        "can_share": can(visit.actor.role, Permission.MANAGE_WORKSPACE),
        "max_body": MAX_TEXT_LENGTH,
    }
    return await render_shell(request, "canned_replies.html", visit, "canned-replies", context)


@routes.post("/w/{slug}/canned-replies")
async def create_canned_reply_form(request: web.Request) -> web.StreamResponse:
    async def create(form: FormData) -> str:
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            reply = await create_canned_reply(tx.session, visit.actor, _fields(form))
        return gettext("Canned reply /{shortcut} saved.").format(shortcut=reply.shortcut)

    return await submit_and_return(request, _page(request), create)


@routes.post(r"/w/{slug}/canned-replies/{reply_id:\d+}")
async def change_canned_reply_form(request: web.Request) -> web.StreamResponse:
    reply_id = CannedReplyId(int(request.match_info["reply_id"]))

    async def change(form: FormData) -> str:
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            if text_field(form, "action") == "delete":
                await delete_canned_reply(tx.session, visit.actor, reply_id)
                return gettext("The canned reply was deleted.")
            await update_canned_reply(tx.session, visit.actor, reply_id, _fields(form))
        return gettext("Saved.")

    return await submit_and_return(request, _page(request), change)


def _fields(form: FormData) -> CannedReplyFields:
    return CannedReplyFields(
        shortcut=text_field(form, "shortcut"),
        title=text_field(form, "title"),
        body=text_field(form, "body"),
        shared=text_field(form, "shared") == "on",
    )


def _page(request: web.Request) -> str:
    return f"/w/{request.match_info['slug']}/canned-replies"
