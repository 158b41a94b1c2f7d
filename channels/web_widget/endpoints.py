"""The widget's HTTP edge: visitor sessions and file uploads (the socket is in socket.py)."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import Workspace
from billing.visitors import record_visitor_activity
from channels.base import ChannelKind
from channels.web_widget import assets
from channels.web_widget.gate import IdentityInvalid, open_widget, visitor_contact, visitor_tokens_key
from channels.web_widget.models import WidgetSettings
from channels.web_widget.policy import identity_hash_valid, widget_language
from channels.web_widget.setup import identity_secret
from channels.web_widget.socket import socket_routes
from channels.web_widget.texts import widget_strings
from channels.web_widget.tokens import Visitor, VisitorTokens, new_visitor
from conversations.attachment_policy import MAX_FILE_BYTES
from conversations.attachments import store_attachment
from conversations.contacts import ContactAddressKey, Profile, contact_for_address, identify, note_visit
from conversations.inbound import current_conversation
from conversations.models import Contact
from conversations.views import AttachmentView
from core.bodies import read_file_field, read_json
from core.errors import RateLimited
from core.i18n import translator
from core.keys import catalogs_key, clock_key, database_key, file_store_key, secret_box_key, settings_key
from core.rate_limit import RateLimiter

routes = web.RouteTableDef()
session_limiter_key = web.AppKey("widget_session_limiter", RateLimiter)
SESSIONS_PER_MINUTE_PER_ADDRESS = 120
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "POST",
    "Access-Control-Allow-Headers": "Content-Type, X-Visitor-Token",
    "Access-Control-Max-Age": "600",
}
PROPERTY_FIELDS = ("page_url", "referrer", "title", "timezone", "screen", "user_agent")


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class UserClaim(_Body):
    id: str = Field(min_length=1, max_length=255)
    hash: str = Field(min_length=1, max_length=128)
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)


class SessionBody(_Body):
    token: str | None = Field(default=None, max_length=1000)
    page_url: str | None = Field(default=None, max_length=2000)
    referrer: str | None = Field(default=None, max_length=2000)
    title: str | None = Field(default=None, max_length=500)
    language: str | None = Field(default=None, max_length=64)
    timezone: str | None = Field(default=None, max_length=64)
    screen: str | None = Field(default=None, max_length=32)
    user_agent: str | None = Field(default=None, max_length=1000)
    utm: dict[str, str] = Field(default_factory=dict, max_length=10)
    user: UserClaim | None = None


def setup_web_widget(app: web.Application) -> None:
    settings = app[settings_key]
    assert settings.secret_key is not None  # build_app checks it
    app[visitor_tokens_key] = VisitorTokens(settings.secret_key.get_secret_value())
    # Generous: a whole office may share one address; this stops scripts, not people.
    app[session_limiter_key] = RateLimiter(
        app[clock_key], capacity=SESSIONS_PER_MINUTE_PER_ADDRESS, per_second=SESSIONS_PER_MINUTE_PER_ADDRESS / 60
    )
    # Outermost, so that error answers carry the headers too and the widget can read them.
    app.middlewares.insert(0, allow_cross_site_widget)
    app.router.add_routes(assets.routes)
    app.router.add_routes(routes)
    app.router.add_routes(socket_routes)


@web.middleware
async def allow_cross_site_widget(request: web.Request, handler: Handler) -> web.StreamResponse:
    """CORS for the widget's HTTP endpoints: the widget runs on the customer's site. No cookies are
    involved (the visitor token travels in the body or a header), so any origin may ask; whether the
    workspace lets that origin embed its chat is decided by the endpoint (403 origin_not_allowed)."""
    origin = request.headers.get("Origin")
    if origin is None or not request.path.startswith("/widget/"):
        return await handler(request)
    if request.method == "OPTIONS":
        response: web.StreamResponse = web.Response(status=204, headers=PREFLIGHT_HEADERS)
    else:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            exc.headers.update({"Access-Control-Allow-Origin": origin, "Vary": "Origin"})
            raise
    response.headers.update({"Access-Control-Allow-Origin": origin, "Vary": "Origin"})
    return response


@routes.post("/widget/v1/{slug}/session")
async def start_session(request: web.Request) -> web.Response:
    _limit(request)
    body = await read_json(request, SessionBody)
    now = request.app[clock_key].now()
    async with request.app[database_key].transaction() as tx:
        workspace, widget = await open_widget(tx.session, request)
        visitor = _visitor_from(request, body.token, workspace)
        contact = await contact_for_address(
            tx.session, workspace_id=workspace.id, channel=ChannelKind.WEB, address=visitor.address, lock=True
        )
        note_visit(contact, _visit_properties(body), Profile(language=body.language), at=now)
        if body.user is not None:
            contact = await _identify(tx.session, request, widget, contact, visitor, body.user, now)
        await record_visitor_activity(tx.session, workspace_id=workspace.id, contact_id=contact.id, at=now)
        conversation = await current_conversation(tx.session, contact.id, ChannelKind.WEB)
    browser_languages = body.language if body.language else request.headers.get("Accept-Language", "")
    language = widget_language(widget.language, browser_languages)
    return web.json_response(
        {
            "token": request.app[visitor_tokens_key].issue(visitor),
            "visitor": {"name": contact.name, "email": contact.email},
            "settings": {
                "color": widget.color,
                "position": widget.position,
                "language": language,
                "greeting": widget.greeting_ru if language == "ru" else widget.greeting_en,
                "strings": widget_strings(translator(request.app[catalogs_key], language)),
            },
            "conversation": None
            if conversation is None
            else {
                "id": conversation.id,
                "status": conversation.status,
                "last_seq": conversation.last_seq,
                "visitor_read_seq": conversation.visitor_read_seq,
                "operator_read_seq": conversation.operator_read_seq,
            },
            "socket_url": f"/widget/v1/{workspace.slug}/socket",
        }
    )


@routes.post("/widget/v1/{slug}/attachments")
async def upload_attachment(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        workspace, _ = await open_widget(tx.session, request)
        contact = await visitor_contact(tx.session, request, workspace, request.headers.get("X-Visitor-Token", ""))
    name, data = await read_file_field(request, max_bytes=MAX_FILE_BYTES)
    async with request.app[database_key].transaction() as tx:
        attachment = await store_attachment(
            tx.session,
            request.app[file_store_key],
            workspace_id=workspace.id,
            contact_id=contact.id,
            name=name,
            data=data,
        )
    view = AttachmentView(
        id=attachment.id, name=attachment.name, content_type=attachment.content_type, size=attachment.size
    )
    return web.json_response(view.as_json(), status=201)


def _limit(request: web.Request) -> None:
    wait = request.app[session_limiter_key].retry_after(request.remote or "unknown")
    if wait:
        raise RateLimited("Too many requests; try again in {retry_after} seconds.", retry_after=wait)


def _visitor_from(request: web.Request, token: str | None, workspace: Workspace) -> Visitor:
    # An invalid or expired token here just means a new anonymous visitor (the socket refuses it).
    known = None if token is None else request.app[visitor_tokens_key].read(token, workspace_id=workspace.id)
    return known if known is not None else new_visitor(workspace.id)


def _visit_properties(body: SessionBody) -> dict[str, str]:
    properties = {name: value for name in PROPERTY_FIELDS if (value := getattr(body, name))}
    properties.update({f"utm_{key[:20]}": value[:500] for key, value in body.utm.items()})
    return properties


async def _identify(
    session: AsyncSession,
    request: web.Request,
    widget: WidgetSettings,
    contact: Contact,
    visitor: Visitor,
    user: UserClaim,
    now: datetime,
) -> Contact:
    if not identity_hash_valid(identity_secret(widget, box=request.app[secret_box_key]), user.id, user.hash):
        raise IdentityInvalid(
            "The user's identity hash does not match; check the identity secret on the Channels page."
        )
    address = ContactAddressKey(workspace_id=visitor.workspace_id, channel=ChannelKind.WEB, address=visitor.address)
    profile = Profile(name=user.name, email=user.email, phone=user.phone)
    return await identify(session, contact, address=address, external_id=user.id, profile=profile, at=now)
