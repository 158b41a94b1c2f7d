"""Flows as admins manage them: create, save a draft (the JSON must have the flow's shape; graph
errors are reported and block publishing only), publish an immutable version, roll back to an
earlier one, turn off. A workspace's published flows are what the bot runtime starts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, cast, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.groups import default_group_id
from accounts.models import OperatorGroup, Workspace
from accounts.roles import Permission
from core.db import unique_or
from core.errors import Conflict, InvalidInput, NotFound
from core.ids import FlowId, FlowVersionId, WorkspaceId
from flows.graph import Flow as FlowGraph
from flows.loading import FlowInvalid, build_flow
from flows.models import Flow, FlowVersion
from flows.samples import welcome_flow
from flows.triggers import TriggerKind
from flows.validation import FlowError

NAME_MAX = 120
# Published definitions never change: parsed once per process, keyed by content (ids alone could
# name different definitions in different databases).
_parsed: dict[str, FlowGraph] = {}
_DIGEST = func.md5(cast(FlowVersion.definition, Text))
# Triggers that make the bot the first to own a new dialog.
_GREETING_TRIGGERS = frozenset({TriggerKind.CHAT_OPENED, TriggerKind.FIRST_MESSAGE, TriggerKind.KEYWORD})


@dataclass(frozen=True)
class FlowSummary:
    id: FlowId
    name: str
    published_number: int | None
    latest_number: int | None
    draft_updated_at: datetime
    draft_errors: int


@dataclass(frozen=True)
class VersionSummary:
    id: FlowVersionId
    number: int
    published_at: datetime
    is_live: bool


@dataclass(frozen=True)
class Published:
    version_id: FlowVersionId
    flow_id: FlowId
    name: str
    graph: FlowGraph


def check_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > NAME_MAX:
        raise InvalidInput("A flow needs a name of 1 to {limit} characters.", limit=NAME_MAX, field="name")
    return cleaned


def draft_errors(document: object) -> list[FlowError]:
    """Every error of a draft. Raises FlowInvalid when it does not even have a flow's shape."""
    graph, errors = build_flow(document)
    if graph is None:
        raise FlowInvalid(errors)
    return errors


async def create_flow(session: AsyncSession, actor: Actor, name: str, document: object) -> Flow:
    actor.require(Permission.MANAGE_FLOWS)
    draft_errors(document)
    cleaned = check_name(name)
    flow = Flow(workspace_id=actor.workspace_id, name=cleaned, draft=document)
    async with unique_or(session, _name_taken(cleaned)):
        session.add(flow)
    return flow


async def save_draft(session: AsyncSession, actor: Actor, flow_id: FlowId, document: object, *, at: datetime) -> Flow:
    """A draft with the wrong shape is refused and the saved one kept."""
    actor.require(Permission.MANAGE_FLOWS)
    flow = await access_flow(session, actor, flow_id, for_update=True)
    draft_errors(document)
    flow.draft = document  # type: ignore[assignment]  # a JSON object: draft_errors checked its shape
    flow.draft_updated_at = at
    return flow


async def rename_flow(session: AsyncSession, actor: Actor, flow_id: FlowId, name: str) -> Flow:
    actor.require(Permission.MANAGE_FLOWS)
    flow = await access_flow(session, actor, flow_id, for_update=True)
    cleaned = check_name(name)
    async with unique_or(session, _name_taken(cleaned)):
        flow.name = cleaned
    return flow


async def publish(session: AsyncSession, actor: Actor, flow_id: FlowId, *, at: datetime) -> FlowVersion:
    actor.require(Permission.MANAGE_FLOWS)
    flow = await access_flow(session, actor, flow_id, for_update=True)
    errors = draft_errors(flow.draft)
    if errors:
        raise FlowInvalid(errors)
    number = await session.scalar(
        select(func.coalesce(func.max(FlowVersion.number), 0) + 1).where(FlowVersion.flow_id == flow.id)
    )
    version = FlowVersion(
        workspace_id=flow.workspace_id,
        flow_id=flow.id,
        number=number,
        definition=flow.draft,
        published_at=at,
        published_by=actor.operator_id,
    )
    session.add(version)
    await session.flush()
    flow.published_version_id = version.id
    await refresh_bot_greets(session, flow.workspace_id)
    return version


