"""The JSON API under /api/v1 for operators, groups, API keys and the workspace's working hours.
Authenticated by the session cookie (CSRF header required for writes; workspace from `X-Workspace`)
or `Authorization: Bearer`."""

from __future__ import annotations

import json
from dataclasses import asdict
from functools import partial

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from accounts.access import access_group
from accounts.api_keys import create_api_key, list_api_keys, revoke_api_key
from accounts.groups import (
    configure_group,
    create_group,
    delete_group,
    list_groups,
    rename_group,
    set_member_capacity,
    set_operator_groups,
)
from accounts.operators import add_member, list_members, member_view, remove_member, set_member_role
from accounts.presence import set_capacity
from accounts.roles import Permission, Role
from accounts.working_hours import WorkingHours, hours_as_json, is_open, next_opening, parse_hours
from accounts.workspaces import access_working_hours, list_workspaces_of, set_working_hours
from admin.identity import api_actor, session_operator
from core.bodies import read_json
from core.ids import ApiKeyId, GroupId, OperatorId
from core.keys import clock_key, database_key, settings_key

routes = web.RouteTableDef()


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NewOperator(_Body):
    email: str
    display_name: str | None = None
    role: Role = Role.OPERATOR


class OperatorChange(_Body):
    role: Role | None = None
    group_ids: list[int] | None = None
    capacity: int | None = None


class GroupChange(_Body):
    name: str | None = None
    assignment_policy: str | None = None
    requeue_on_offline: bool | None = None
    is_default: bool | None = None


class MemberCapacity(_Body):
    capacity: int | None  # None: the operator's own capacity applies


class GroupBody(_Body):
    name: str


class NewApiKeyBody(_Body):
    name: str
    role: Role = Role.ADMIN


class OpeningHoursBody(_Body):
    opens: str
    closes: str


class WorkingHoursBody(_Body):
    """accounts.working_hours.HoursJson; checked there (pydantic only checks the shape)."""

    timezone: str = "UTC"
    always_open: bool = False
    days: dict[str, list[OpeningHoursBody]] = Field(default_factory=dict)
    holidays: list[str] = Field(default_factory=list)


def json_response(data: object, status: int = 200) -> web.Response:
    # default=str: datetimes and enums in the views become ISO strings and their values.
    return web.json_response(data, status=status, dumps=partial(json.dumps, default=str))


