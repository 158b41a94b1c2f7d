"""First start: make sure a workspace and its admin operator exist (the demo, `make run`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import Membership, Workspace
from accounts.operators import create_operator, find_operator_by_email
from accounts.roles import Role
from accounts.secrets_hashing import hash_password, verify_password
from accounts.workspaces import create_workspace, find_workspace_by_slug


@dataclass(frozen=True)
class Bootstrapped:
    workspace: Workspace
    admin_email: str
    generated_password: str | None  # set only when the admin was created now with a generated password


async def ensure_workspace_with_admin(
    session: AsyncSession, *, slug: str, name: str, admin_email: str, admin_password: str | None
) -> Bootstrapped:
    """Idempotent. A given password is authoritative: it is (re)set on the admin at every start."""
    workspace = await find_workspace_by_slug(session, slug)
    if workspace is None:
        workspace = await create_workspace(session, slug=slug, name=name, admin_id=None)
    operator = await find_operator_by_email(session, admin_email)
    generated = None
    if operator is None:
        generated = secrets.token_urlsafe(12) if admin_password is None else None
        password = admin_password if admin_password is not None else generated
        operator = await create_operator(session, email=admin_email, display_name="Admin", password=password)
    elif admin_password is not None and not verify_password(operator.password_hash, admin_password):
        operator.password_hash = hash_password(admin_password)
    is_member = await session.scalar(
        select(Membership.id).where(Membership.workspace_id == workspace.id, Membership.operator_id == operator.id)
    )
    if is_member is None:
        session.add(Membership(workspace_id=workspace.id, operator_id=operator.id, role=Role.ADMIN))
    await session.flush()
    return Bootstrapped(workspace=workspace, admin_email=operator.email, generated_password=generated)
