"""Operator groups of a workspace (Support, Sales...): create, rename, delete, list with members,
and how each group's queue is served (policy, default group, re-queue on offline, capacity overrides)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.access import access_group, access_member
from accounts.actors import Actor
from accounts.models import GroupMember, OperatorGroup
from accounts.presence import check_capacity
from accounts.roles import Permission
from accounts.validation import check_name
from core.db import unique_or
from core.errors import Conflict, InvalidInput, NotFound
from core.ids import GroupId, OperatorId, WorkspaceId

POLICIES = ("round_robin", "least_busy")


@dataclass(frozen=True)
class GroupView:
    id: GroupId
    name: str
    member_ids: tuple[OperatorId, ...]
    assignment_policy: str
    requeue_on_offline: bool
    is_default: bool
    member_capacity: dict[OperatorId, int]  # the overrides only


def _name_taken(name: str) -> Conflict:
    return Conflict("A group named {name} already exists.", field="name", name=name)


async def create_group(session: AsyncSession, actor: Actor, name: str) -> OperatorGroup:
    actor.require(Permission.MANAGE_OPERATORS)
    cleaned = check_name(name, field="name", max_length=80)
    group = OperatorGroup(workspace_id=actor.workspace_id, name=cleaned)
    async with unique_or(session, _name_taken(cleaned)):
        session.add(group)
    return group


async def rename_group(session: AsyncSession, actor: Actor, group_id: GroupId, name: str) -> OperatorGroup:
    actor.require(Permission.MANAGE_OPERATORS)
    group = await access_group(session, actor, group_id)
    cleaned = check_name(name, field="name", max_length=80)
    async with unique_or(session, _name_taken(cleaned)):
        group.name = cleaned
    return group


async def delete_group(session: AsyncSession, actor: Actor, group_id: GroupId) -> None:
    actor.require(Permission.MANAGE_OPERATORS)
    group = await access_group(session, actor, group_id)
    await session.delete(group)
    await session.flush()


async def list_groups(session: AsyncSession, actor: Actor) -> list[GroupView]:
    groups = (
        await session.execute(
            select(OperatorGroup).where(OperatorGroup.workspace_id == actor.workspace_id).order_by(OperatorGroup.name)
        )
    ).scalars()
    members = await session.execute(
        select(GroupMember.group_id, GroupMember.operator_id, GroupMember.capacity).where(
            GroupMember.workspace_id == actor.workspace_id
        )
    )
    by_group: dict[GroupId, list[OperatorId]] = {}
    overrides: dict[GroupId, dict[OperatorId, int]] = {}
    for group_id, operator_id, capacity in members:
        by_group.setdefault(group_id, []).append(operator_id)
        if capacity is not None:
            overrides.setdefault(group_id, {})[operator_id] = capacity
    return [
        GroupView(
            id=group.id,
            name=group.name,
            member_ids=tuple(sorted(by_group.get(group.id, []))),
            assignment_policy=group.assignment_policy,
            requeue_on_offline=group.requeue_on_offline,
            is_default=group.is_default,
            member_capacity=overrides.get(group.id, {}),
        )
        for group in groups
    ]


async def configure_group(
    session: AsyncSession, actor: Actor, group_id: GroupId, *, policy: str, requeue_on_offline: bool, is_default: bool
) -> OperatorGroup:
    """How the group's queue is served; `is_default`: new dialogs nobody routed elsewhere come here."""
    actor.require(Permission.MANAGE_OPERATORS)
    group = await access_group(session, actor, group_id)
    if policy not in POLICIES:
        raise InvalidInput("Assignment policy must be round_robin or least_busy.", field="assignment_policy")
    if is_default and not group.is_default:
        await session.execute(
            update(OperatorGroup)
            .where(OperatorGroup.workspace_id == actor.workspace_id, OperatorGroup.is_default)
            .values(is_default=False)
        )
    group.assignment_policy = policy
    group.requeue_on_offline = requeue_on_offline
    group.is_default = is_default
    await session.flush()
    return group


async def set_member_capacity(
    session: AsyncSession, actor: Actor, group_id: GroupId, operator_id: OperatorId, capacity: int | None
) -> None:
    """Override (or with None, stop overriding) the operator's capacity for this group's dialogs."""
    actor.require(Permission.MANAGE_OPERATORS)
    await access_group(session, actor, group_id)
    member = await session.scalar(
        select(GroupMember).where(GroupMember.group_id == group_id, GroupMember.operator_id == operator_id)
    )
    if member is None:
        raise NotFound("Operator not found.")
    member.capacity = None if capacity is None else check_capacity(capacity)
    await session.flush()


async def default_group_id(session: AsyncSession, workspace_id: WorkspaceId) -> GroupId | None:
    return await session.scalar(
        select(OperatorGroup.id).where(OperatorGroup.workspace_id == workspace_id, OperatorGroup.is_default)
    )


async def set_operator_groups(
    session: AsyncSession, actor: Actor, operator_id: OperatorId, group_ids: Sequence[GroupId]
) -> None:
    """Make the operator a member of exactly `group_ids` within the actor's workspace."""
    actor.require(Permission.MANAGE_OPERATORS)
    await access_member(session, actor, operator_id)
    for group_id in set(group_ids):
        await access_group(session, actor, group_id)
    wanted = set(group_ids)
    current = set(
        await session.scalars(
            select(GroupMember.group_id).where(
                GroupMember.workspace_id == actor.workspace_id, GroupMember.operator_id == operator_id
            )
        )
    )
    # Only the difference: kept memberships keep their capacity override and round-robin turn.
    if current - wanted:
        await session.execute(
            delete(GroupMember).where(
                GroupMember.operator_id == operator_id, GroupMember.group_id.in_(sorted(current - wanted))
            )
        )
    session.add_all(
        GroupMember(group_id=group_id, operator_id=operator_id, workspace_id=actor.workspace_id)
        for group_id in sorted(wanted - current)
    )
    await session.flush()
