"""CSRF protection for everything a browser can send with our session cookie: a per-session token
that forms carry as `_csrf` and scripts as the `X-CSRF-Token` header (synchroniser token pattern).
Requests authenticated by an API key (`Authorization: Bearer`) carry no ambient credential and skip it."""

from __future__ import annotations

import secrets

from aiohttp import web
from aiohttp.typedefs import Handler
from aiohttp_session import Session, get_session

from core.errors import CsrfFailed

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Public endpoints that never read the session cookie: the widget authenticates by visitor token,
# Telegram's webhook by its secret-token header.
EXEMPT_PREFIXES = ("/widget/", "/telegram/webhook/")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def csrf_token(session: Session) -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


@web.middleware
async def require_csrf_token(request: web.Request, handler: Handler) -> web.StreamResponse:
    if (
        request.method in SAFE_METHODS
        or request.headers.get("Authorization", "").startswith("Bearer ")
        or request.path.startswith(EXEMPT_PREFIXES)
    ):
        return await handler(request)
    session = await get_session(request)
    expected = session.get("csrf")
    supplied = request.headers.get("X-CSRF-Token")
    if supplied is None and request.content_type in FORM_TYPES:
        field = (await request.post()).get("_csrf")
        supplied = field if isinstance(field, str) else None
    if not isinstance(expected, str) or supplied is None or not secrets.compare_digest(expected, supplied):
        raise CsrfFailed("The form has expired or did not come from this site. Reload the page and try again.")
    return await handler(request)
