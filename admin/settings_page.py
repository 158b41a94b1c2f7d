"""The Settings page: everyone's own profile (name, language); for admins the workspace's API keys."""

from __future__ import annotations

from aiohttp import web

from accounts.api_keys import create_api_key, list_api_keys, revoke_api_key
from accounts.operators import update_profile
from accounts.roles import Permission, Role, can, parse_role
from admin.forms import FormData, submit_and_return, text_field
from admin.identity import open_workspace, use_operator_language
from admin.rendering import render_shell
from core.i18n import gettext
from core.ids import ApiKeyId
from core.keys import clock_key, database_key

routes = web.RouteTableDef()


@routes.get("/w/{slug}/settings")
async def settings_page(request: web.Request) -> web.StreamResponse:
    async with request.app[database_key].transaction() as tx:
        visit = await open_workspace(request, tx.session)
        keys = (
            await list_api_keys(tx.session, visit.actor) if can(visit.actor.role, Permission.MANAGE_API_KEYS) else None
        )
    return await render_shell(request, "settings.html", visit, "settings", {"api_keys": keys, "roles": list(Role)})


@routes.post("/w/{slug}/settings/profile")
async def profile_form(request: web.Request) -> web.StreamResponse:
    async def save(form: FormData) -> str:
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            await update_profile(
                tx.session,
                visit.operator,
                display_name=text_field(form, "display_name"),
                locale=text_field(form, "locale"),
            )
        use_operator_language(request, visit.operator)  # confirm in the language just chosen
        return gettext("Saved.")

    return await submit_and_return(request, _page(request), save)


@routes.post("/w/{slug}/settings/api-keys")
async def create_api_key_form(request: web.Request) -> web.StreamResponse:
    async def create(form: FormData) -> str:
        role = parse_role(text_field(form, "role") or Role.ADMIN)
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            key = await create_api_key(tx.session, visit.actor, name=text_field(form, "name"), role=role)
        return gettext("Copy the new key now; it will not be shown again: {key}").format(key=key.key)

    return await submit_and_return(request, _page(request), create)


@routes.post("/w/{slug}/settings/api-keys/{key_id:\\d+}/revoke")
async def revoke_api_key_form(request: web.Request) -> web.StreamResponse:
    key_id = ApiKeyId(int(request.match_info["key_id"]))

    async def revoke(form: FormData) -> str:
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            await revoke_api_key(tx.session, visit.actor, key_id, clock=request.app[clock_key])
        return gettext("The key was revoked.")

    return await submit_and_return(request, _page(request), revoke)


def _page(request: web.Request) -> str:
    return f"/w/{request.match_info['slug']}/settings"
