"""The only way to load tenant rows: each `access_*` checks the workspace (and membership) and raises
NotFound for "missing" and "not yours" alike, so another workspace's ids reveal nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.models import ApiKey, Membership, Operator, OperatorGroup, Workspace
from accounts.roles import Role
from core.errors import NotFound
from core.ids import ApiKeyId, GroupId, OperatorId


async def access_workspace_as_operator(session: AsyncSession, operator_id: OperatorId, slug: str) -> Actor:
    """The operator's actor in workspace `slug`; NotFound unless they are an active member."""
    row = (
        await session.execute(
            select(Workspace.id, Workspace.slug, Membership.role)
            .join(Membership, Membership.workspace_id == Workspace.id)
            .join(Operator, Operator.id == Membership.operator_id)
            .where(Workspace.slug == slug)
            .where(Membership.operator_id == operator_id)
            .where(Operator.is_active)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("Workspace not found.")
    return Actor(workspace_id=row.id, workspace_slug=row.slug, role=Role(row.role), operator_id=operator_id)


async def access_workspace(session: AsyncSession, actor: Actor) -> Workspace:
    workspace = await session.get(Workspace, actor.workspace_id)
    if workspace is None:
        raise NotFound("Workspace not found.")
    return workspace


async def access_member(session: AsyncSession, actor: Actor, operator_id: OperatorId) -> tuple[Operator, Membership]:
    """An operator of the actor's workspace, with their membership."""
    row = (
        await session.execute(
            select(Operator, Membership)
            .join(Membership, Membership.operator_id == Operator.id)
            .where(Operator.id == operator_id)
            .where(Membership.workspace_id == actor.workspace_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("Operator not found.")
    return row[0], row[1]


async def access_group(session: AsyncSession, actor: Actor, group_id: GroupId) -> OperatorGroup:
    group = await session.get(OperatorGroup, group_id)
    if group is None or group.workspace_id != actor.workspace_id:
        raise NotFound("Group not found.")
    return group


async def access_api_key(session: AsyncSession, actor: Actor, key_id: ApiKeyId) -> ApiKey:
    key = await session.get(ApiKey, key_id)
    if key is None or key.workspace_id != actor.workspace_id:
        raise NotFound("API key not found.")
    return key
