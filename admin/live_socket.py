"""The operators' live socket: the events of one workspace (messages, notes, typing, read receipts,
status changes), pushed as JSON frames — where the workspace restricts operators to their groups'
dialogs, only those about dialogs the operator may see. After a lost connection the client reloads
what it shows through the API (`?after_seq=`); a `resync` frame asks it to do the same."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from accounts.actors import Actor
from accounts.presence import note_inbox_activity
from accounts.roles import Permission
from admin.identity import api_actor
from conversations.access import VisibilityScope, routing_of, visibility_scope
from conversations.events import CONVERSATION, MESSAGE, operators_topic, presence_changed
from conversations.messages import messages_after
from core.errors import Forbidden, NotFound
from core.ids import ConversationId, GroupId, OperatorId
from core.keys import clock_key, database_key, hub_key, open_sockets_key
from core.realtime import RealtimeEvent, publish

routes = web.RouteTableDef()
ACTIVITY_REPORT_SECONDS = 30.0
# How long a socket trusts what it read of its operator's role and groups and of a dialog's group
# and assignee (routed events bring those at once; this bounds what a missed change can cost).
SCOPE_SECONDS = 30.0
ROUTE_SECONDS = 60.0
MAX_ROUTES = 5000  # dialogs remembered per socket
MAX_BATCH = 200  # events taken off the queue together (their unknown dialogs are looked up in one query)

Route = tuple[GroupId | None, OperatorId | None]


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
    forwarder = asyncio.create_task(_forward(request, socket, events, _Visibility(request, actor)))
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
    opened = True
    while True:
        async with request.app[database_key].transaction() as tx:
            now = request.app[clock_key].now()
            change = await note_inbox_activity(tx.session, actor, now=now, opened=opened)
            if change is not None:
                await publish(tx.session, presence_changed(change.workspace_id, change.operator_id, change.presence))
        opened = False
        await asyncio.sleep(ACTIVITY_REPORT_SECONDS)


async def _forward(
    request: web.Request,
    socket: web.WebSocketResponse,
    events: asyncio.Queue[RealtimeEvent],
    visibility: _Visibility,
) -> None:
    while True:
        batch = [await events.get()]
        while len(batch) < MAX_BATCH and not events.empty():
            batch.append(events.get_nowait())
        try:
            await visibility.prepare(batch)
        except NotFound:  # no longer a member of the workspace
            await socket.close()
            return
        for event in batch:
            if not visibility.admits(event):
                continue
            frame: dict[str, object] = {"type": event.kind, **event.data}
            if event.kind == MESSAGE and "message" not in event.data:
                frame["message"] = await _load_message(request, event)
            if not socket.closed:
                await socket.send_json(frame)


class _Visibility:
    """Which events of the workspace this socket's operator may hear: all of them for admins and
    where the workspace does not restrict operators to their groups; else those about dialogs they
    see (`conversations.access.visible_to`). A dialog's group and assignee come with the events that
    change them (`conversation` frames with `group_id`); for other events they are looked up once per
    dialog — for a whole batch in one query — and remembered a while: never a query per message."""

    def __init__(self, request: web.Request, actor: Actor) -> None:
        self._database = request.app[database_key]
        self._actor = actor
        self._scope = VisibilityScope(everything=False)
        self._scope_read_at: float | None = None
        self._routes: dict[ConversationId, tuple[float, Route]] = {}

    async def prepare(self, batch: list[RealtimeEvent]) -> None:
        """Read again what may have gone stale, and look up the dialogs of `batch` not known."""
        now = asyncio.get_running_loop().time()
        stale_scope = self._scope_read_at is None or now - self._scope_read_at > SCOPE_SECONDS
        if not stale_scope and self._scope.everything:
            return
        unknown = self._unknown(batch, now)
        if not stale_scope and not unknown:
            return
        async with self._database.transaction() as tx:
            if stale_scope:
                self._scope = await visibility_scope(tx.session, self._actor)
                self._scope_read_at = now
            if self._scope.everything or not unknown:
                return
            found = await routing_of(tx.session, self._actor.workspace_id, unknown)
        for conversation_id, route in found.items():
            self._remember(conversation_id, route, now)

    def _unknown(self, batch: list[RealtimeEvent], now: float) -> set[ConversationId]:
        unknown: set[ConversationId] = set()
        for event in batch:
            conversation_id = _conversation_of(event)
            if conversation_id is None:
                continue
            if event.kind == CONVERSATION and "group_id" not in event.data:
                # A bare status change (a visitor reopening a closed dialog) may have moved it.
                self._routes.pop(conversation_id, None)
            known = self._routes.get(conversation_id)
            if known is None or now - known[0] > ROUTE_SECONDS:
                unknown.add(conversation_id)
        return unknown

    def admits(self, event: RealtimeEvent) -> bool:
        if self._scope.everything:
            return True
        conversation_id = _conversation_of(event)
        if conversation_id is None:  # presence, resync
            return True
        known = self._routes.get(conversation_id)
        before = None if known is None else known[1]
        if event.kind == CONVERSATION and "group_id" in event.data:
            after = _route_in(event)
            self._remember(conversation_id, after, asyncio.get_running_loop().time())
            # Those who saw the dialog until now hear that it left them, so their inbox lets it go.
            return self._scope.sees(*after) or (before is not None and self._scope.sees(*before))
        return before is not None and self._scope.sees(*before)

    def _remember(self, conversation_id: ConversationId, route: Route, now: float) -> None:
        self._routes.pop(conversation_id, None)
        self._routes[conversation_id] = (now, route)
        if len(self._routes) > MAX_ROUTES:
            del self._routes[next(iter(self._routes))]  # the least recently learnt


def _conversation_of(event: RealtimeEvent) -> ConversationId | None:
    conversation_id = event.data.get("conversation_id")
    return ConversationId(conversation_id) if isinstance(conversation_id, int) else None


def _route_in(event: RealtimeEvent) -> Route:
    group_id, assignee_id = event.data.get("group_id"), event.data.get("assignee_id")
    return (
        GroupId(group_id) if isinstance(group_id, int) else None,
        OperatorId(assignee_id) if isinstance(assignee_id, int) else None,
    )


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
