"""The admin shell: the landing redirect, one page per section, and creating a workspace."""

from __future__ import annotations

from aiohttp import web

from accounts.workspaces import create_workspace, list_workspaces_of
from admin.forms import FormData, submit_and_return, text_field
from admin.identity import open_workspace, session_operator
from admin.rendering import landing_path, render_page
from core.keys import database_key

routes = web.RouteTableDef()


@routes.get("/")
async def index(request: web.Request) -> web.StreamResponse:
    async with request.app[database_key].transaction() as tx:
        operator = await session_operator(request, tx.session)
        workspaces = await list_workspaces_of(tx.session, operator.id)
    if not workspaces:
        raise web.HTTPSeeOther("/workspaces/new")
    raise web.HTTPSeeOther(f"/w/{workspaces[0].slug}/")


@routes.get("/w/{slug}")
@routes.get("/w/{slug}/")
async def workspace_home(request: web.Request) -> web.StreamResponse:
    async with request.app[database_key].transaction() as tx:
        visit = await open_workspace(request, tx.session)
    raise web.HTTPSeeOther(landing_path(visit.actor.workspace_slug, visit))


@routes.get("/workspaces/new")
async def new_workspace_form(request: web.Request) -> web.StreamResponse:
    async with request.app[database_key].transaction() as tx:
        operator = await session_operator(request, tx.session)
        workspaces = await list_workspaces_of(tx.session, operator.id)
    return await render_page(request, "workspace_new.html", {"operator": operator, "workspaces": workspaces})


@routes.post("/workspaces/new")
async def create_workspace_form(request: web.Request) -> web.StreamResponse:
    async def create(form: FormData) -> None:
        async with request.app[database_key].transaction() as tx:
            operator = await session_operator(request, tx.session)
            workspace = await create_workspace(
                tx.session,
                slug=text_field(form, "slug").strip().lower(),
                name=text_field(form, "name"),
                admin_id=operator.id,
            )
        raise web.HTTPSeeOther(f"/w/{workspace.slug}/")

    return await submit_and_return(request, "/workspaces/new", create)
