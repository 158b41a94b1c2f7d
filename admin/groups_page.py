"""The Groups and capacity page (an admin's, linked from Operators): how each group's queue is served
(assignment policy, re-queue when an operator goes offline, the default group for new dialogs, its
members' capacity overrides), each operator's capacity beside their presence and load, and whether
operators see only their groups' dialogs. A refused form comes back with what was typed and why."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from aiohttp import web
from aiohttp_session import get_session

from accounts.groups import GroupView, configure_group, list_groups, rename_group, set_member_capacity
from accounts.operators import list_members
from accounts.presence import MAX_CAPACITY, set_capacity
from accounts.roles import Permission, can
from accounts.workspaces import access_group_visibility, set_group_visibility
from admin.forms import FormData, submit_and_return, text_field
from admin.identity import open_workspace
from admin.rendering import flash, render_shell
from conversations.assignment import operator_loads
from core.errors import Conflict, InvalidInput, NotFound
from core.i18n import N_, gettext
from core.ids import GroupId, OperatorId
from core.keys import database_key

routes = web.RouteTableDef()

POLICY_NAMES = {
    "round_robin": N_("Round robin: operators take turns"),
    "least_busy": N_("Least busy: whoever has the fewest open dialogs"),
}
PRESENCE_NAMES = {"online": N_("Online"), "away": N_("Away"), "offline": N_("Offline")}


@dataclass(frozen=True)
class GroupForm:
    """A group's settings form, as stored or as typed."""

    name: str
    policy: str
    requeue_on_offline: bool
    is_default: bool
    capacities: Mapping[OperatorId, str]  # per member; "": the operator's own capacity applies

    @classmethod
    def of(cls, group: GroupView) -> GroupForm:
        overrides = group.member_capacity
        return cls(
            name=group.name,
            policy=group.assignment_policy,
            requeue_on_offline=group.requeue_on_offline,
            is_default=group.is_default,
            capacities={member: str(overrides.get(member, "")) for member in group.member_ids},
        )

    @classmethod
    def from_post(cls, form: FormData, members: Sequence[OperatorId]) -> GroupForm:
        return cls(
            name=text_field(form, "name"),
            policy=text_field(form, "assignment_policy"),
            requeue_on_offline=text_field(form, "requeue_on_offline") == "on",
            is_default=text_field(form, "is_default") == "on",
            capacities={
                member: text_field(form, f"capacity_{member}").strip()
                for member in members
                if f"capacity_{member}" in form
            },
        )


