"""Operator groups of a workspace (Support, Sales...): create, rename, delete, list with members."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.access import access_group, access_member
from accounts.actors import Actor
from accounts.models import GroupMember, OperatorGroup
from accounts.roles import Permission
from accounts.validation import check_name
from core.db import unique_or
from core.errors import Conflict
from core.ids import GroupId, OperatorId


@dataclass(frozen=True)
class GroupView:
    id: GroupId
    name: str
    member_ids: tuple[OperatorId, ...]


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
        select(GroupMember.group_id, GroupMember.operator_id).where(GroupMember.workspace_id == actor.workspace_id)
    )
    by_group: dict[GroupId, list[OperatorId]] = {}
    for group_id, operator_id in members:
        by_group.setdefault(group_id, []).append(operator_id)
    return [GroupView(id=g.id, name=g.name, member_ids=tuple(sorted(by_group.get(g.id, [])))) for g in groups]


async def set_operator_groups(
    session: AsyncSession, actor: Actor, operator_id: OperatorId, group_ids: Sequence[GroupId]
) -> None:
    """Make the operator a member of exactly `group_ids` within the actor's workspace."""
    actor.require(Permission.MANAGE_OPERATORS)
    await access_member(session, actor, operator_id)
    for group_id in set(group_ids):
        await access_group(session, actor, group_id)
    await session.execute(
        delete(GroupMember).where(
            GroupMember.workspace_id == actor.workspace_id, GroupMember.operator_id == operator_id
        )
    )
    session.add_all(
        GroupMember(group_id=group_id, operator_id=operator_id, workspace_id=actor.workspace_id)
        for group_id in sorted(set(group_ids))
    )
    await session.flush()
