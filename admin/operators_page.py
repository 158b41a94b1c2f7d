"""The Operators page: an admin adds (invites) operators, sets their roles and groups, removes
them, and manages the workspace's groups."""

from __future__ import annotations

from aiohttp import web

from accounts.groups import create_group, delete_group, list_groups, rename_group, set_operator_groups
from accounts.operators import add_member, list_members, reinvite_member, remove_member, set_member_role
from accounts.roles import Permission, Role, parse_role
from admin.forms import FormData, int_fields, submit_and_return, text_field
from admin.identity import open_workspace
from admin.rendering import render_shell
from core.i18n import gettext
from core.ids import GroupId, OperatorId
from core.keys import clock_key, database_key, settings_key

routes = web.RouteTableDef()


@routes.get("/w/{slug}/operators")
async def operators_page(request: web.Request) -> web.StreamResponse:
    async with request.app[database_key].transaction() as tx:
        visit = await open_workspace(request, tx.session)
        visit.actor.require(Permission.MANAGE_OPERATORS)
        members = await list_members(tx.session, visit.actor)
        groups = await list_groups(tx.session, visit.actor)
    context = {"members": members, "groups": groups, "roles": list(Role)}
    return await render_shell(request, "operators.html", visit, "operators", context)


@routes.post("/w/{slug}/operators")
async def add_operator_form(request: web.Request) -> web.StreamResponse:
    async def add(form: FormData) -> str:
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            added = await add_member(
                tx.session,
                visit.actor,
                email=text_field(form, "email"),
                display_name=text_field(form, "display_name") or text_field(form, "email").split("@")[0],
                role=parse_role(text_field(form, "role")),
                clock=request.app[clock_key],
            )
        if added.invitation_token is None:
            return gettext("{email} was added to this workspace.").format(email=added.operator.email)
        return _invitation_message(request, added.operator.email, added.invitation_token)

    return await submit_and_return(request, _page(request), add)


@routes.post("/w/{slug}/operators/{operator_id:\\d+}")
async def change_operator_form(request: web.Request) -> web.StreamResponse:
    operator_id = OperatorId(int(request.match_info["operator_id"]))

    async def change(form: FormData) -> str:
        action = text_field(form, "action")
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            if action == "remove":
                await remove_member(tx.session, visit.actor, operator_id)
                return gettext("The operator was removed from this workspace.")
            if action == "reinvite":
                token = await reinvite_member(tx.session, visit.actor, operator_id, clock=request.app[clock_key])
                return _invitation_message(request, "", token)
            await set_member_role(tx.session, visit.actor, operator_id, parse_role(text_field(form, "role")))
            group_ids = [GroupId(group_id) for group_id in int_fields(form, "group_ids")]
            await set_operator_groups(tx.session, visit.actor, operator_id, group_ids)
        return gettext("Saved.")

    return await submit_and_return(request, _page(request), change)


@routes.post("/w/{slug}/groups")
async def create_group_form(request: web.Request) -> web.StreamResponse:
    async def create(form: FormData) -> str:
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            group = await create_group(tx.session, visit.actor, text_field(form, "name"))
        return gettext("Group {name} created.").format(name=group.name)

    return await submit_and_return(request, _page(request), create)


@routes.post("/w/{slug}/groups/{group_id:\\d+}")
async def change_group_form(request: web.Request) -> web.StreamResponse:
    group_id = GroupId(int(request.match_info["group_id"]))

    async def change(form: FormData) -> str:
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            if text_field(form, "action") == "delete":
                await delete_group(tx.session, visit.actor, group_id)
                return gettext("The group was deleted.")
            await rename_group(tx.session, visit.actor, group_id, text_field(form, "name"))
        return gettext("Saved.")

    return await submit_and_return(request, _page(request), change)


def _page(request: web.Request) -> str:
    return f"/w/{request.match_info['slug']}/operators"


def _invitation_message(request: web.Request, email: str, token: str) -> str:
    link = f"{request.app[settings_key].http.base_url}/invite/{token}"
    return gettext("Send this one-time link to {email} so they can set a password: {link}").format(
        email=email or gettext("the operator"), link=link
    )
