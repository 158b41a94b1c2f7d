"""The widget's WebSocket (docs/widget-protocol.md): one task reads the visitor's frames, another
forwards realtime events; messages go through the idempotent inbound pipeline and are acknowledged
after commit; anything missed is loaded by sequence number, so nothing is lost or doubled. A visitor
waiting in a queue is told when nobody can answer now (`availability`) and may leave an email."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence

from aiohttp import WSMsgType, web

from accounts.models import Workspace
from channels.base import ChannelKind, InboundMessage
from channels.web_widget.frames import (
    FrameError,
    Hello,
    LeaveEmail,
    OpenChat,
    Ping,
    Read,
    SendMessage,
    Typing,
    parse_frame,
    passed_on,
)
from channels.web_widget.gate import open_widget, visitor_tokens_key
from channels.web_widget.notices import AvailabilityNotices
from channels.web_widget.tokens import Visitor
from conversations.access import access_visitor_conversation
from conversations.attachments import attachments_for_message
from conversations.availability import queue_availability
from conversations.contacts import contact_for_address, record_email
from conversations.events import CONVERSATION, MESSAGE, contact_topic, visitor_topic, visitor_typing
from conversations.inbound import Received, current_conversation, receive_message
from conversations.lifecycle import mark_read_by_visitor
from conversations.messages import messages_after
from conversations.models import Conversation
from conversations.queries import view_of_conversation
from core.errors import InvalidInput, NotFound
from core.ids import ContactId, ConversationId
from core.keys import BotAnswer, bots_key, catalogs_key, clock_key, database_key, hub_key, open_sockets_key
from core.rate_limit import RateLimiter
from core.realtime import RESYNC, RealtimeEvent, publish

log = logging.getLogger(__name__)

socket_routes = web.RouteTableDef()
HELLO_TIMEOUT_SECONDS = 10
MESSAGES_BURST, MESSAGES_PER_SECOND = 8, 1.0
TYPING_INTERVAL_SECONDS = 1.0


@socket_routes.get("/widget/v1/{slug}/socket")
async def visitor_socket(request: web.Request) -> web.StreamResponse:
    workspace, language_setting = await _workspace_allowing_origin(request)
    socket = web.WebSocketResponse(heartbeat=30, max_msg_size=1024 * 1024)
    await socket.prepare(request)
    request.app[open_sockets_key].add(socket)
    try:
        await VisitorConnection(request, socket, workspace, language_setting).run()
    finally:
        request.app[open_sockets_key].discard(socket)
    return socket


class VisitorConnection:
    def __init__(
        self, request: web.Request, socket: web.WebSocketResponse, workspace: Workspace, language_setting: str
    ) -> None:
        self._app = request.app
        self._socket = socket
        self._workspace = workspace
        self._notices = AvailabilityNotices(
            request.app[clock_key],
            request.app[catalogs_key],
            language_setting=language_setting,
            browser_languages=request.headers.get("Accept-Language", ""),
        )
        self._database = request.app[database_key]
        self._events: asyncio.Queue[RealtimeEvent] = asyncio.Queue()
        self._unsubscribes: list[Callable[[], None]] = []
        self._send_lock = asyncio.Lock()
        # Storing a message and forwarding events take turns: the event of the visitor's own message
        # (NOTIFY arrives at commit) must see the acknowledged seq and not load it again.
        self._turn = asyncio.Lock()
        self._limiter = RateLimiter(request.app[clock_key], capacity=MESSAGES_BURST, per_second=MESSAGES_PER_SECOND)
        self._last_typing = 0.0
        self._visitor: Visitor | None = None
        self._contact_id: ContactId | None = None
        self._conversation_id: ConversationId | None = None
        self._last_seq_sent = 0

    async def run(self) -> None:
        try:
            if not await self._greet():
                return
            tasks = {asyncio.create_task(self._read_frames()), asyncio.create_task(self._forward_events())}
            try:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()
            finally:  # also when the server's shutdown cancels this handler
                await self._stop(tasks)
        finally:
            for unsubscribe in self._unsubscribes:
                unsubscribe()

    async def _stop(self, tasks: set[asyncio.Task[None]]) -> None:
        # Whoever holds the turn may be inside a transaction: let it finish before cancelling, so a
        # connection is never returned to the pool half-way through a statement.
        async with self._turn:
            for task in tasks:
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _greet(self) -> bool:
        try:
            first = await self._socket.receive(timeout=HELLO_TIMEOUT_SECONDS)
        except TimeoutError:
            await self._socket.close(code=4000, message=b"no hello")
            return False
        frame = parse_frame(first.data) if first.type == WSMsgType.TEXT else None
        visitor = None
        if isinstance(frame, Hello):
            visitor = self._app[visitor_tokens_key].read(frame.token, workspace_id=self._workspace.id)
        if visitor is None or not isinstance(frame, Hello):
            await self._send(
                {"type": "error", "code": "invalid_token", "message": "Start with a hello frame and a valid token."}
            )
            await self._socket.close(code=4001, message=b"invalid token")
            return False
        self._visitor = visitor
        await self._start(frame.last_seq)
        return True

    async def _start(self, last_seq: int) -> None:
        assert self._visitor is not None
        async with self._database.transaction() as tx:
            contact = await contact_for_address(
                tx.session, workspace_id=self._workspace.id, channel=ChannelKind.WEB, address=self._visitor.address
            )
            conversation = await current_conversation(tx.session, contact.id, ChannelKind.WEB)
            availability = None
            if conversation is not None:
                availability = await queue_availability(
                    tx.session, self._workspace.id, conversation.id, self._app[clock_key].now()
                )
        self._contact_id = contact.id
        self._notices.speak_to(contact.language)
        self._subscribe(contact_topic(contact.id))
        if conversation is not None:
            self._follow(conversation.id)  # subscribe before loading: nothing can fall in between
        self._last_seq_sent = last_seq
        messages = await self._messages_since_last()
        ready = {"type": "ready", "conversation": _conversation_json(conversation), "messages": messages}
        await self._send(ready)
        if availability is not None and (told := self._notices.frame_for(availability)) is not None:
            await self._send(told)

    def _subscribe(self, topic: str) -> None:
        self._unsubscribes.append(self._app[hub_key].subscribe(topic, self._events.put_nowait))

    def _follow(self, conversation_id: ConversationId) -> None:
        if self._conversation_id != conversation_id:
            self._conversation_id = conversation_id
            self._subscribe(visitor_topic(conversation_id))

    async def _read_frames(self) -> None:
        async for message in self._socket:
            if message.type == WSMsgType.TEXT:
                await self._handle(parse_frame(message.data))
            elif message.type == WSMsgType.BINARY:
                await self._error("invalid_frame", "Frames are JSON text.")

    async def _handle(
        self, frame: Hello | SendMessage | Typing | Read | Ping | LeaveEmail | OpenChat | FrameError
    ) -> None:
        if isinstance(frame, FrameError):
            extra = {} if frame.client_id is None else {"client_id": frame.client_id}
            await self._error(frame.code, frame.message, **extra)
        elif isinstance(frame, SendMessage):
            await self._receive(frame)
        elif isinstance(frame, Typing):
            await self._typing(frame.on)
        elif isinstance(frame, Read):
            await self._read(frame.seq)
        elif isinstance(frame, Ping):
            await self._send({"type": "pong"})
        elif isinstance(frame, LeaveEmail):
            await self._leave_email(frame.email)
        elif isinstance(frame, OpenChat):
            await self._chat_opened()
        else:
            await self._error("invalid_frame", "hello is only the first frame.")

    async def _receive(self, frame: SendMessage) -> None:
        async with self._turn:
            stored = await self._store(frame)
            if stored is None:
                return
            received, answer = stored
            if answer is not None:
                await self._say(answer.visitor_messages)  # the bot's answer, at once
                await answer.after_commit()
                if not answer.still_bot:  # handed to a queue: whether anyone can answer now
                    await self._recheck_availability(at_once=True)
            elif received.owner == "queue" or self._notices.showing:
                await self._recheck_availability()  # a dialog an operator has needs no look (nor a notice)

    async def _store(self, frame: SendMessage) -> tuple[Received, BotAnswer | None] | None:
        """What was stored (or had been) and acknowledged, and the bot's answer to it (in the same
        transaction) when the bot has the dialog; None when it was refused."""
        assert self._visitor is not None
        assert self._contact_id is not None
        wait = self._limiter.retry_after("messages")
        if wait:
            message = f"Too many messages; wait {wait} s and send again."
            await self._error("rate_limited", message, client_id=frame.client_id, retry_after=wait)
            return None
        try:
            async with self._database.transaction() as tx:
                refs = await attachments_for_message(
                    tx.session, workspace_id=self._workspace.id, contact_id=self._contact_id, ids=frame.attachments
                )
                received = await receive_message(
                    tx.session,
                    InboundMessage(
                        workspace_id=self._workspace.id,
                        channel=ChannelKind.WEB,
                        address=self._visitor.address,
                        # Scoped by the visitor: another visitor's client id can never match (or reveal) this one.
                        channel_key=f"{self._visitor.address}:{frame.client_id}",
                        text=frame.text,
                        occurred_at=self._app[clock_key].now(),
                        attachments=refs,
                        button_id=frame.button_id,
                    ),
                )
                bot_turn = received.owner == "bot" and not received.duplicate
                answer = await self._app[bots_key].answer_in(tx.session, received.conversation_id) if bot_turn else None
        except NotFound as error:
            await self._error("not_found", error.message, client_id=frame.client_id)
            return None
        except InvalidInput as error:
            await self._error("invalid_frame", error.message, client_id=frame.client_id)
            return None
        self._follow(received.conversation_id)
        view = received.message
        if view.seq == self._last_seq_sent + 1:
            self._last_seq_sent = view.seq  # the ack carries it; with a gap, the forwarder loads all
        await self._send({"type": "ack", "client_id": frame.client_id, "message": view.for_visitor()})
        return received, answer

    async def _say(self, messages: Sequence[Mapping[str, object]]) -> None:
        """Send messages the widget lacks, in order; after a gap, load everything it lacks."""
        for message in messages:
            if _int(message.get("seq")) != self._last_seq_sent + 1:
                await self._send_messages(await self._messages_since_last())
                return
            self._last_seq_sent += 1
            await self._send_messages([dict(message)])

    async def _chat_opened(self) -> None:
        """The welcome bot may greet in a new dialog: the widget follows it and gets the greeting now.
        Opening more often than messages may be sent is ignored (each open looks the dialog up)."""
        assert self._contact_id is not None
        if self._limiter.retry_after("open"):
            return
        async with self._turn:
            opened = await self._app[bots_key].chat_opened(self._workspace.id, self._contact_id, ChannelKind.WEB.value)
            if opened is not None:
                await self._show_conversation(opened)

    async def _recheck_availability(self, *, at_once: bool = False) -> None:
        """Tell the visitor whether anyone can answer their queued dialog now: after a message only
        when due (a burst of messages costs one look), at once when `at_once`."""
        if self._conversation_id is None or not self._notices.due(at_once=at_once):
            return
        async with self._database.transaction() as tx:
            now = self._app[clock_key].now()
            availability = await queue_availability(tx.session, self._workspace.id, self._conversation_id, now)
        if (told := self._notices.frame_for(availability)) is not None:
            await self._send(told)

    async def _leave_email(self, email: str) -> None:
        assert self._contact_id is not None
        wait = self._limiter.retry_after("emails")
        if wait:
            message = f"Too many emails; wait {wait} s and send again."
            await self._error("rate_limited", message, about="leave_email", retry_after=wait)
            return
        try:
            async with self._turn, self._database.transaction() as tx:
                saved = await record_email(tx.session, self._contact_id, email)
        except InvalidInput as error:
            await self._error("invalid_email", error.message)
            return
        self._notices.email_saved()
        await self._send({"type": "email_saved", "email": saved})

    async def _typing(self, on: bool) -> None:
        now = self._app[clock_key].now().timestamp()
        if self._conversation_id is None or (on and now - self._last_typing < TYPING_INTERVAL_SECONDS):
            return
        self._last_typing = now if on else 0.0
        async with self._database.transaction() as tx:
            await publish(tx.session, visitor_typing(self._workspace.id, self._conversation_id, on))

    async def _read(self, seq: int) -> None:
        if self._conversation_id is None or self._contact_id is None:
            return
        async with self._database.transaction() as tx:
            conversation = await access_visitor_conversation(
                tx.session, self._contact_id, self._conversation_id, for_update=True
            )
            await mark_read_by_visitor(tx.session, conversation, seq)

    async def _forward_events(self) -> None:
        while True:
            event = await self._events.get()
            async with self._turn:
                await self._forward(event)

    async def _forward(self, event: RealtimeEvent) -> None:
        already_sent = event.kind == MESSAGE and _int(event.data.get("seq")) <= self._last_seq_sent
        if event.kind in (MESSAGE, RESYNC) and not already_sent:
            await self._send_messages(await self._messages_since_last())
        elif event.kind == CONVERSATION:
            await self._conversation_changed(event)
        elif (frame := passed_on(event)) is not None:
            await self._send(frame)

    async def _conversation_changed(self, event: RealtimeEvent) -> None:
        conversation_id = event.data.get("conversation_id")
        if not isinstance(conversation_id, int):
            return
        await self._show_conversation(ConversationId(conversation_id))

    async def _show_conversation(self, conversation_id: ConversationId) -> None:
        """Follow the conversation (a new one: from its start) and send it with what the widget lacks."""
        if self._contact_id is None:
            return
        async with self._database.transaction() as tx:
            conversation = await access_visitor_conversation(tx.session, self._contact_id, conversation_id)
        if conversation.id != self._conversation_id:
            self._follow(conversation.id)
            self._last_seq_sent = 0
        await self._send({"type": "conversation", "conversation": _conversation_json(conversation)})
        await self._send_messages(await self._messages_since_last())
        await self._recheck_availability(at_once=True)  # closed, or reopened into a queue

    async def _send_messages(self, messages: list[dict[str, object]]) -> None:
        for message in messages:
            if message.get("author") == "operator":
                self._notices.operator_answered()
            await self._send({"type": "message", "message": message})

    async def _messages_since_last(self) -> list[dict[str, object]]:
        if self._conversation_id is None:
            return []
        async with self._database.transaction() as tx:
            views = await messages_after(tx.session, self._conversation_id, self._last_seq_sent, for_visitor=True)
        if views:
            self._last_seq_sent = max(self._last_seq_sent, views[-1].seq)
        return [view.for_visitor() for view in views]

    async def _error(self, code: str, message: str, **extra: object) -> None:
        """`extra` names the refused message (`client_id`) and when to retry (`retry_after`)."""
        await self._send({"type": "error", "code": code, "message": message, **extra})

    async def _send(self, frame: Mapping[str, object]) -> None:
        if self._socket.closed:
            return
        async with self._send_lock:
            with contextlib.suppress(ConnectionResetError):
                await self._socket.send_json(frame)


async def _workspace_allowing_origin(request: web.Request) -> tuple[Workspace, str]:
    """Checked before the upgrade, so a refused origin gets a plain 403 and no socket; with the
    widget's language setting."""
    async with request.app[database_key].transaction() as tx:
        workspace, widget = await open_widget(tx.session, request)
    return workspace, widget.language


def _int(value: object) -> int:
    return value if isinstance(value, int) else 1 << 62


def _conversation_json(conversation: Conversation | None) -> dict[str, object] | None:
    return None if conversation is None else view_of_conversation(conversation).for_visitor()
