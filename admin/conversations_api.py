"""The operators' JSON API for conversations: list, read, reply, note, close, reopen, typing, read
receipts, retrying a failed delivery, and uploading files to send."""

from __future__ import annotations

from functools import partial

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from accounts.operators import display_name_of
from accounts.roles import Permission
from admin.api import json_response
from admin.identity import api_actor
from conversations.access import access_conversation
from conversations.attachment_policy import MAX_FILE_BYTES
from conversations.attachments import attachments_for_message, store_attachment
from conversations.events import operator_typing
from conversations.lifecycle import close_conversation, mark_read_by_operator, reopen_conversation
from conversations.messages import message_view, messages_after
from conversations.outbound import add_note, reply_as_operator
from conversations.outbox import retry_delivery
from conversations.queries import conversation_summaries, conversation_view
from conversations.views import AttachmentView
from core.bodies import read_file_field, read_json
from core.errors import InvalidInput
from core.ids import ConversationId, MessageId
from core.keys import clock_key, database_key, file_store_key, outbox_key
from core.realtime import publish

routes = web.RouteTableDef()
STATUSES = ("open", "snoozed", "closed", "all")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReplyBody(_Body):
    text: str = ""
    client_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9-]{8,64}$")
    attachments: list[str] = Field(default_factory=list, max_length=10)


class NoteBody(_Body):
    text: str


class TypingBody(_Body):
    on: bool


class ReadBody(_Body):
    seq: int = Field(ge=0)


def _conversation_id(request: web.Request) -> ConversationId:
    return ConversationId(int(request.match_info["conversation_id"]))


@routes.get("/api/v1/conversations")
async def list_conversations(request: web.Request) -> web.Response:
    status = request.query.get("status", "open")
    if status not in STATUSES:
        raise InvalidInput("status must be one of: open, snoozed, closed, all.", field="status")
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        summaries = await conversation_summaries(tx.session, actor, status=status)
    return json_response({"conversations": summaries})


@routes.get(r"/api/v1/conversations/{conversation_id:\d+}")
async def read_conversation(request: web.Request) -> web.Response:
    after = _int_query(request, "after_seq")
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        view, contact = await conversation_view(tx.session, actor, _conversation_id(request))
        messages = await messages_after(tx.session, view.id, after, for_visitor=False)
    return json_response(
        {
            "conversation": view.for_operator(),
            "contact": contact,
            "messages": [message.for_operator() for message in messages],
        }
    )


@routes.post(r"/api/v1/conversations/{conversation_id:\d+}/messages")
async def reply(request: web.Request) -> web.Response:
    body = await read_json(request, ReplyBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        refs = await attachments_for_message(
            tx.session, workspace_id=actor.workspace_id, contact_id=None, ids=body.attachments
        )
        sent = await reply_as_operator(
            tx.session,
            actor,
            _conversation_id(request),
            text=body.text,
            attachments=refs,
            client_id=body.client_id,
            at=request.app[clock_key].now(),
        )
        view = await message_view(tx.session, sent.message)
        if sent.delivery_id is not None:
            tx.on_commit(partial(request.app[outbox_key].after_commit, sent.delivery_id))
    return json_response({"message": view.for_operator()}, status=201 if sent.delivery_id is not None else 200)


@routes.post(r"/api/v1/conversations/{conversation_id:\d+}/notes")
async def note(request: web.Request) -> web.Response:
    body = await read_json(request, NoteBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        created = await add_note(
            tx.session, actor, _conversation_id(request), text=body.text, at=request.app[clock_key].now()
        )
        view = await message_view(tx.session, created)
    return json_response({"message": view.for_operator()}, status=201)


@routes.post(r"/api/v1/conversations/{conversation_id:\d+}/close")
async def close(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        await close_conversation(tx.session, actor, _conversation_id(request), at=request.app[clock_key].now())
        view, _ = await conversation_view(tx.session, actor, _conversation_id(request))
    return json_response({"conversation": view.for_operator()})


@routes.post(r"/api/v1/conversations/{conversation_id:\d+}/reopen")
async def reopen(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        await reopen_conversation(tx.session, actor, _conversation_id(request))
        view, _ = await conversation_view(tx.session, actor, _conversation_id(request))
    return json_response({"conversation": view.for_operator()})


@routes.post(r"/api/v1/conversations/{conversation_id:\d+}/typing")
async def typing(request: web.Request) -> web.Response:
    body = await read_json(request, TypingBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        actor.require(Permission.WORK_INBOX)
        conversation = await access_conversation(tx.session, actor, _conversation_id(request))
        name = await display_name_of(tx.session, actor.operator_id)
        await publish(tx.session, operator_typing(conversation.id, body.on, name))
    return web.Response(status=204)


@routes.post(r"/api/v1/conversations/{conversation_id:\d+}/read")
async def read(request: web.Request) -> web.Response:
    body = await read_json(request, ReadBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        conversation = await mark_read_by_operator(tx.session, actor, _conversation_id(request), body.seq)
    return json_response({"operator_read_seq": conversation.operator_read_seq})


@routes.post(r"/api/v1/messages/{message_id:\d+}/retry")
async def retry(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        delivery_id = await retry_delivery(tx.session, actor, MessageId(int(request.match_info["message_id"])))
        tx.on_commit(partial(request.app[outbox_key].after_commit, delivery_id))
    return web.Response(status=202)


@routes.post("/api/v1/attachments")
async def upload(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        actor.require(Permission.WORK_INBOX)
    name, data = await read_file_field(request, max_bytes=MAX_FILE_BYTES)
    async with request.app[database_key].transaction() as tx:
        attachment = await store_attachment(
            tx.session,
            request.app[file_store_key],
            workspace_id=actor.workspace_id,
            contact_id=None,
            name=name,
            data=data,
        )
    view = AttachmentView(
        id=attachment.id, name=attachment.name, content_type=attachment.content_type, size=attachment.size
    )
    return json_response(view.as_json(), status=201)


def _int_query(request: web.Request, name: str) -> int:
    value = request.query.get(name, "0")
    if not value.isdigit():
        raise InvalidInput("{name} must be a whole number.", field=name, name=name)
    return int(value)
