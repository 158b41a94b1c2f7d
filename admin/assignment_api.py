"""The operators' JSON API for who answers: presence, take, transfer, unassign, and the queue
overview supervisors watch (docs/inbox-api.md)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, model_validator

from accounts.presence import Presence, check_presence, set_presence
from admin.api import json_response
from admin.identity import api_actor
from conversations.assignment import requeue_operator_dialogs
from conversations.events import presence_changed
from conversations.models import Conversation
from conversations.queries import view_of_conversation
from conversations.queue_overview import presence_summary, queue_overview
from conversations.routing import (
    return_to_bot,
    take_conversation,
    transfer_targets,
    transfer_to_group,
    transfer_to_operator,
    unassign_conversation,
)
from core.bodies import read_json
from core.ids import ConversationId, GroupId, OperatorId
from core.keys import clock_key, database_key
from core.realtime import publish

routes = web.RouteTableDef()


class PresenceBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    presence: str


class TransferBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    operator_id: int | None = Field(default=None, gt=0)
    group_id: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_target(self) -> TransferBody:
        if (self.operator_id is None) == (self.group_id is None):
            raise ValueError("give either operator_id or group_id")
        return self


@routes.get("/api/v1/presence")
async def read_presence(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        answer = await presence_summary(tx.session, actor)
    return json_response(answer)


@routes.put("/api/v1/presence")
async def change_presence(request: web.Request) -> web.Response:
    body = await read_json(request, PresenceBody)
    presence = check_presence(body.presence)
    now = request.app[clock_key].now()
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        change = await set_presence(tx.session, actor, presence, now=now)
        if presence is Presence.OFFLINE:
            await requeue_operator_dialogs(tx.session, change.workspace_id, change.operator_id, now=now)
        await publish(tx.session, presence_changed(change.workspace_id, change.operator_id, presence.value))
        answer = await presence_summary(tx.session, actor)
    return json_response(answer)


@routes.post(r"/api/v1/conversations/{conversation_id:\d+}/take")
async def take(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        conversation = await take_conversation(tx.session, actor, _conversation_id(request), now=_now(request))
    return _conversation_response(conversation)


@routes.post(r"/api/v1/conversations/{conversation_id:\d+}/transfer")
async def transfer(request: web.Request) -> web.Response:
    body = await read_json(request, TransferBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        if body.operator_id is not None:
            conversation = await transfer_to_operator(
                tx.session, actor, _conversation_id(request), OperatorId(body.operator_id), now=_now(request)
            )
        else:
            assert body.group_id is not None
            conversation = await transfer_to_group(
                tx.session, actor, _conversation_id(request), GroupId(body.group_id), now=_now(request)
            )
    return _conversation_response(conversation)


@routes.get(r"/api/v1/conversations/{conversation_id:\d+}/transfer-targets")
async def targets(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        people = await transfer_targets(tx.session, actor, _conversation_id(request))
    return json_response({"operators": [asdict(person) for person in people]})


@routes.post(r"/api/v1/conversations/{conversation_id:\d+}/return-to-bot")
async def give_back_to_bot(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        conversation = await return_to_bot(tx.session, actor, _conversation_id(request))
    return _conversation_response(conversation)


@routes.post(r"/api/v1/conversations/{conversation_id:\d+}/unassign")
async def unassign(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        conversation = await unassign_conversation(tx.session, actor, _conversation_id(request), now=_now(request))
    return _conversation_response(conversation)


@routes.get("/api/v1/queue")
async def queue(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        overview = await queue_overview(tx.session, actor, now=_now(request))
    return json_response(overview)


def _conversation_response(conversation: Conversation) -> web.Response:
    return json_response({"conversation": view_of_conversation(conversation).for_operator()})


def _conversation_id(request: web.Request) -> ConversationId:
    return ConversationId(int(request.match_info["conversation_id"]))


def _now(request: web.Request) -> datetime:
    return request.app[clock_key].now()
