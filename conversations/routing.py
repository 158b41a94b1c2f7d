"""Moving a dialog between the queue and operators by hand: enter a queue, take, transfer to an
operator or a group, unassign. Each locks the conversation row, so two operators pressing "take"
at the same moment are served one after the other: the second is told who took it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.access import access_group, access_member
from accounts.actors import Actor
from accounts.models import Membership, Operator
from accounts.operators import display_name_of
from accounts.roles import Permission, Role, can
from conversations.access import VisibilityScope, access_conversation, member_scopes, sees_every_group
from conversations.assignment import operator_loads, queued_event
from conversations.events import conversation_routed, dialog_assigned
from conversations.models import Conversation
from core.errors import Conflict, DomainError, ErrorCode, Forbidden, InvalidInput
from core.ids import ConversationId, GroupId, OperatorId
from core.realtime import publish


class AlreadyTaken(Conflict):
    code = ErrorCode.ALREADY_TAKEN


@dataclass(frozen=True)
class TransferTarget:
    """A colleague a dialog may be given to, with what the choice depends on."""

    id: OperatorId
    name: str
    presence: str
    load: int
    capacity: int


def enter_queue(conversation: Conversation, group_id: GroupId | None, *, now: datetime) -> None:
    """Wait for an operator of `group_id` (None: anyone); the caller publishes `queued_event`."""
    conversation.owner = "queue"
    conversation.group_id = group_id
    conversation.assignee_id = None
    conversation.assigned_at = None
    conversation.queued_at = now


def hand_to_bot(conversation: Conversation) -> None:
    """The bot answers (a flow runs) until it hands off, an operator takes over, or the dialog closes."""
    conversation.owner = "bot"
    conversation.assignee_id = None
    conversation.assigned_at = None
    conversation.queued_at = None


async def take_conversation(
    session: AsyncSession, actor: Actor, conversation_id: ConversationId, *, now: datetime
) -> Conversation:
    actor.require(Permission.WORK_INBOX)
    operator_id = _person(actor)
    conversation = await access_conversation(session, actor, conversation_id, for_update=True)
    holder = conversation.assignee_id
    if conversation.owner == "operator" and holder is not None and holder != operator_id:
        name = await display_name_of(session, holder)
        raise AlreadyTaken("{name} already took this dialog.", name=name, taken_by={"id": holder, "name": name})
    if holder != operator_id:
        await _assign(session, conversation, operator_id, now=now)
    return conversation


async def transfer_to_operator(
    session: AsyncSession, actor: Actor, conversation_id: ConversationId, operator_id: OperatorId, *, now: datetime
) -> Conversation:
    actor.require(Permission.WORK_INBOX)
    operator, membership = await access_member(session, actor, operator_id)  # another workspace's: not found
    conversation = await access_conversation(session, actor, conversation_id, for_update=True)
    if conversation.status == "closed":
        raise InvalidInput("A closed dialog cannot be transferred; reopen it first.")
    role = Role(membership.role)
    scope = None
    if not sees_every_group(actor):
        scope = (await member_scopes(session, actor.workspace_id, {operator_id: role}))[operator_id]
    refusal = _refusal(conversation, operator.display_name, active=operator.is_active, role=role, scope=scope)
    if refusal is not None:
        raise refusal
    await _assign(session, conversation, operator_id, now=now)
    return conversation


async def transfer_targets(
    session: AsyncSession, actor: Actor, conversation_id: ConversationId
) -> list[TransferTarget]:
    """The colleagues `transfer_to_operator` would give this dialog to."""
    actor.require(Permission.WORK_INBOX)
    conversation = await access_conversation(session, actor, conversation_id)
    rows = list(
        await session.execute(
            select(
                Membership.operator_id, Membership.role, Operator.display_name, Membership.presence, Membership.capacity
            )
            .join(Operator, Operator.id == Membership.operator_id)
            .where(Membership.workspace_id == actor.workspace_id, Operator.is_active)
            .order_by(func.lower(Operator.display_name), Operator.id)
        )
    )
    roles = {row.operator_id: Role(row.role) for row in rows}
    scopes = None if sees_every_group(actor) else await member_scopes(session, actor.workspace_id, roles)
    chosen = [
        row
        for row in rows
        if _refusal(
            conversation,
            row.display_name,
            active=True,
            role=roles[row.operator_id],
            scope=None if scopes is None else scopes[row.operator_id],
        )
        is None
    ]
    loads = await operator_loads(session, actor.workspace_id, [row.operator_id for row in chosen])
    return [
        TransferTarget(row.operator_id, row.display_name, row.presence, loads[row.operator_id], row.capacity)
        for row in chosen
    ]


def _refusal(
    conversation: Conversation, name: str, *, active: bool, role: Role, scope: VisibilityScope | None
) -> DomainError | None:
    """Why a dialog may not be given to this colleague, if it may not. Someone who answers dialogs may
    get it; where the workspace restricts operators to their groups' dialogs, an operator gives it
    only to a colleague who sees it already (`scope`: theirs; an admin, who passes None, may give it
    to anyone, who then sees it as theirs)."""
    if not active or not can(role, Permission.WORK_INBOX):
        return InvalidInput("{name} does not answer dialogs in this workspace.", field="operator_id", name=name)
    if scope is not None and not scope.sees(conversation.group_id, conversation.assignee_id):
        return Forbidden(
            "{name} is not in this dialog's group, so they may not see it. Transfer it to a group's queue"
            " instead, or ask an admin.",
            name=name,
        )
    return None


async def transfer_to_group(
    session: AsyncSession, actor: Actor, conversation_id: ConversationId, group_id: GroupId, *, now: datetime
) -> Conversation:
    actor.require(Permission.WORK_INBOX)
    await access_group(session, actor, group_id)  # another workspace's group: not found
    conversation = await access_conversation(session, actor, conversation_id, for_update=True)
    if conversation.status == "closed":
        raise InvalidInput("A closed dialog cannot be transferred; reopen it first.")
    enter_queue(conversation, group_id, now=now)
    await publish(session, queued_event(conversation.workspace_id, conversation.id, group_id))
    return conversation


async def unassign_conversation(
    session: AsyncSession, actor: Actor, conversation_id: ConversationId, *, now: datetime
) -> Conversation:
    """Back to its group's queue (to be picked up by the next free operator)."""
    actor.require(Permission.WORK_INBOX)
    conversation = await access_conversation(session, actor, conversation_id, for_update=True)
    if conversation.owner == "operator":
        enter_queue(conversation, conversation.group_id, now=now)
        await publish(session, queued_event(conversation.workspace_id, conversation.id, conversation.group_id))
    return conversation


