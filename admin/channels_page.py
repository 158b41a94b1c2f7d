"""The Channels page (admins): the web chat widget's look and allowed sites with a live preview, the
snippet that embeds it, and the identity secret sites sign their user ids with; the Telegram bots
(connected and disconnected by admin.telegram_bots)."""

from __future__ import annotations

import json

from aiohttp import web

from admin.forms import FormData, submit_and_return, text_field
from admin.identity import open_workspace
from admin.rendering import render_shell
from admin.telegram_bots import bot_views, default_mode
from channels.web_widget.policy import LANGUAGES, POSITIONS
from channels.web_widget.setup import (
    access_widget_settings,
    identity_secret,
    regenerate_identity_secret,
    update_widget_settings,
)
from channels.web_widget.texts import preview_strings
from core.i18n import LOCALES, N_, gettext, translator
from core.keys import catalogs_key, database_key, secret_box_key, settings_key

routes = web.RouteTableDef()

POSITION_NAMES = {"right": N_("Bottom right"), "left": N_("Bottom left")}
LANGUAGE_NAMES = {"auto": N_("The visitor's browser language"), "en": "English", "ru": "Русский"}
HASH_EXAMPLES = {
    "Python": (
        "user_hash = hmac.new(os.environ['FIRSTLINE_IDENTITY_SECRET'].encode(), str(user.id).encode(), "
        "hashlib.sha256).hexdigest()"
    ),
    "Node.js": (
        "const userHash = require('crypto').createHmac('sha256', process.env.FIRSTLINE_IDENTITY_SECRET)"
        ".update(String(user.id)).digest('hex');"
    ),
}


def embed_snippet(base_url: str, slug: str) -> str:
    return (
        f"<script>window.FirstlineSettings = {{workspace: {json.dumps(slug)}}};</script>\n"
        f'<script src="{base_url}/widget.js" async></script>'
    )


def identified_snippet(slug: str) -> str:
    user = '{id: "42", hash: "<user_hash>", name: "Ann", email: "ann@example.com"}'
    return f"<script>window.FirstlineSettings = {{workspace: {json.dumps(slug)}, user: {user}}};</script>"


@routes.get("/w/{slug}/channels")
async def channels_page(request: web.Request) -> web.StreamResponse:
    box = request.app[secret_box_key]
    async with request.app[database_key].transaction() as tx:
        visit = await open_workspace(request, tx.session)
        widget = await access_widget_settings(tx.session, visit.actor, box=box)
        telegram_bots = await bot_views(tx.session, visit.actor.workspace_id)
    slug = visit.actor.workspace_slug
    catalogs = request.app[catalogs_key]
    context = {
        "widget": widget,
        "identity_secret": identity_secret(widget, box=box),
        "positions": [(value, POSITION_NAMES[value]) for value in POSITIONS],
        "languages": [(value, LANGUAGE_NAMES[value]) for value in LANGUAGES],
        "preview_strings": {locale: preview_strings(translator(catalogs, locale)) for locale in LOCALES},
        "snippet": embed_snippet(request.app[settings_key].http.base_url, slug),
        "identified_snippet": identified_snippet(slug),
        "hash_examples": HASH_EXAMPLES,
        "telegram_bots": telegram_bots,
        "telegram_default_mode": default_mode(request),
    }
    return await render_shell(request, "channels.html", visit, "channels", context)


@routes.post("/w/{slug}/channels/widget")
async def widget_settings_form(request: web.Request) -> web.StreamResponse:
    async def save(form: FormData) -> str:
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            await update_widget_settings(
                tx.session,
                visit.actor,
                color=text_field(form, "color"),
                position=text_field(form, "position"),
                language=text_field(form, "language"),
                greeting_en=text_field(form, "greeting_en"),
                greeting_ru=text_field(form, "greeting_ru"),
                allowed_origins=text_field(form, "allowed_origins").splitlines(),
                box=request.app[secret_box_key],
            )
        return gettext("Saved. Visitors see the new settings on their next page.")

    return await submit_and_return(request, _page(request), save)


@routes.post("/w/{slug}/channels/widget/identity-secret")
async def regenerate_secret_form(request: web.Request) -> web.StreamResponse:
    async def regenerate(form: FormData) -> str:
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            await regenerate_identity_secret(tx.session, visit.actor, box=request.app[secret_box_key])
        return gettext(
            "A new identity secret was made. Put it on your site's server: hashes made with the old one are refused."
        )

    return await submit_and_return(request, _page(request), regenerate)


def _page(request: web.Request) -> str:
    return f"/w/{request.match_info['slug']}/channels"
