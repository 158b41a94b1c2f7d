"""Broadcasts over JSON (editors and admins; docs/broadcasts-api.md): list, create and edit drafts,
count an audience, find one's own chat for a test, send a test, send now or schedule, pause,
resume, cancel, and read the progress (the page polls it)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from admin.api import json_response
from admin.identity import api_actor
from broadcasts.drafts import (
    BroadcastDraft,
    access_broadcast,
    create_broadcast,
    find_subscribers,
    preview_audience,
    update_broadcast,
)
from broadcasts.lifecycle import cancel, pause, resume, schedule, send_now, unschedule
from broadcasts.models import Broadcast
from broadcasts.progress import list_broadcasts, progress
from broadcasts.sender import BroadcastSender
from core.bodies import read_json
from core.errors import InvalidInput
from core.ids import BroadcastId, TelegramBotId, TelegramSubscriberId
from core.keys import clock_key, database_key

routes = web.RouteTableDef()
broadcast_sender_key = web.AppKey("broadcast_sender", BroadcastSender)


class DraftBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bot_id: int
    name: str = Field(max_length=200)
    text: str = Field(max_length=20_000)
    image_id: str | None = None
    buttons: list[dict[str, Any]] = Field(default_factory=list, max_length=50)
    audience: dict[str, Any] = Field(default_factory=dict)

    def draft(self) -> BroadcastDraft:
        return BroadcastDraft(
            bot_id=TelegramBotId(self.bot_id),
            name=self.name,
            text=self.text,
            image_id=self.image_id,
            buttons=self.buttons,
            audience=self.audience,
        )


class AudienceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bot_id: int
    audience: dict[str, Any] = Field(default_factory=dict)


class ScheduleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: str  # a wall time, YYYY-MM-DDTHH:MM, in `timezone` (by default the workspace's)
    timezone: str | None = None


class TestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subscriber_id: int


@routes.get("/api/v1/broadcasts")
async def broadcasts_api(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        listed = await list_broadcasts(tx.session, await api_actor(request, tx.session))
    return json_response({"broadcasts": [_jsonable(asdict(item)) for item in listed]})


@routes.post("/api/v1/broadcasts")
async def create_broadcast_api(request: web.Request) -> web.Response:
    body = await read_json(request, DraftBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        broadcast = await create_broadcast(tx.session, actor, body.draft(), at=request.app[clock_key].now())
        view = _view(broadcast)
    return json_response({"broadcast": view}, status=201)


@routes.get("/api/v1/broadcasts/{broadcast_id:\\d+}")
async def broadcast_api(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        broadcast = await access_broadcast(tx.session, actor, _broadcast_id(request))
        shown = await progress(tx.session, actor, broadcast.id)
        view = _view(broadcast)
    return json_response({"broadcast": view, "progress": _jsonable(asdict(shown))})


@routes.put("/api/v1/broadcasts/{broadcast_id:\\d+}")
async def update_broadcast_api(request: web.Request) -> web.Response:
    body = await read_json(request, DraftBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        broadcast = await update_broadcast(
            tx.session, actor, _broadcast_id(request), body.draft(), at=request.app[clock_key].now()
        )
        view = _view(broadcast)
    return json_response({"broadcast": view})


@routes.get("/api/v1/broadcasts/{broadcast_id:\\d+}/progress")
async def progress_api(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        shown = await progress(tx.session, await api_actor(request, tx.session), _broadcast_id(request))
    return json_response({"progress": {**_jsonable(asdict(shown)), "done": shown.done}})


@routes.post("/api/v1/broadcasts/audience")
async def audience_api(request: web.Request) -> web.Response:
    body = await read_json(request, AudienceBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        count = await preview_audience(
            tx.session, actor, TelegramBotId(body.bot_id), body.audience, now=request.app[clock_key].now()
        )
    return json_response({"count": count})


@routes.get("/api/v1/broadcasts/subscribers")
async def subscribers_api(request: web.Request) -> web.Response:
    """?bot_id=…&q=… — subscribers whose username or first name starts with q (to pick a test chat)."""
    bot = request.query.get("bot_id", "")
    if not bot.isdigit():
        raise InvalidInput("bot_id is required.", field="bot_id")
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        found = await find_subscribers(tx.session, actor, TelegramBotId(int(bot)), request.query.get("q", ""))
    return json_response({"subscribers": [asdict(choice) for choice in found]})


@routes.post("/api/v1/broadcasts/{broadcast_id:\\d+}/test")
async def test_api(request: web.Request) -> web.Response:
    body = await read_json(request, TestBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
    sender = request.app[broadcast_sender_key]
    message_id = await sender.send_test(actor, _broadcast_id(request), TelegramSubscriberId(body.subscriber_id))
    return json_response({"telegram_message_id": message_id})


@routes.post("/api/v1/broadcasts/{broadcast_id:\\d+}/{action:send|schedule|unschedule|pause|resume|cancel}")
async def action_api(request: web.Request) -> web.Response:
    action = request.match_info["action"]
    planned = await read_json(request, ScheduleBody) if action == "schedule" else None
    now = request.app[clock_key].now()
    answer: dict[str, object] = {}
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        broadcast_id = _broadcast_id(request)
        match action:
            case "send":
                answer["recipients"] = await send_now(tx.session, actor, broadcast_id, at=now)
            case "schedule":
                assert planned is not None
                at = await schedule(tx.session, actor, broadcast_id, wall_time(planned.at), planned.timezone, now=now)
                answer["scheduled_at"] = at.isoformat()
            case "unschedule":
                await unschedule(tx.session, actor, broadcast_id, at=now)
            case "pause":
                await pause(tx.session, actor, broadcast_id, at=now)
            case "resume":
                await resume(tx.session, actor, broadcast_id, at=now)
            case _:
                await cancel(tx.session, actor, broadcast_id, at=now)
        answer["status"] = (await access_broadcast(tx.session, actor, broadcast_id)).status
    return json_response(answer)


def wall_time(value: str) -> datetime:
    """A date and time without a zone (a datetime-local field's value)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("Give the date and time as YYYY-MM-DDTHH:MM.", field="at") from None
    if parsed.tzinfo is not None:
        raise InvalidInput("Give the wall time without a zone; the time zone goes apart.", field="at")
    return parsed


def _broadcast_id(request: web.Request) -> BroadcastId:
    return BroadcastId(int(request.match_info["broadcast_id"]))


def _view(broadcast: Broadcast) -> dict[str, object]:
    return {
        "id": broadcast.id,
        "bot_id": broadcast.bot_id,
        "name": broadcast.name,
        "text": broadcast.text,
        "image_id": broadcast.image_id,
        "buttons": broadcast.buttons,
        "audience": broadcast.audience,
        "status": broadcast.status,
        "scheduled_at": None if broadcast.scheduled_at is None else broadcast.scheduled_at.isoformat(),
        "started_at": None if broadcast.started_at is None else broadcast.started_at.isoformat(),
        "finished_at": None if broadcast.finished_at is None else broadcast.finished_at.isoformat(),
        "recipients": broadcast.recipient_count,
    }


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if isinstance(value, datetime) else value for key, value in data.items()}
