"""Workspaces (one per site): creation, the list an operator may switch between, working hours, and
whether operators see only their groups' dialogs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.access import access_workspace
from accounts.actors import Actor
from accounts.models import Membership, Workspace
from accounts.roles import Permission, Role
from accounts.validation import check_name, check_slug
from accounts.working_hours import WorkingHours, hours_from_storage, stored_schedule
from core.db import unique_or
from core.errors import Conflict
from core.ids import OperatorId, WorkspaceId


@dataclass(frozen=True)
class WorkspaceChoice:
    slug: str
    name: str
    role: Role


async def create_workspace(session: AsyncSession, *, slug: str, name: str, admin_id: OperatorId | None) -> Workspace:
    workspace = Workspace(slug=check_slug(slug), name=check_name(name, field="name", max_length=120))
    async with unique_or(session, Conflict("The address name {slug} is taken.", field="slug", slug=slug)):
        session.add(workspace)
    if admin_id is not None:
        session.add(Membership(workspace_id=workspace.id, operator_id=admin_id, role=Role.ADMIN))
        await session.flush()
    return workspace


async def find_workspace_by_slug(session: AsyncSession, slug: str) -> Workspace | None:
    """For installation-level tools (CLI, bootstrap); request handlers go through `access_*`."""
    return (await session.execute(select(Workspace).where(Workspace.slug == slug))).scalar_one_or_none()


async def list_workspaces_of(session: AsyncSession, operator_id: OperatorId) -> list[WorkspaceChoice]:
    rows = await session.execute(
        select(Workspace.slug, Workspace.name, Membership.role)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.operator_id == operator_id)
        .order_by(Workspace.name, Workspace.slug)
    )
    return [WorkspaceChoice(slug=row.slug, name=row.name, role=Role(row.role)) for row in rows]


async def workspace_locale(session: AsyncSession, workspace_id: WorkspaceId) -> str:
    """The workspace's own language: what it writes in when no person's language applies."""
    return str(await session.scalar(select(Workspace.default_locale).where(Workspace.id == workspace_id)) or "en")


async def bot_greets(session: AsyncSession, workspace_id: WorkspaceId) -> bool:
    """Whether new dialogs start with the bot (a live flow greets or answers them)."""
    return bool(await session.scalar(select(Workspace.bot_greets).where(Workspace.id == workspace_id)))


async def working_hours_of(session: AsyncSession, workspace_id: WorkspaceId) -> WorkingHours:
    """For the workspace's own edges (the widget); admins go through `access_working_hours`."""
    row = (
        await session.execute(select(Workspace.timezone, Workspace.working_hours).where(Workspace.id == workspace_id))
    ).one()
    return hours_from_storage(row.timezone, row.working_hours)


async def access_working_hours(session: AsyncSession, actor: Actor) -> WorkingHours:
    actor.require(Permission.MANAGE_WORKSPACE)
    return await working_hours_of(session, actor.workspace_id)


async def set_working_hours(session: AsyncSession, actor: Actor, hours: WorkingHours) -> WorkingHours:
    """`hours` come checked from `accounts.working_hours.parse_hours`."""
    actor.require(Permission.MANAGE_WORKSPACE)
    workspace = await access_workspace(session, actor)
    workspace.timezone = hours.timezone
    workspace.working_hours = dict(schedule) if (schedule := stored_schedule(hours)) is not None else None
    await session.flush()
    return hours


async def access_group_visibility(session: AsyncSession, actor: Actor) -> bool:
    """Whether operators see only the dialogs of their groups (and of none, and their own); admins see all."""
    actor.require(Permission.MANAGE_OPERATORS)
    return (await access_workspace(session, actor)).restrict_to_groups


async def set_group_visibility(session: AsyncSession, actor: Actor, *, restrict_to_groups: bool) -> None:
    actor.require(Permission.MANAGE_OPERATORS)
    workspace = await access_workspace(session, actor)
    workspace.restrict_to_groups = restrict_to_groups
    await session.flush()
