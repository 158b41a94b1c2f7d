"""Wiring of the admin surface into the application: sessions, language, CSRF, templates, routes."""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.typedefs import Handler
from aiohttp_session import session_middleware
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from admin import (
    ai_answer_api,
    ai_settings_api,
    ai_settings_page,
    api,
    assignment_api,
    auth_pages,
    broadcasts_api,
    broadcasts_page,
    canned_replies_page,
    channels_page,
    conversations_api,
    files,
    flows_api,
    flows_page,
    groups_page,
    help_center_page,
    inbox_api,
    inbox_knowledge_api,
    inbox_page,
    knowledge_base_api,
    knowledge_base_compare,
    knowledge_base_import,
    knowledge_base_page,
    knowledge_base_search_api,
    live_socket,
    operators_page,
    pages,
    settings_page,
    tags_page,
    telegram_bots,
    unanswered_api,
    unanswered_page,
    usage_page,
)
from admin.csrf import require_csrf_token
from admin.identity import browser_language
from admin.rendering import render_error_page
from core.config import Settings
from core.i18n import activate, gettext, ngettext
from core.keys import catalogs_key, error_page_key

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "firstline_session"
SESSION_MAX_AGE = 14 * 24 * 3600


def setup_admin(app: web.Application, settings: Settings) -> None:
    assert settings.secret_key is not None  # build_app checks it
    # aiohttp-session 2.12 keys its storage with a plain string; harmless, and only in that library.
    warnings.filterwarnings("ignore", category=web.NotAppKeyWarning, module="aiohttp_session")
    # Fernet wants 32 bytes; derive them from the configured secret of any length.
    cookie_key = hashlib.sha256(settings.secret_key.get_secret_value().encode()).digest()
    storage = EncryptedCookieStorage(
        cookie_key,
        cookie_name=SESSION_COOKIE,
        httponly=True,
        samesite="Lax",
        secure=settings.http.is_https,
        max_age=SESSION_MAX_AGE,
    )
    app.middlewares.extend([session_middleware(storage), _choose_language, require_csrf_token])
    environment = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
    )
    environment.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]  # added by the i18n extension
    app[error_page_key] = render_error_page
    app.router.add_static("/static/", HERE / "static", name="static")
    tables = (
        auth_pages.routes,
        api.routes,
        conversations_api.routes,
        inbox_api.routes,
        inbox_knowledge_api.routes,
        assignment_api.routes,
        flows_api.routes,
        knowledge_base_api.routes,
        knowledge_base_search_api.routes,
        ai_answer_api.routes,
        ai_settings_api.routes,
        unanswered_api.routes,
        live_socket.routes,
        files.routes,
        operators_page.routes,
        groups_page.routes,
        settings_page.routes,
        ai_settings_page.routes,
        channels_page.routes,
        broadcasts_page.routes,
        broadcasts_api.routes,
        telegram_bots.routes,
        usage_page.routes,
        tags_page.routes,
        canned_replies_page.routes,
        flows_page.routes,
        knowledge_base_page.routes,
        knowledge_base_import.routes,
        knowledge_base_compare.routes,
        unanswered_page.routes,
        help_center_page.routes,
        inbox_page.routes,
        pages.routes,
    )
    for table in tables:
        app.router.add_routes(table)


@web.middleware
async def _choose_language(request: web.Request, handler: Handler) -> web.StreamResponse:
    # The browser's language until an operator is known; identity switches to their setting.
    activate(request.app[catalogs_key], browser_language(request))
    return await handler(request)
