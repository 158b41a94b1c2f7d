"""The operators' JSON API for the inbox (docs/inbox-api.md): the inbox list and its counts,
snoozing, tags on conversations, the workspace's tags, canned replies and the contact card."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from admin.api import json_response
from admin.identity import api_actor
from conversations.canned_replies import (
    CannedReplyFields,
    create_canned_reply,
    delete_canned_reply,
    list_canned_replies,
    update_canned_reply,
)
from conversations.contact_card import contact_card, update_contact
from conversations.inbox import InboxFilter, check_filter, inbox_counts, inbox_page
from conversations.lifecycle import snooze_conversation
from conversations.queries import conversation_json
from conversations.tags import create_tag, delete_tag, list_tags, tag_conversation, untag_conversation, update_tag
from core.bodies import read_json
from core.ids import CannedReplyId, ContactId, ConversationId, TagId
from core.keys import clock_key, database_key

routes = web.RouteTableDef()


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SnoozeBody(_Body):
    until: datetime


class TagRef(_Body):
    tag_id: int


class NewTag(_Body):
    name: str
    color: str | None = None


class TagChange(_Body):
    name: str | None = None
    color: str | None = None


class CannedReplyBody(_Body):
    shortcut: str | None = None
    title: str | None = None
    body: str | None = None
    shared: bool | None = None

    def fields(self) -> CannedReplyFields:
        return CannedReplyFields(shortcut=self.shortcut, title=self.title, body=self.body, shared=self.shared)


class ContactChange(_Body):
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    properties: dict[str, str | None] = Field(default_factory=dict, max_length=100)


def _id(request: web.Request, name: str) -> int:
    return int(request.match_info[name])


@routes.get("/api/v1/inbox")
async def inbox(request: web.Request) -> web.Response:
    filters = _filters(request)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        page = await inbox_page(
            tx.session, actor, request.query.get("view", "open"), filters, before=request.query.get("before")
        )
    return json_response({"conversations": page.conversations, "next": page.next})


@routes.get("/api/v1/inbox/counts")
async def counts(request: web.Request) -> web.Response:
    filters = _filters(request)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        found = await inbox_counts(tx.session, actor, filters)
    return json_response(found)


@routes.post(r"/api/v1/conversations/{conversation_id:\d+}/snooze")
async def snooze(request: web.Request) -> web.Response:
    body = await read_json(request, SnoozeBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        conversation = await snooze_conversation(
            tx.session,
            actor,
            ConversationId(_id(request, "conversation_id")),
            until=body.until,
            now=request.app[clock_key].now(),
        )
    return json_response({"conversation": conversation_json(conversation)})


@routes.post(r"/api/v1/conversations/{conversation_id:\d+}/tags")
async def add_conversation_tag(request: web.Request) -> web.Response:
    body = await read_json(request, TagRef)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        conversation_id = ConversationId(_id(request, "conversation_id"))
        tags = await tag_conversation(tx.session, actor, conversation_id, TagId(body.tag_id))
    return json_response({"tags": tags})


@routes.delete(r"/api/v1/conversations/{conversation_id:\d+}/tags/{tag_id:\d+}")
async def remove_conversation_tag(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        conversation_id = ConversationId(_id(request, "conversation_id"))
        tags = await untag_conversation(tx.session, actor, conversation_id, TagId(_id(request, "tag_id")))
    return json_response({"tags": tags})


@routes.get("/api/v1/tags")
async def tags(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        views = await list_tags(tx.session, actor)
    return json_response({"tags": [view.as_json() for view in views]})


@routes.post("/api/v1/tags")
async def add_tag(request: web.Request) -> web.Response:
    body = await read_json(request, NewTag)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        view = await create_tag(tx.session, actor, body.name, color=body.color)
    return json_response({"tag": view.as_json()}, status=201)


@routes.patch(r"/api/v1/tags/{tag_id:\d+}")
async def change_tag(request: web.Request) -> web.Response:
    body = await read_json(request, TagChange)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        view = await update_tag(tx.session, actor, TagId(_id(request, "tag_id")), name=body.name, color=body.color)
    return json_response({"tag": view.as_json()})


@routes.delete(r"/api/v1/tags/{tag_id:\d+}")
async def remove_tag(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        await delete_tag(tx.session, actor, TagId(_id(request, "tag_id")))
    return web.Response(status=204)


@routes.get("/api/v1/canned-replies")
async def canned_replies(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        views = await list_canned_replies(tx.session, actor, prefix=request.query.get("q"))
    return json_response({"canned_replies": [view.as_json() for view in views]})


@routes.post("/api/v1/canned-replies")
async def add_canned_reply(request: web.Request) -> web.Response:
    body = await read_json(request, CannedReplyBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        view = await create_canned_reply(tx.session, actor, body.fields())
    return json_response({"canned_reply": view.as_json()}, status=201)


@routes.patch(r"/api/v1/canned-replies/{reply_id:\d+}")
async def change_canned_reply(request: web.Request) -> web.Response:
    body = await read_json(request, CannedReplyBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        view = await update_canned_reply(tx.session, actor, CannedReplyId(_id(request, "reply_id")), body.fields())
    return json_response({"canned_reply": view.as_json()})


@routes.delete(r"/api/v1/canned-replies/{reply_id:\d+}")
async def remove_canned_reply(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        await delete_canned_reply(tx.session, actor, CannedReplyId(_id(request, "reply_id")))
    return web.Response(status=204)


@routes.get(r"/api/v1/contacts/{contact_id:\d+}")
async def contact(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        card = await contact_card(tx.session, actor, ContactId(_id(request, "contact_id")))
    return json_response(card)


@routes.patch(r"/api/v1/contacts/{contact_id:\d+}")
async def change_contact(request: web.Request) -> web.Response:
    body = await read_json(request, ContactChange)
    # Only the fields sent change: a field sent as null clears it.
    sent = {"name": body.name, "email": body.email, "phone": body.phone}
    fields = {name: value for name, value in sent.items() if name in body.model_fields_set}
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        card = await update_contact(
            tx.session, actor, ContactId(_id(request, "contact_id")), fields=fields, properties=body.properties
        )
    return json_response({"contact": card})


def _filters(request: web.Request) -> InboxFilter:
    query = request.query
    return check_filter(
        group=query.get("group"), tag=query.get("tag"), channel=query.get("channel"), search=query.get("q")
    )