async def return_to_bot(session: AsyncSession, actor: Actor, conversation_id: ConversationId) -> Conversation:
    """The bot answers again (its flow resumes where it was, or starts anew on the next message)."""
    actor.require(Permission.WORK_INBOX)
    conversation = await access_conversation(session, actor, conversation_id, for_update=True)
    if conversation.owner != "bot":
        hand_to_bot(conversation)
        routed = conversation_routed(
            conversation.workspace_id,
            conversation.id,
            status=conversation.status,
            owner="bot",
            assignee_id=None,
            group_id=conversation.group_id,
        )
        await publish(session, routed)
    return conversation


async def _assign(session: AsyncSession, conversation: Conversation, operator_id: OperatorId, *, now: datetime) -> None:
    conversation.owner = "operator"
    conversation.assignee_id = operator_id
    conversation.assigned_at = now
    routed = conversation_routed(
        conversation.workspace_id,
        conversation.id,
        status=conversation.status,
        owner="operator",
        assignee_id=operator_id,
        group_id=conversation.group_id,
    )
    await publish(session, routed, dialog_assigned(conversation.workspace_id, conversation.id, operator_id))


def _person(actor: Actor) -> OperatorId:
    if actor.operator_id is None:
        raise InvalidInput("Taking a dialog needs an operator; this API key acts for no one.")
    return actor.operator_id
