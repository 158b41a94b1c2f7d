"""One-time links with which a new operator sets their password (sent to them by the admin)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import Invitation, Operator
from accounts.secrets_hashing import hash_password, new_token, token_digest
from accounts.validation import check_password
from core.clock import Clock
from core.errors import NotFound
from core.ids import OperatorId, WorkspaceId

INVITATION_LIFETIME = timedelta(days=7)


async def create_invitation(
    session: AsyncSession, *, workspace_id: WorkspaceId, operator_id: OperatorId, clock: Clock
) -> str:
    """A new invitation token (shown once; only its digest is stored)."""
    token = new_token("inv_")
    session.add(
        Invitation(
            workspace_id=workspace_id,
            operator_id=operator_id,
            token_hash=token_digest(token),
            expires_at=clock.now() + INVITATION_LIFETIME,
        )
    )
    await session.flush()
    return token


async def find_open_invitation(session: AsyncSession, token: str, *, clock: Clock) -> tuple[Invitation, Operator]:
    row = (
        await session.execute(
            select(Invitation, Operator)
            .join(Operator, Operator.id == Invitation.operator_id)
            .where(Invitation.token_hash == token_digest(token))
            .where(Invitation.used_at.is_(None))
            .where(Invitation.expires_at > clock.now())
            .with_for_update(of=Invitation)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("This invitation link is invalid, used or expired; ask your admin for a new one.")
    return row[0], row[1]


async def accept_invitation(session: AsyncSession, token: str, password: str, *, clock: Clock) -> Operator:
    invitation, operator = await find_open_invitation(session, token, clock=clock)
    operator.password_hash = hash_password(check_password(password))
    invitation.used_at = clock.now()
    await session.flush()
    return operator