async def roll_back(session: AsyncSession, actor: Actor, flow_id: FlowId, number: int) -> FlowVersion:
    """Make an earlier version the live one (dialogs already running keep theirs)."""
    actor.require(Permission.MANAGE_FLOWS)
    flow = await access_flow(session, actor, flow_id, for_update=True)
    version = await session.scalar(
        select(FlowVersion).where(FlowVersion.flow_id == flow.id, FlowVersion.number == number)
    )
    if version is None:
        raise NotFound("This flow has no version {number}.", number=number)
    flow.published_version_id = version.id
    await refresh_bot_greets(session, flow.workspace_id)
    return version


async def turn_off(session: AsyncSession, actor: Actor, flow_id: FlowId) -> Flow:
    """No version runs for new dialogs; running ones finish on theirs."""
    actor.require(Permission.MANAGE_FLOWS)
    flow = await access_flow(session, actor, flow_id, for_update=True)
    flow.published_version_id = None
    await refresh_bot_greets(session, flow.workspace_id)
    return flow


async def delete_flow(session: AsyncSession, actor: Actor, flow_id: FlowId) -> None:
    actor.require(Permission.MANAGE_FLOWS)
    flow = await access_flow(session, actor, flow_id, for_update=True)
    await session.delete(flow)
    await session.flush()
    await refresh_bot_greets(session, actor.workspace_id)


async def access_flow(session: AsyncSession, actor: Actor, flow_id: FlowId, *, for_update: bool = False) -> Flow:
    """The flow, if it is the actor's workspace's; another workspace's is 404 like a missing one."""
    query = select(Flow).where(Flow.id == flow_id, Flow.workspace_id == actor.workspace_id)
    if for_update:
        query = query.with_for_update()
    flow = await session.scalar(query)
    if flow is None:
        raise NotFound("No such flow.")
    return flow


async def list_flows(session: AsyncSession, actor: Actor) -> list[FlowSummary]:
    actor.require(Permission.MANAGE_FLOWS)
    latest = (
        select(FlowVersion.flow_id, func.max(FlowVersion.number).label("latest"))
        .group_by(FlowVersion.flow_id)
        .subquery()
    )
    rows = await session.execute(
        select(Flow, FlowVersion.number, latest.c.latest)
        .outerjoin(FlowVersion, FlowVersion.id == Flow.published_version_id)
        .outerjoin(latest, latest.c.flow_id == Flow.id)
        .where(Flow.workspace_id == actor.workspace_id)
        .order_by(Flow.name)
    )
    return [
        FlowSummary(
            id=flow.id,
            name=flow.name,
            published_number=published,
            latest_number=latest_number,
            draft_updated_at=flow.draft_updated_at,
            draft_errors=len(build_flow(flow.draft)[1]),
        )
        for flow, published, latest_number in rows
    ]


async def list_versions(session: AsyncSession, actor: Actor, flow_id: FlowId) -> list[VersionSummary]:
    flow = await access_flow(session, actor, flow_id)
    versions = await session.scalars(
        select(FlowVersion).where(FlowVersion.flow_id == flow.id).order_by(FlowVersion.number.desc())
    )
    return [
        VersionSummary(id=v.id, number=v.number, published_at=v.published_at, is_live=v.id == flow.published_version_id)
        for v in versions
    ]


async def version_definition(session: AsyncSession, actor: Actor, flow_id: FlowId, number: int) -> dict[str, object]:
    flow = await access_flow(session, actor, flow_id)
    definition = await session.scalar(
        select(FlowVersion.definition).where(FlowVersion.flow_id == flow.id, FlowVersion.number == number)
    )
    if definition is None:
        raise NotFound("This flow has no version {number}.", number=number)
    return definition