@routes.get("/api/v1/me")
async def me(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        operator = await session_operator(request, tx.session)
        workspaces = await list_workspaces_of(tx.session, operator.id)
    return json_response(
        {
            "id": operator.id,
            "email": operator.email,
            "display_name": operator.display_name,
            "locale": operator.locale,
            "workspaces": [asdict(choice) for choice in workspaces],
        }
    )


@routes.get("/api/v1/operators")
async def operators(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        members = await list_members(tx.session, actor)
    return json_response({"operators": [asdict(member) for member in members]})


@routes.post("/api/v1/operators")
async def add_operator(request: web.Request) -> web.Response:
    body = await read_json(request, NewOperator)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        added = await add_member(
            tx.session,
            actor,
            email=body.email,
            display_name=body.display_name or body.email.split("@")[0],
            role=body.role,
            clock=request.app[clock_key],
        )
        view = await member_view(tx.session, actor, added.operator.id)
    invitation = None
    if added.invitation_token is not None:
        invitation = f"{request.app[settings_key].http.base_url}/invite/{added.invitation_token}"
    return json_response({"operator": asdict(view), "invitation_url": invitation}, status=201)


@routes.get("/api/v1/operators/{operator_id:\\d+}")
async def operator(request: web.Request) -> web.Response:
    operator_id = OperatorId(int(request.match_info["operator_id"]))
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        view = await member_view(tx.session, actor, operator_id)
    return json_response({"operator": asdict(view)})


@routes.patch("/api/v1/operators/{operator_id:\\d+}")
async def change_operator(request: web.Request) -> web.Response:
    operator_id = OperatorId(int(request.match_info["operator_id"]))
    body = await read_json(request, OperatorChange)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        actor.require(Permission.MANAGE_OPERATORS)
        if body.role is not None:
            await set_member_role(tx.session, actor, operator_id, body.role)
        if body.group_ids is not None:
            await set_operator_groups(tx.session, actor, operator_id, [GroupId(g) for g in body.group_ids])
        if body.capacity is not None:
            await set_capacity(tx.session, actor, operator_id, body.capacity)
        view = await member_view(tx.session, actor, operator_id)
    return json_response({"operator": asdict(view)})


@routes.delete("/api/v1/operators/{operator_id:\\d+}")
async def delete_operator(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        await remove_member(tx.session, actor, OperatorId(int(request.match_info["operator_id"])))
    return web.Response(status=204)


@routes.get("/api/v1/groups")
async def groups(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        actor.require(Permission.MANAGE_OPERATORS)
        views = await list_groups(tx.session, actor)
    return json_response({"groups": [asdict(view) for view in views]})


@routes.post("/api/v1/groups")
async def add_group(request: web.Request) -> web.Response:
    body = await read_json(request, GroupBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        group = await create_group(tx.session, actor, body.name)
    return json_response({"group": {"id": group.id, "name": group.name, "member_ids": []}}, status=201)


@routes.patch("/api/v1/groups/{group_id:\\d+}")
async def change_group(request: web.Request) -> web.Response:
    body = await read_json(request, GroupChange)
    group_id = GroupId(int(request.match_info["group_id"]))
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        group = await access_group(tx.session, actor, group_id)
        if body.name is not None:
            group = await rename_group(tx.session, actor, group_id, body.name)
        group = await configure_group(
            tx.session,
            actor,
            group_id,
            policy=body.assignment_policy or group.assignment_policy,
            requeue_on_offline=group.requeue_on_offline if body.requeue_on_offline is None else body.requeue_on_offline,
            is_default=group.is_default if body.is_default is None else body.is_default,
        )
        view = next(view for view in await list_groups(tx.session, actor) if view.id == group.id)
    return json_response({"group": asdict(view)})


@routes.put("/api/v1/groups/{group_id:\\d+}/members/{operator_id:\\d+}")
async def change_member_capacity(request: web.Request) -> web.Response:
    body = await read_json(request, MemberCapacity)
    group_id = GroupId(int(request.match_info["group_id"]))
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        operator_id = OperatorId(int(request.match_info["operator_id"]))
        await set_member_capacity(tx.session, actor, group_id, operator_id, body.capacity)
        view = next(view for view in await list_groups(tx.session, actor) if view.id == group_id)
    return json_response({"group": asdict(view)})


@routes.delete("/api/v1/groups/{group_id:\\d+}")
async def remove_group(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        await delete_group(tx.session, actor, GroupId(int(request.match_info["group_id"])))
    return web.Response(status=204)


@routes.get("/api/v1/api-keys")
async def api_keys(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        views = await list_api_keys(tx.session, actor)
    return json_response({"api_keys": [asdict(view) for view in views]})


@routes.post("/api/v1/api-keys")
async def add_api_key(request: web.Request) -> web.Response:
    body = await read_json(request, NewApiKeyBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        key = await create_api_key(tx.session, actor, name=body.name, role=body.role)
    return json_response({"api_key": asdict(key)}, status=201)


@routes.delete("/api/v1/api-keys/{key_id:\\d+}")
async def remove_api_key(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        await revoke_api_key(
            tx.session, actor, ApiKeyId(int(request.match_info["key_id"])), clock=request.app[clock_key]
        )
    return web.Response(status=204)


@routes.get("/api/v1/workspace/working-hours")
async def working_hours(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        hours = await access_working_hours(tx.session, actor)
    return _hours_response(request, hours)


@routes.put("/api/v1/workspace/working-hours")
async def change_working_hours(request: web.Request) -> web.Response:
    body = await read_json(request, WorkingHoursBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        actor.require(Permission.MANAGE_WORKSPACE)  # before saying what is wrong with the hours
        hours = await set_working_hours(tx.session, actor, parse_hours(body.model_dump()))
    return _hours_response(request, hours)


def _hours_response(request: web.Request, hours: WorkingHours) -> web.Response:
    now = request.app[clock_key].now()
    opening = next_opening(hours, now)
    return json_response(
        {
            "working_hours": hours_as_json(hours),
            "open_now": is_open(hours, now),
            "next_opening": None if opening is None else opening.isoformat(),
        }
    )
