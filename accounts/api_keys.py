"""Workspace API keys: created with a role, shown once, stored as a SHA-256 digest, revocable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.access import access_api_key
from accounts.actors import Actor
from accounts.models import ApiKey, Workspace
from accounts.roles import Permission, Role
from accounts.secrets_hashing import new_token, token_digest
from accounts.validation import check_name
from core.clock import Clock
from core.errors import Unauthenticated
from core.ids import ApiKeyId, OperatorId, WorkspaceId

KEY_PREFIX = "fl_"
# Writing last_used_at on every request would turn reads into writes; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewApiKey:
    id: ApiKeyId
    name: str
    role: Role
    key: str  # the only time the full key exists outside the caller's hands


@dataclass(frozen=True)
class ApiKeyView:
    id: ApiKeyId
    name: str
    role: Role
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


async def issue_api_key(
    session: AsyncSession, *, workspace_id: WorkspaceId, name: str, role: Role, created_by: OperatorId | None
) -> NewApiKey:
    """For the CLI and for `create_api_key`; request handlers call the latter."""
    key = new_token(KEY_PREFIX)
    row = ApiKey(
        workspace_id=workspace_id,
        name=check_name(name, field="name", max_length=80),
        role=role,
        prefix=key[:10],
        key_hash=token_digest(key),
        created_by=created_by,
    )
    session.add(row)
    await session.flush()
    return NewApiKey(id=row.id, name=row.name, role=role, key=key)


async def create_api_key(session: AsyncSession, actor: Actor, *, name: str, role: Role) -> NewApiKey:
    actor.require(Permission.MANAGE_API_KEYS)
    return await issue_api_key(
        session, workspace_id=actor.workspace_id, name=name, role=role, created_by=actor.operator_id
    )


async def list_api_keys(session: AsyncSession, actor: Actor) -> list[ApiKeyView]:
    actor.require(Permission.MANAGE_API_KEYS)
    rows = await session.execute(
        select(ApiKey).where(ApiKey.workspace_id == actor.workspace_id).order_by(ApiKey.created_at.desc())
    )
    return [
        ApiKeyView(
            id=key.id,
            name=key.name,
            role=Role(key.role),
            prefix=key.prefix,
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            revoked_at=key.revoked_at,
        )
        for key in rows.scalars()
    ]


async def revoke_api_key(session: AsyncSession, actor: Actor, key_id: ApiKeyId, *, clock: Clock) -> None:
    actor.require(Permission.MANAGE_API_KEYS)
    key = await access_api_key(session, actor, key_id)
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        await session.flush()


async def authenticate_api_key(session: AsyncSession, key: str, *, clock: Clock) -> Actor:
    row = (
        await session.execute(
            select(ApiKey, Workspace.slug)
            .join(Workspace, Workspace.id == ApiKey.workspace_id)
            .where(ApiKey.key_hash == token_digest(key), ApiKey.revoked_at.is_(None))
        )
    ).one_or_none()
    if row is None:
        raise Unauthenticated("The API key is invalid or revoked.")
    api_key, slug = row[0], row[1]
    now = clock.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
        api_key.last_used_at = now
    return Actor(workspace_id=api_key.workspace_id, workspace_slug=slug, role=Role(api_key.role), api_key_id=api_key.id)
