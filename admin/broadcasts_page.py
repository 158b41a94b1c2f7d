"""The Broadcasts pages (editors and admins): the list; composing a broadcast for a Telegram bot —
text with Telegram's formatting, an optional image, link and flow buttons, the audience (every
subscriber or a segment) with a live count; a test sent to one's own chat; send now or schedule in
the workspace's time zone; a live progress view with pause, resume and cancel."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from admin.broadcasts_api import broadcast_sender_key, wall_time
from admin.forms import Done, FormData, int_fields, submit_and_return, text_field
from admin.identity import open_workspace
from admin.rendering import render_shell
from broadcasts.drafts import (
    BroadcastDraft,
    access_broadcast,
    create_broadcast,
    preview_audience,
    update_broadcast,
    workspace_timezone,
)
from broadcasts.lifecycle import cancel, pause, resume, schedule, send_now, unschedule
from broadcasts.models import Broadcast
from broadcasts.progress import list_broadcasts, progress
from broadcasts.states import ALLOWED, BroadcastStatus
from channels.telegram.connections import connected_bots
from conversations.attachments import store_attachment
from conversations.models import Attachment, Tag
from core.errors import InvalidInput
from core.i18n import N_, gettext, ngettext
from core.ids import BroadcastId, TelegramBotId, TelegramSubscriberId, WorkspaceId
from core.keys import clock_key, database_key, file_store_key
from flows.store import published_flows

routes = web.RouteTableDef()
STATUS_NAMES = {
    "draft": N_("Draft"),
    "scheduled": N_("Scheduled"),
    "sending": N_("Sending"),
    "paused": N_("Paused"),
    "cancelled": N_("Cancelled"),
    "finished": N_("Finished"),
}
BUTTON_ROWS = 5  # button rows on the form (Telegram's keyboards allow more; a broadcast rarely needs them)


@routes.get("/w/{slug}/broadcasts")
async def broadcasts_page(request: web.Request) -> web.StreamResponse:
    async with request.app[database_key].transaction() as tx:
        visit = await open_workspace(request, tx.session)
        listed = await list_broadcasts(tx.session, visit.actor)
        bots = await connected_bots(tx.session, visit.actor.workspace_id)
    context = {"broadcasts": listed, "bots": bots, "status_names": STATUS_NAMES}
    return await render_shell(request, "broadcasts.html", visit, "broadcasts", context)


@routes.get("/w/{slug}/broadcasts/new")
async def new_broadcast_page(request: web.Request) -> web.StreamResponse:
    return await _editor(request, None)


@routes.get("/w/{slug}/broadcasts/{broadcast_id:\\d+}")
async def broadcast_page(request: web.Request) -> web.StreamResponse:
    return await _editor(request, BroadcastId(int(request.match_info["broadcast_id"])))


async def _editor(request: web.Request, broadcast_id: BroadcastId | None) -> web.StreamResponse:
    async with request.app[database_key].transaction() as tx:
        visit = await open_workspace(request, tx.session)
        broadcast = None if broadcast_id is None else await access_broadcast(tx.session, visit.actor, broadcast_id)
        context = await _editor_context(tx.session, visit.actor, broadcast, now=request.app[clock_key].now())
    if broadcast is None and not context["bots"]:  # nothing to send with: the list says why
        raise web.HTTPSeeOther(f"/w/{visit.actor.workspace_slug}/broadcasts")
    return await render_shell(request, "broadcast.html", visit, "broadcasts", context)


async def _editor_context(
    session: AsyncSession, actor: Actor, broadcast: Broadcast | None, *, now: datetime
) -> dict[str, object]:
    workspace_id = actor.workspace_id
    tags = await session.scalars(select(Tag).where(Tag.workspace_id == workspace_id).order_by(Tag.name))
    image = None
    reach = None
    if broadcast is not None and broadcast.image_id is not None:
        image = await session.scalar(
            select(Attachment).where(Attachment.id == broadcast.image_id, Attachment.workspace_id == workspace_id)
        )
    if broadcast is not None and broadcast.status in (BroadcastStatus.DRAFT, BroadcastStatus.SCHEDULED):
        reach = await preview_audience(session, actor, broadcast.bot_id, broadcast.audience, now=now)
    buttons = list(broadcast.buttons) if broadcast is not None else []
    actions = set() if broadcast is None else _actions(broadcast.status)
    return {
        "broadcast": broadcast,
        "bots": await connected_bots(session, workspace_id),
        "flows": await published_flows(session, workspace_id),
        "tags": list(tags),
        "image": image,
        "progress": None if broadcast is None else await progress(session, actor, broadcast.id),
        "reach_text": None
        if reach is None
        else ngettext("%(num)d subscriber", "%(num)d subscribers", reach) % {"num": reach},
        "timezone": await workspace_timezone(session, workspace_id),
        "button_rows": buttons + [{} for _ in range(max(0, BUTTON_ROWS - len(buttons)))],
        "actions": actions,
        "editable": broadcast is None or "edit" in actions,
        "status_names": STATUS_NAMES,
    }


@routes.post("/w/{slug}/broadcasts")
async def create_broadcast_form(request: web.Request) -> web.StreamResponse:
    slug = request.match_info["slug"]

    async def create(form: FormData) -> Done:
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            draft = await _draft(request, tx.session, visit.actor.workspace_id, form, current_image=None)
            broadcast = await create_broadcast(tx.session, visit.actor, draft, at=request.app[clock_key].now())
        message = gettext("Saved as a draft. Send yourself a test, then send it or schedule it.")
        return Done(message, f"/w/{slug}/broadcasts/{broadcast.id}")

    return await submit_and_return(request, f"/w/{slug}/broadcasts/new", create)


@routes.post("/w/{slug}/broadcasts/{broadcast_id:\\d+}")
async def save_broadcast_form(request: web.Request) -> web.StreamResponse:
    broadcast_id = BroadcastId(int(request.match_info["broadcast_id"]))

    async def save(form: FormData) -> str:
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            current = await access_broadcast(tx.session, visit.actor, broadcast_id)
            draft = await _draft(request, tx.session, visit.actor.workspace_id, form, current_image=current.image_id)
            await update_broadcast(tx.session, visit.actor, broadcast_id, draft, at=request.app[clock_key].now())
        return gettext("Saved.")

    return await submit_and_return(request, _page(request), save)


@routes.post("/w/{slug}/broadcasts/{broadcast_id:\\d+}/{action:send|schedule|unschedule|pause|resume|cancel}")
async def broadcast_action_form(request: web.Request) -> web.StreamResponse:
    broadcast_id = BroadcastId(int(request.match_info["broadcast_id"]))
    action = request.match_info["action"]

    async def act(form: FormData) -> str:
        now = request.app[clock_key].now()
        async with request.app[database_key].transaction() as tx:
            actor = (await open_workspace(request, tx.session)).actor
            match action:
                case "send":
                    count = await send_now(tx.session, actor, broadcast_id, at=now)
                    return ngettext("Sending to %(num)d subscriber.", "Sending to %(num)d subscribers.", count) % {
                        "num": count
                    }
                case "schedule":
                    at = await schedule(tx.session, actor, broadcast_id, wall_time(text_field(form, "at")), now=now)
                    return gettext("Scheduled. It starts by itself at the chosen time.") + f" ({at:%Y-%m-%d %H:%M} UTC)"
                case "unschedule":
                    await unschedule(tx.session, actor, broadcast_id, at=now)
                    return gettext("Unscheduled: it is a draft again.")
                case "pause":
                    await pause(tx.session, actor, broadcast_id, at=now)
                    return gettext("Paused. Nobody more gets it until you resume.")
                case "resume":
                    await resume(tx.session, actor, broadcast_id, at=now)
                    return gettext("Resumed.")
            await cancel(tx.session, actor, broadcast_id, at=now)
            return gettext("Cancelled. Those who got it keep it; nobody else will.")

    return await submit_and_return(request, _page(request), act)


@routes.post("/w/{slug}/broadcasts/{broadcast_id:\\d+}/test")
async def test_broadcast_form(request: web.Request) -> web.StreamResponse:
    broadcast_id = BroadcastId(int(request.match_info["broadcast_id"]))

    async def test(form: FormData) -> str:
        subscriber = text_field(form, "subscriber_id")
        if not subscriber.isdigit():
            raise InvalidInput("Choose whom to send the test to.", field="subscriber_id")
        async with request.app[database_key].transaction() as tx:
            actor = (await open_workspace(request, tx.session)).actor
        sender = request.app[broadcast_sender_key]
        await sender.send_test(actor, broadcast_id, TelegramSubscriberId(int(subscriber)))
        return gettext("The test was sent. Look in Telegram.")

    return await submit_and_return(request, _page(request), test)


async def _draft(
    request: web.Request, session: AsyncSession, workspace_id: WorkspaceId, form: FormData, *, current_image: str | None
) -> BroadcastDraft:
    """The form as a draft: the image uploaded now, else the one kept (unless removed)."""
    bot = text_field(form, "bot_id")
    if not bot.isdigit():
        raise InvalidInput("Choose the bot to send it with.", field="bot_id")
    image_id = None if text_field(form, "remove_image") else current_image
    upload = form.get("image")
    if isinstance(upload, web.FileField) and upload.filename:
        stored = await store_attachment(
            session,
            request.app[file_store_key],
            workspace_id=workspace_id,
            contact_id=None,
            name=upload.filename,
            data=upload.file.read(),
        )
        image_id = stored.id
    return BroadcastDraft(
        bot_id=TelegramBotId(int(bot)),
        name=text_field(form, "name"),
        text=text_field(form, "text"),
        image_id=image_id,
        buttons=_buttons(form),
        audience=_audience(form),
    )


def _buttons(form: FormData) -> list[dict[str, object]]:
    labels, kinds = form.getall("button_label", []), form.getall("button_kind", [])
    urls, flows = form.getall("button_url", []), form.getall("button_flow", [])
    buttons: list[dict[str, object]] = []
    for label, kind, url, flow in zip(labels, kinds, urls, flows, strict=False):
        if not isinstance(label, str) or not label.strip():
            continue
        if kind == "flow":
            buttons.append({"label": label, "flow_id": int(flow) if isinstance(flow, str) and flow.isdigit() else None})
        else:
            buttons.append({"label": label, "url": url if isinstance(url, str) else ""})
    return buttons


def _audience(form: FormData) -> dict[str, object]:
    audience: dict[str, object] = {}
    if text_field(form, "audience") != "segment":
        return audience
    tag_ids = int_fields(form, "tag_ids")
    if tag_ids:
        audience["tag_ids"] = tag_ids
    key, value = text_field(form, "property_key").strip(), text_field(form, "property_value").strip()
    if key:
        audience["properties"] = {key: value}
    for name in ("subscribed_since", "last_active_before"):
        if text_field(form, name):
            audience[name] = text_field(form, name)
    if text_field(form, "active_within_days"):
        days = text_field(form, "active_within_days")
        audience["active_within_days"] = int(days) if days.isdigit() else days
    return audience


def _actions(status: str) -> set[str]:
    """What the page offers for a broadcast in `status`: edit, send_now, schedule, pause…"""
    return {action.name.lower() for action, statuses in ALLOWED.items() if BroadcastStatus(status) in statuses}


def _page(request: web.Request) -> str:
    return f"/w/{request.match_info['slug']}/broadcasts/{request.match_info['broadcast_id']}"