class _Refused(Exception):
    """Rolls a form's transaction back: nothing of it is saved. `errors`: translated, by input id."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


@routes.get("/w/{slug}/operators/groups")
async def groups_page(request: web.Request) -> web.StreamResponse:
    return await _render(request)


@routes.post("/w/{slug}/operators/groups/{group_id:\\d+}")
async def group_settings_form(request: web.Request) -> web.StreamResponse:
    group_id = GroupId(int(request.match_info["group_id"]))
    form = await request.post()
    typed: GroupForm | None = None
    try:
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            actor = visit.actor
            actor.require(Permission.MANAGE_OPERATORS)
            group = _find(await list_groups(tx.session, actor), group_id)
            typed = GroupForm.from_post(form, group.member_ids)
            errors: dict[str, str] = {}
            with _noting(errors, f"group-{group_id}-name"):
                await rename_group(tx.session, actor, group_id, typed.name)
            with _noting(errors, f"group-{group_id}-policy"):
                await configure_group(
                    tx.session,
                    actor,
                    group_id,
                    policy=typed.policy,
                    requeue_on_offline=typed.requeue_on_offline,
                    is_default=typed.is_default,
                )
            for operator_id, text in typed.capacities.items():
                with _noting(errors, f"group-{group_id}-capacity-{operator_id}"):
                    capacity = _capacity(text) if text else None  # blank: their own applies
                    if capacity != group.member_capacity.get(operator_id):
                        await set_member_capacity(tx.session, actor, group_id, operator_id, capacity)
            if errors:
                raise _Refused(errors)
    except _Refused as refused:
        assert typed is not None
        return await _refuse(request, refused, typed_groups={group_id: typed})
    return await _saved(request)


@routes.post("/w/{slug}/operators/capacity")
async def capacity_form(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    typed: dict[OperatorId, str] = {}
    try:
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            actor = visit.actor
            actor.require(Permission.MANAGE_OPERATORS)
            errors: dict[str, str] = {}
            for member in await list_members(tx.session, actor):
                field = f"capacity_{member.operator_id}"
                if field not in form:
                    continue
                typed[member.operator_id] = text_field(form, field).strip()
                with _noting(errors, f"capacity-{member.operator_id}"):
                    capacity = _capacity(typed[member.operator_id])
                    if capacity != member.capacity:
                        await set_capacity(tx.session, actor, member.operator_id, capacity)
            if errors:
                raise _Refused(errors)
    except _Refused as refused:
        return await _refuse(request, refused, typed_capacity=typed)
    return await _saved(request)


@routes.post("/w/{slug}/operators/visibility")
async def visibility_form(request: web.Request) -> web.StreamResponse:
    async def save(form: FormData) -> str:
        async with request.app[database_key].transaction() as tx:
            visit = await open_workspace(request, tx.session)
            restricted = text_field(form, "restrict_to_groups") == "on"
            await set_group_visibility(tx.session, visit.actor, restrict_to_groups=restricted)
        return gettext("Saved.")

    return await submit_and_return(request, _page(request), save)


async def _render(
    request: web.Request,
    *,
    typed_groups: Mapping[GroupId, GroupForm] | None = None,
    typed_capacity: Mapping[OperatorId, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> web.StreamResponse:
    """The page; what was typed into a refused form is shown instead of what is stored."""
    async with request.app[database_key].transaction() as tx:
        visit = await open_workspace(request, tx.session)
        visit.actor.require(Permission.MANAGE_OPERATORS)
        members = await list_members(tx.session, visit.actor)
        groups = await list_groups(tx.session, visit.actor)
        restricted = await access_group_visibility(tx.session, visit.actor)
        loads = await operator_loads(tx.session, visit.actor.workspace_id, [m.operator_id for m in members])
    typed_groups = typed_groups or {}
    typed_capacity = typed_capacity or {}
    answering = [member for member in members if can(member.role, Permission.WORK_INBOX)]
    context = {
        "answering": answering,
        "members": {member.operator_id: member for member in members},
        "loads": loads,
        "capacities": {
            member.operator_id: typed_capacity.get(member.operator_id, str(member.capacity)) for member in answering
        },
        "groups": groups,
        "group_forms": {group.id: typed_groups.get(group.id) or GroupForm.of(group) for group in groups},
        "errors": errors or {},
        "restricted": restricted,
        "policies": POLICY_NAMES,
        "presence_names": PRESENCE_NAMES,
        "max_capacity": MAX_CAPACITY,
    }
    response = await render_shell(request, "operators_groups.html", visit, "operators", context)
    response.set_status(status)
    return response


async def _refuse(
    request: web.Request,
    refused: _Refused,
    *,
    typed_groups: Mapping[GroupId, GroupForm] | None = None,
    typed_capacity: Mapping[OperatorId, str] | None = None,
) -> web.StreamResponse:
    # Shown again with what was typed (a redirect would lose it); each field says what is wrong.
    flash(await get_session(request), gettext("Nothing was saved: correct the marked fields."), kind="error")
    return await _render(
        request, typed_groups=typed_groups, typed_capacity=typed_capacity, errors=refused.errors, status=400
    )


async def _saved(request: web.Request) -> web.StreamResponse:
    flash(await get_session(request), gettext("Saved."), kind="success")
    raise web.HTTPSeeOther(_page(request))


@contextmanager
def _noting(errors: dict[str, str], field: str) -> Iterator[None]:
    """Note why a change was refused under `field`'s id and go on checking the rest of the form."""
    try:
        yield
    except (InvalidInput, Conflict) as error:
        errors.setdefault(field, error.translated(gettext))


def _capacity(text: str) -> int:
    """A typed capacity as a number (its range is for the domain to check)."""
    if re.fullmatch(r"[+-]?[0-9]+", text):
        with suppress(ValueError):  # more digits than Python converts
            return int(text)
    raise InvalidInput("Capacity must be a whole number of dialogs.", field="capacity")


def _find(groups: Sequence[GroupView], group_id: GroupId) -> GroupView:
    for group in groups:
        if group.id == group_id:
            return group
    raise NotFound("Group not found.")


def _page(request: web.Request) -> str:
    return f"/w/{request.match_info['slug']}/operators/groups"
