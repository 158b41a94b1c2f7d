"""The flows JSON API behind the flow editor (docs/flows-api.md): list and create flows, save a draft
(every error located; a draft without a flow's shape is refused whole), rename, delete, publish,
roll back, turn off, read a version, and preview the draft. Admins only: Permission.MANAGE_FLOWS."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict
from pydantic import JsonValue as AnyJson
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Permission
from admin.ai_answer_pipeline import answer_pipeline
from admin.api import json_response
from admin.flow_preview import PreviewBody, run_preview, turn_json
from admin.identity import api_actor
from bots.ai.preview import preview_answer
from bots.ai.settings import ai_config
from bots.runs import node_counters
from core.bodies import read_json
from core.i18n import active_locale, gettext
from core.ids import FlowId
from core.keys import clock_key, database_key, secret_box_key
from flows.events import AIOutcome
from flows.loading import FlowInvalid, build_flow
from flows.store import (
    FlowSummary,
    access_flow,
    create_flow,
    delete_flow,
    list_flows,
    list_versions,
    publish,
    rename_flow,
    roll_back,
    save_draft,
    turn_off,
    version_definition,
)
from flows.validation import FlowError
from flows.values import JsonValue

routes = web.RouteTableDef()
FLOW = r"/api/v1/flows/{flow_id:\d+}"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NewFlowBody(_Body):
    name: str
    definition: AnyJson = None  # None: starter_flow()


class DraftBody(_Body):
    definition: AnyJson


class RenameBody(_Body):
    name: str


class RollbackBody(_Body):
    number: int


def starter_flow() -> dict[str, JsonValue]:
    """A new flow: one greeting when the visitor opens the chat (valid, so it can be published)."""
    greeting: dict[str, JsonValue] = {"kind": "message", "id": "hello", "text": gettext("Hello! How can we help?")}
    return {"schema": 1, "start": "hello", "triggers": [{"type": "chat_opened"}], "nodes": [greeting]}


def error_json(error: FlowError) -> dict[str, JsonValue]:
    return {"path": error.path, "code": str(error.code), "message": error.message, "node_id": error.node_id}


def summary_json(summary: FlowSummary) -> dict[str, JsonValue]:
    return {
        "id": summary.id,
        "name": summary.name,
        "published_number": summary.published_number,
        "latest_number": summary.latest_number,
        "draft_updated_at": summary.draft_updated_at.isoformat(),
        "draft_errors": summary.draft_errors,
    }


async def flow_json(session: AsyncSession, actor: Actor, flow_id: FlowId) -> dict[str, JsonValue]:
    """The editor's view: the draft and its errors, the versions, and the live version's counters."""
    actor.require(Permission.MANAGE_FLOWS)
    flow = await access_flow(session, actor, flow_id)
    versions = await list_versions(session, actor, flow_id)
    live = next((version for version in versions if version.is_live), None)
    counters = {} if live is None else await node_counters(session, live.id)
    draft: JsonValue = flow.draft  # type: ignore[assignment]  # a JSON object, as stored
    return {
        "id": flow.id,
        "name": flow.name,
        "draft": draft,
        "draft_updated_at": flow.draft_updated_at.isoformat(),
        "errors": [error_json(error) for error in build_flow(flow.draft)[1]],
        "versions": [
            {"number": v.number, "published_at": v.published_at.isoformat(), "is_live": v.is_live} for v in versions
        ],
        "live_number": None if live is None else live.number,
        "counters": {node: dict(outcomes) for node, outcomes in counters.items()},
    }


def _flow_id(request: web.Request) -> FlowId:
    return FlowId(int(request.match_info["flow_id"]))


@routes.get("/api/v1/flows")
async def flows(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        summaries = await list_flows(tx.session, actor)
    return json_response({"flows": [summary_json(summary) for summary in summaries]})


@routes.post("/api/v1/flows")
async def add_flow(request: web.Request) -> web.Response:
    body = await read_json(request, NewFlowBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        document = starter_flow() if body.definition is None else body.definition
        flow = await create_flow(tx.session, actor, body.name, document)
        view = await flow_json(tx.session, actor, flow.id)
    return json_response({"flow": view}, status=201)


@routes.get(FLOW)
async def flow(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        view = await flow_json(tx.session, actor, _flow_id(request))
    return json_response({"flow": view})


@routes.put(FLOW + "/draft")
async def change_draft(request: web.Request) -> web.Response:
    """200 with the graph errors (saved anyway); 400 FlowInvalid when the shape is wrong (kept as it was)."""
    body = await read_json(request, DraftBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        saved = await save_draft(tx.session, actor, _flow_id(request), body.definition, at=request.app[clock_key].now())
        errors = build_flow(saved.draft)[1]
        updated_at = saved.draft_updated_at.isoformat()
    return json_response({"errors": [error_json(error) for error in errors], "draft_updated_at": updated_at})


@routes.patch(FLOW)
async def change_flow(request: web.Request) -> web.Response:
    body = await read_json(request, RenameBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        await rename_flow(tx.session, actor, _flow_id(request), body.name)
        view = await flow_json(tx.session, actor, _flow_id(request))
    return json_response({"flow": view})


@routes.delete(FLOW)
async def remove_flow(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        await delete_flow(tx.session, actor, _flow_id(request))
    return web.Response(status=204)


@routes.post(FLOW + "/publish")
async def publish_flow(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        version = await publish(tx.session, actor, _flow_id(request), at=request.app[clock_key].now())
        number = version.number
    return json_response({"number": number, "live_number": number})


@routes.post(FLOW + "/rollback")
async def roll_back_flow(request: web.Request) -> web.Response:
    body = await read_json(request, RollbackBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        version = await roll_back(tx.session, actor, _flow_id(request), body.number)
        number = version.number
    return json_response({"live_number": number})


@routes.post(FLOW + "/turn-off")
async def turn_off_flow(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        await turn_off(tx.session, actor, _flow_id(request))
    return json_response({"live_number": None})


@routes.get(FLOW + r"/versions/{number:\d+}")
async def flow_version(request: web.Request) -> web.Response:
    number = int(request.match_info["number"])
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        actor.require(Permission.MANAGE_FLOWS)
        definition = await version_definition(tx.session, actor, _flow_id(request), number)
    return json_response({"number": number, "definition": definition})


@routes.post(FLOW + "/preview")
async def preview_flow(request: web.Request) -> web.Response:
    """Steps the saved draft in memory (admin.flow_preview); reads the flow and writes nothing."""
    body = await read_json(request, PreviewBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        actor.require(Permission.MANAGE_FLOWS)
        draft = (await access_flow(tx.session, actor, _flow_id(request))).draft
        config = await ai_config(tx.session, actor.workspace_id, request.app[secret_box_key])
    graph, errors = build_flow(draft)
    if graph is None:  # saved drafts have a flow's shape; only a hand-edited row gets here
        raise FlowInvalid(errors)
    language = active_locale()

    async def ask_ai(question: str) -> tuple[str, AIOutcome, str | None]:
        pipeline = answer_pipeline(request.app)
        return await preview_answer(pipeline, config, actor.workspace_id, actor.workspace_slug, question, language)

    return json_response(turn_json(await run_preview(graph, body, language=language, ask_ai=ask_ai)))
