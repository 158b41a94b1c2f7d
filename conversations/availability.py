"""What a visitor waiting in a queue should be told: whether an operator who may take the dialog is
online, whether it is within the workspace's working hours (and when they start again), and whether
we have an email to answer at. One statement; the operators are looked up only for a waiting dialog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Exists, and_, case, exists, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import GroupMember, Membership, Workspace
from accounts.presence import Presence
from accounts.working_hours import hours_from_storage, is_open, next_opening
from conversations.assignment import ANSWERING_ROLES
from conversations.models import Contact, Conversation
from core.errors import NotFound
from core.ids import ConversationId, WorkspaceId


class Notice(StrEnum):
    AWAY = "away"  # outside working hours
    BUSY = "busy"  # within them, but nobody who may answer is online


@dataclass(frozen=True)
class Availability:
    waiting: bool  # open and in a queue: only then is there anything to tell the visitor
    online: bool  # someone who may take it is online (True when not waiting: nobody was looked for)
    within_hours: bool
    back_at: datetime | None  # when the working hours start again (None: within them, or none ahead)
    timezone: str  # the workspace's, to say `back_at` in
    needs_email: bool

    @property
    def notice(self) -> Notice | None:
        if not self.waiting:
            return None
        if not self.within_hours:
            return Notice.AWAY
        return None if self.online else Notice.BUSY


def _someone_online() -> Exists:
    """SQL: an online operator who may answer the conversation's queue (its group's, or anyone for none)."""
    in_group = exists().where(
        GroupMember.group_id == Conversation.group_id, GroupMember.operator_id == Membership.operator_id
    )
    return exists().where(
        Membership.workspace_id == Conversation.workspace_id,
        Membership.presence == Presence.ONLINE.value,
        Membership.role.in_(ANSWERING_ROLES),
        or_(Conversation.group_id.is_(None), in_group),
    )


async def queue_availability(
    session: AsyncSession, workspace_id: WorkspaceId, conversation_id: ConversationId, now: datetime
) -> Availability:
    waiting = and_(Conversation.owner == "queue", Conversation.status == "open")
    row = (
        await session.execute(
            select(
                waiting.label("waiting"),
                case((waiting, _someone_online()), else_=true()).label("online"),
                Contact.email,
                Workspace.timezone,
                Workspace.working_hours,
            )
            .join(Contact, Contact.id == Conversation.contact_id)
            .join(Workspace, Workspace.id == Conversation.workspace_id)
            .where(Conversation.id == conversation_id, Conversation.workspace_id == workspace_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("Conversation not found.")
    hours = hours_from_storage(row.timezone, row.working_hours)
    within_hours = is_open(hours, now)
    return Availability(
        waiting=bool(row.waiting),
        online=bool(row.online),
        within_hours=within_hours,
        back_at=None if within_hours else next_opening(hours, now),
        timezone=hours.timezone,
        needs_email=not row.email,
    )
