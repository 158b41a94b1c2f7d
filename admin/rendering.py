"""Rendering admin pages: the common context (CSRF token, language, flash messages, the workspace
shell with its navigation) and the readable error page for domain errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import Session, get_session

from accounts.roles import Permission, can
from admin.csrf import csrf_token
from admin.identity import Visit
from core.errors import DomainError, Unauthenticated
from core.i18n import LOCALE_NAMES, N_, active_locale, gettext


@dataclass(frozen=True)
class Section:
    slug: str
    label: str
    permission: Permission | None
    summary: str


# Role names as the interface shows them (templates translate `role.value`).
ROLE_NAMES = (N_("admin"), N_("operator"), N_("editor"))

SECTIONS = (
    Section(
        "inbox",
        N_("Inbox"),
        Permission.WORK_INBOX,
        N_("Queues of escalated dialogs, assigned to operators, answered live."),
    ),
    Section(
        "canned-replies",
        N_("Canned replies"),
        Permission.WORK_INBOX,
        N_("Prepared answers operators insert by typing /shortcut: shared ones and their own."),
    ),
    Section(
        "tags", N_("Tags"), Permission.MANAGE_WORKSPACE, N_("Labels operators put on dialogs to sort and find them.")
    ),
    Section(
        "knowledge-base",
        N_("Knowledge base"),
        Permission.EDIT_KNOWLEDGE_BASE,
        N_("Articles the AI bot answers from, and the public help center."),
    ),
    Section(
        "flows",
        N_("Flows"),
        Permission.MANAGE_FLOWS,
        N_("The welcome bot and other scenarios, built and published here."),
    ),
    Section(
        "channels",
        N_("Channels"),
        Permission.MANAGE_CHANNELS,
        N_("The web chat widget, Telegram and WhatsApp connections."),
    ),
    Section(
        "broadcasts",
        N_("Broadcasts"),
        Permission.MANAGE_BROADCASTS,
        N_("Messages to many subscribers at once, paced to each channel's limits."),
    ),
    Section(
        "usage", N_("Usage"), Permission.VIEW_USAGE, N_("Visitors, AI questions and channel messages against the plan.")
    ),
    Section(
        "operators",
        N_("Operators"),
        Permission.MANAGE_OPERATORS,
        N_("Who works in this workspace, their roles and groups."),
    ),
    Section("settings", N_("Settings"), None, N_("Your profile, the workspace and its API keys.")),
)


def visible_sections(visit: Visit) -> list[Section]:
    return [s for s in SECTIONS if s.permission is None or can(visit.actor.role, s.permission)]


def landing_path(slug: str, visit: Visit) -> str:
    return f"/w/{slug}/{visible_sections(visit)[0].slug}"


def flash(session: Session, message: str, *, kind: str = "info") -> None:
    session["flashes"] = [*session.get("flashes", []), {"kind": kind, "text": message}]


async def render_page(
    request: web.Request, template: str, context: Mapping[str, object], *, status: int = 200
) -> web.Response:
    session = await get_session(request)
    common = {
        "csrf_token": csrf_token(session),
        "locale": active_locale(),
        "locale_names": LOCALE_NAMES,
        "flashes": session.pop("flashes", []),
        "path": request.path_qs,
    }
    return aiohttp_jinja2.render_template(template, request, {**common, **context}, status=status)


async def render_shell(
    request: web.Request, template: str, visit: Visit, section: str, context: Mapping[str, object]
) -> web.Response:
    shell = {
        "visit": visit,
        "sections": visible_sections(visit),
        "current_section": section,
        "slug": visit.actor.workspace_slug,
    }
    return await render_page(request, template, {**shell, **context})


async def render_error_page(request: web.Request, error: DomainError) -> web.StreamResponse:
    if isinstance(error, Unauthenticated):
        raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='')}")
    return await render_page(
        request,
        "error.html",
        {"message": error.translated(gettext), "status": error.http_status},
        status=error.http_status,
    )