async def published_flows(session: AsyncSession, workspace_id: WorkspaceId) -> list[Published]:
    """The workspace's live versions, parsed (each once per process), in name order."""
    rows = await session.execute(
        select(FlowVersion.id, FlowVersion.flow_id, Flow.name, FlowVersion.definition, _DIGEST)
        .join(Flow, Flow.published_version_id == FlowVersion.id)
        .where(Flow.workspace_id == workspace_id)
        .order_by(Flow.name)
    )
    return [
        Published(version_id, flow_id, name, _graph(digest, definition))
        for version_id, flow_id, name, definition, digest in rows
    ]


async def published_version(session: AsyncSession, version_id: FlowVersionId) -> FlowGraph | None:
    row = (await session.execute(select(FlowVersion.definition, _DIGEST).where(FlowVersion.id == version_id))).first()
    return None if row is None else _graph(row[1], row[0])


async def refresh_bot_greets(session: AsyncSession, workspace_id: WorkspaceId) -> None:
    """New dialogs start with the bot while a live flow greets them or answers their first words."""
    greets = any(
        trigger.kind in _GREETING_TRIGGERS
        for live in await published_flows(session, workspace_id)
        for trigger in live.graph.triggers
    )
    await session.execute(update(Workspace).where(Workspace.id == workspace_id).values(bot_greets=greets))


def _graph(digest: str, definition: object) -> FlowGraph:
    graph = _parsed.get(digest)
    if graph is None:
        graph, errors = build_flow(definition)
        if graph is None:  # published versions were checked; only a hand-edited row gets here
            raise FlowInvalid(errors)
        _parsed[digest] = graph
    return graph


def _name_taken(name: str) -> Conflict:
    return Conflict("A flow named {name} already exists.", field="name", name=name)


async def keep_built_in_flow(
    session: AsyncSession,
    workspace_id: WorkspaceId,
    name: str,
    definition: Mapping[str, object],
    *,
    live: bool,
    at: datetime,
) -> None:
    """A flow a setting stands for (the AI bot answering first messages): created and published
    when `live`, turned off when not. An admin may edit it on the Flows page like any other; a
    published edit is kept."""
    flow = await session.scalar(
        select(Flow).where(Flow.workspace_id == workspace_id, Flow.name == name).with_for_update()
    )
    if flow is None and not live:
        return
    if flow is None:
        flow = Flow(workspace_id=workspace_id, name=name, draft=dict(definition), draft_updated_at=at)
        session.add(flow)
        await session.flush()
    if live and flow.published_version_id is None:
        number = await session.scalar(
            select(func.coalesce(func.max(FlowVersion.number), 0) + 1).where(FlowVersion.flow_id == flow.id)
        )
        version = FlowVersion(
            workspace_id=workspace_id, flow_id=flow.id, number=number, definition=flow.draft, published_at=at
        )
        session.add(version)
        await session.flush()
        flow.published_version_id = version.id
    elif not live:
        flow.published_version_id = None
    await refresh_bot_greets(session, workspace_id)


async def ensure_demo_flows(session: AsyncSession, workspace_id: WorkspaceId, *, language: str, at: datetime) -> bool:
    """The demo's welcome bot, published, and the Support group it hands off to (the default
    queue), unless the workspace already has flows. True when it created them."""
    if await session.scalar(select(Flow.id).where(Flow.workspace_id == workspace_id).limit(1)) is not None:
        return False
    if await default_group_id(session, workspace_id) is None:
        session.add(OperatorGroup(workspace_id=workspace_id, name="Support", is_default=True))
    flow = Flow(workspace_id=workspace_id, name="Welcome bot", draft=welcome_flow(language), draft_updated_at=at)
    session.add(flow)
    await session.flush()
    version = FlowVersion(workspace_id=workspace_id, flow_id=flow.id, number=1, definition=flow.draft, published_at=at)
    session.add(version)
    await session.flush()
    flow.published_version_id = version.id
    await refresh_bot_greets(session, workspace_id)
    return True
