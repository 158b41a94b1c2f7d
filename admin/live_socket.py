"""The operators' live socket: every event of one workspace (messages, notes, typing, read receipts,
status changes), pushed as JSON frames. After a lost connection the client reloads what it shows
through the API (`?after_seq=`); a `resync` frame asks it to do the same."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from accounts.actors import Actor
from accounts.presence import note_inbox_activity
from accounts.roles import Permission
from admin.identity import api_actor
from conversations.events import MESSAGE, operators_topic, presence_changed
from conversations.messages import messages_after
from core.errors import Forbidden
from core.keys import clock_key, database_key, hub_key, open_sockets_key
from core.realtime import RealtimeEvent, publish

routes = web.RouteTableDef()
ACTIVITY_REPORT_SECONDS = 30.0


@routes.get("/api/v1/socket")
async def operator_socket(request: web.Request) -> web.StreamResponse:
    _check_same_origin(request)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        actor.require(Permission.WORK_INBOX)
    socket = web.WebSocketResponse(heartbeat=30)
    await socket.prepare(request)
    request.app[open_sockets_key].add(socket)
    events: asyncio.Queue[RealtimeEvent] = asyncio.Queue()
    unsubscribe = request.app[hub_key].subscribe(operators_topic(actor.workspace_id), events.put_nowait)
    forwarder = asyncio.create_task(_forward(request, socket, events))
    reporter = asyncio.create_task(_report_activity(request, actor)) if actor.operator_id is not None else None
    try:
        async for message in socket:
            if message.type == WSMsgType.TEXT and message.data == '{"type":"ping"}':
                await socket.send_json({"type": "pong"})
    finally:
        request.app[open_sockets_key].discard(socket)
        unsubscribe()
        for task in (forwarder, reporter):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    return socket


async def _report_activity(request: web.Request, actor: Actor) -> None:
    """While the tab is open the operator counts as present (and opening it brings them online);
    when the last tab has stopped reporting for a few minutes, the assigner's sweep takes them offline."""
    while True:
        async with request.app[database_key].transaction() as tx:
            change = await note_inbox_activity(tx.session, actor, now=request.app[clock_key].now())
            if change is not None:
                await publish(tx.session, presence_changed(change.workspace_id, change.operator_id, change.presence))
        await asyncio.sleep(ACTIVITY_REPORT_SECONDS)


async def _forward(request: web.Request, socket: web.WebSocketResponse, events: asyncio.Queue[RealtimeEvent]) -> None:
    while True:
        event = await events.get()
        frame: dict[str, object] = {"type": event.kind, **event.data}
        if event.kind == MESSAGE and "message" not in event.data:
            frame["message"] = await _load_message(request, event)
        if not socket.closed:
            await socket.send_json(frame)


async def _load_message(request: web.Request, event: RealtimeEvent) -> dict[str, object] | None:
    """The event was too large for NOTIFY and carries ids only."""
    conversation_id, seq = event.data.get("conversation_id"), event.data.get("seq")
    if not isinstance(conversation_id, int) or not isinstance(seq, int):
        return None
    async with request.app[database_key].transaction() as tx:
        views = await messages_after(tx.session, conversation_id, seq - 1, for_visitor=False)  # type: ignore[arg-type]  # an id from our own event
    return views[0].for_operator() if views else None


def _check_same_origin(request: web.Request) -> None:
    # Browsers send cookies with cross-site WebSocket handshakes; only our own pages may open this one.
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise Forbidden("This socket only accepts connections from Firstline's own pages.")
