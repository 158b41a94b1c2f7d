"""Workspaces (one per site): creation and the list an operator may switch between."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import Membership, Workspace
from accounts.roles import Role
from accounts.validation import check_name, check_slug
from core.db import unique_or
from core.errors import Conflict
from core.ids import OperatorId


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
