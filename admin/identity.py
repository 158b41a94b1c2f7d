"""Who is making a request: the operator behind the session cookie, or an API key; and in which
workspace (the page's `/w/{slug}`, or for the JSON API the key's workspace or `X-Workspace`)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from aiohttp_session import get_session, new_session
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.access import access_workspace_as_operator
from accounts.actors import Actor
from accounts.api_keys import authenticate_api_key
from accounts.models import Operator
from accounts.secrets_hashing import token_digest
from accounts.workspaces import WorkspaceChoice, list_workspaces_of
from admin.csrf import csrf_token
from core.errors import InvalidInput, Unauthenticated
from core.i18n import LANGUAGE_COOKIE, activate, negotiate
from core.ids import OperatorId
from core.keys import catalogs_key, clock_key, settings_key


@dataclass(frozen=True)
class Visit:
    """An operator looking at one of their workspaces."""

    operator: Operator
    actor: Actor
    workspaces: list[WorkspaceChoice]


def password_stamp(operator: Operator) -> str:
    # Changing the password changes the stamp and so ends every other session of that operator.
    return token_digest(operator.password_hash or "")[:16]


async def start_session(request: web.Request, operator: Operator) -> None:
    session = await new_session(request)  # a fresh session id: no fixation across the login
    session["operator_id"] = operator.id
    session["stamp"] = password_stamp(operator)
    csrf_token(session)


async def end_session(request: web.Request) -> None:
    (await get_session(request)).invalidate()


async def optional_operator(request: web.Request, db: AsyncSession) -> Operator | None:
    session = await get_session(request)
    operator_id = session.get("operator_id")
    if not isinstance(operator_id, int):
        return None
    operator = await db.get(Operator, OperatorId(operator_id))
    if operator is None or not operator.is_active or session.get("stamp") != password_stamp(operator):
        session.invalidate()
        return None
    use_operator_language(request, operator)
    return operator


async def session_operator(request: web.Request, db: AsyncSession) -> Operator:
    operator = await optional_operator(request, db)
    if operator is None:
        raise Unauthenticated("Please log in.")
    return operator


async def open_workspace(request: web.Request, db: AsyncSession) -> Visit:
    operator = await session_operator(request, db)
    actor = await access_workspace_as_operator(db, operator.id, request.match_info["slug"])
    return Visit(operator=operator, actor=actor, workspaces=await list_workspaces_of(db, operator.id))


async def api_actor(request: web.Request, db: AsyncSession) -> Actor:
    authorization = request.headers.get("Authorization", "")
    if authorization.startswith("Bearer "):
        return await authenticate_api_key(db, authorization[7:].strip(), clock=request.app[clock_key])
    operator = await session_operator(request, db)
    slug = request.headers.get("X-Workspace") or request.query.get("workspace")
    if slug is None:
        choices = await list_workspaces_of(db, operator.id)
        if len(choices) != 1:
            raise InvalidInput("Choose a workspace with the X-Workspace header.")
        slug = choices[0].slug
    return await access_workspace_as_operator(db, operator.id, slug)


def use_operator_language(request: web.Request, operator: Operator) -> None:
    activate(request.app[catalogs_key], operator.locale or browser_language(request))


def browser_language(request: web.Request) -> str:
    return negotiate(
        request.headers.get("Accept-Language", ""),
        cookie=request.cookies.get(LANGUAGE_COOKIE),
        default=request.app[settings_key].default_locale,
    )
