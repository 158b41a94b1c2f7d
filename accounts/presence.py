"""Operators' presence in a workspace's inbox and their capacity. Presence is set by the operator;
an inbox tab reports activity while open, and a few minutes after the last report the operator is
offline (`expire_presence`, run by the assigner's sweep)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.access import access_member
from accounts.actors import Actor
from accounts.models import Membership
from accounts.roles import Permission
from core.errors import InvalidInput
from core.ids import OperatorId, WorkspaceId

OFFLINE_AFTER = timedelta(minutes=3)
MAX_CAPACITY = 1000


class Presence(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


@dataclass(frozen=True)
class PresenceChange:
    workspace_id: WorkspaceId
    operator_id: OperatorId
    presence: Presence


def check_presence(value: str) -> Presence:
    try:
        return Presence(value)
    except ValueError:
        raise InvalidInput("Presence must be online, away or offline.", field="presence") from None


async def my_membership(session: AsyncSession, actor: Actor, *, for_update: bool = False) -> Membership:
    """The actor's own membership row (an API key acting alone has none: presence is for people)."""
    actor.require(Permission.WORK_INBOX)
    if actor.operator_id is None:
        raise InvalidInput("Presence belongs to operators; this API key acts for no one.")
    query = select(Membership).where(
        Membership.workspace_id == actor.workspace_id, Membership.operator_id == actor.operator_id
    )
    membership = (await session.execute(query.with_for_update() if for_update else query)).scalar_one()
    return membership


async def set_presence(session: AsyncSession, actor: Actor, presence: Presence, *, now: datetime) -> PresenceChange:
    membership = await my_membership(session, actor, for_update=True)
    membership.presence = presence.value
    membership.presence_changed_at = now
    membership.last_active_at = now
    return PresenceChange(actor.workspace_id, membership.operator_id, presence)


async def note_inbox_activity(
    session: AsyncSession, actor: Actor, *, now: datetime, opened: bool
) -> PresenceChange | None:
    """An open inbox tab reports in. Opening the inbox (`opened`: a tab's first report) while
    offline brings the operator online; later reports only keep them present, so an operator who
    chose Offline with the tab open stays offline."""
    membership = await my_membership(session, actor, for_update=True)
    membership.last_active_at = now
    if membership.presence != Presence.OFFLINE or not opened:
        return None
    membership.presence = Presence.ONLINE.value
    membership.presence_changed_at = now
    return PresenceChange(actor.workspace_id, membership.operator_id, Presence.ONLINE)


async def expire_presence(session: AsyncSession, *, now: datetime) -> list[PresenceChange]:
    """Operators whose inbox stopped reporting go offline. Rows another transaction holds (an
    assigner counting on them) are skipped until the next sweep, so sweeps never wait or deadlock."""
    stale = await session.scalars(
        select(Membership.id)
        .where(
            Membership.presence != Presence.OFFLINE.value,
            (Membership.last_active_at.is_(None)) | (Membership.last_active_at < now - OFFLINE_AFTER),
        )
        .order_by(Membership.id)
        .with_for_update(skip_locked=True)
    )
    ids = list(stale)
    if not ids:
        return []
    rows = await session.execute(
        update(Membership)
        .where(Membership.id.in_(ids))
        .values(presence=Presence.OFFLINE.value, presence_changed_at=now)
        .returning(Membership.workspace_id, Membership.operator_id)
    )
    return [PresenceChange(workspace, operator, Presence.OFFLINE) for workspace, operator in rows]


async def set_capacity(session: AsyncSession, actor: Actor, operator_id: OperatorId, capacity: int) -> Membership:
    actor.require(Permission.MANAGE_OPERATORS)
    _, membership = await access_member(session, actor, operator_id)
    membership.capacity = check_capacity(capacity)
    return membership


def check_capacity(capacity: int) -> int:
    if not 0 <= capacity <= MAX_CAPACITY:
        raise InvalidInput("Capacity must be between 0 and {most}.", field="capacity", most=MAX_CAPACITY)
    return capacity
