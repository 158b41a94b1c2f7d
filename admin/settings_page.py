"""The Settings page: everyone's own profile (name, language); for admins the workspace's working
hours and API keys."""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import get_session

from accounts.api_keys import create_api_key, list_api_keys, revoke_api_key
from accounts.operators import update_profile
from accounts.roles import Permission, Role, can, parse_role
from accounts.workspaces import access_working_hours, set_working_hours
from admin.forms import FormData, submit_and_return, text_field
from admin.identity import open_workspace, use_operator_language
from admin.rendering import flash, render_shell
from admin.working_hours_form import HoursForm, state_now, timezone_names, weekdays
from core.errors import InvalidInput
from core.i18n import active_locale, gettext
from core.ids import ApiKeyId
from core.keys import clock_key, database_key

routes = web.RouteTableDef()


@routes.get("/w/{slug}/settings")
async def settings_page(request: web.Request) -> web.StreamResponse:
    return await _render(request)


async def _render(request: web.Request, typed: HoursForm | None = None, *, status: int = 200) -> web.StreamResponse:
    """The page; with `typed`, the working hours form shows what was typed instead of what is stored."""
    async with request.app[database_key].transaction() as tx:
        visit = await open_workspace(request, tx.session)
        admin = can(visit.actor.role, Permission.MANAGE_WORKSPACE)
        keys = (
            await list_api_keys(tx.session, visit.actor) if can(visit.actor.role, Permission.MANAGE_API_KEYS) else None
        )
        hours = await access_working_hours(tx.session, visit.actor) if admin else None
    context: dict[str, object] = {"api_keys": keys, "roles": list(Role), "hours_form": None}
    if hours is not None:
        context |= {
            "hours_form": typed or HoursForm.of(hours),
            "hours_now": state_now(hours, request.app[clock_key].now(), active_locale()),
            "timezones": timezone_names(),
            "weekdays": weekdays(),
        }
    response = await render_shell(request, "settings.html", visit, "settings", context)
    response.set_status(status)
    return response


@routes.post("/w/{slug}/settings/working-hours")
async def working_hours_form(request: web.Request) -> web.StreamResponse:
    typed = HoursForm.from_post(await request.post())
    try:
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            visit.actor.require(Permission.MANAGE_WORKSPACE)
            await set_working_hours(tx.session, visit.actor, typed.checked())
    except InvalidInput as error:
        # Shown again with what was typed: a redirect (as the other forms do) would lose it.
        flash(await get_session(request), error.translated(gettext), kind="error")
        return await _render(request, typed, status=400)
    flash(await get_session(request), gettext("Working hours saved."), kind="success")
    raise web.HTTPSeeOther(_page(request))


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
