"""What every widget request passes first: the workspace of the URL, its widget settings, the
page's Origin against the allowed ones, and the visitor behind a token."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import Workspace
from accounts.workspaces import find_workspace_by_slug
from channels.base import ChannelKind
from channels.web_widget.models import WidgetSettings
from channels.web_widget.policy import origin_allowed
from channels.web_widget.setup import widget_settings_of
from channels.web_widget.tokens import VisitorTokens
from conversations.contacts import contact_for_address
from conversations.models import Contact
from core.errors import ErrorCode, Forbidden, NotFound, Unauthenticated
from core.keys import secret_box_key

visitor_tokens_key = web.AppKey("visitor_tokens", VisitorTokens)


class OriginNotAllowed(Forbidden):
    code = ErrorCode.ORIGIN_NOT_ALLOWED


class IdentityInvalid(Forbidden):
    code = ErrorCode.IDENTITY_INVALID


async def open_widget(session: AsyncSession, request: web.Request) -> tuple[Workspace, WidgetSettings]:
    workspace = await find_workspace_by_slug(session, request.match_info["slug"])
    if workspace is None:
        raise NotFound("Workspace not found.")
    widget = await widget_settings_of(session, workspace.id, box=request.app[secret_box_key])
    if not origin_allowed(widget.allowed_origins, request.headers.get("Origin")):
        raise OriginNotAllowed("This site may not embed the chat of this workspace.")
    return workspace, widget


async def visitor_contact(session: AsyncSession, request: web.Request, workspace: Workspace, token: str) -> Contact:
    visitor = request.app[visitor_tokens_key].read(token, workspace_id=workspace.id)
    if visitor is None:
        raise Unauthenticated("The visitor token is invalid or expired.")
    return await contact_for_address(
        session, workspace_id=workspace.id, channel=ChannelKind.WEB, address=visitor.address
    )
