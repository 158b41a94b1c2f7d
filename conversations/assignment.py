"""Automatic assignment: waiting dialogs of a queue go to online operators under capacity, as the
pure policy (`assignment_policy`) decides. Safe with any number of processes:

- the candidates' membership rows are locked first (in id order), so two assigners sharing an
  operator take turns and count their load after the other committed — nobody exceeds capacity;
- waiting dialogs are claimed `FOR UPDATE SKIP LOCKED`, so no dialog is assigned twice.

The order of locks — memberships, then conversations — is the one presence changes use too."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import GroupMember, Membership, OperatorGroup
from accounts.presence import Presence
from accounts.roles import Role
from conversations.assignment_policy import Assignment, Candidate, Policy, Waiting, plan_assignments
from conversations.events import conversation_routed, dialog_assigned
from conversations.models import Conversation
from core.ids import ConversationId, GroupId, OperatorId, WorkspaceId
from core.realtime import RealtimeEvent, publish

ANSWERING_ROLES = (Role.ADMIN.value, Role.OPERATOR.value)
MAX_PER_PASS = 200


async def assign_waiting(
    session: AsyncSession, workspace_id: WorkspaceId, group_id: GroupId | None, *, now: datetime
) -> list[Assignment]:
    """One pass over one queue (`group_id` None: the dialogs of no group, served by everyone)."""
    policy = await _policy_of(session, group_id)
    candidates = await _lock_candidates(session, workspace_id, group_id)
    if not candidates:
        return []
    free = sum(max(candidate.capacity - candidate.load, 0) for candidate in candidates)
    waiting = await _claim_waiting(session, workspace_id, group_id, limit=min(free, MAX_PER_PASS))
    plan = plan_assignments(policy, waiting, candidates)
    if plan:
        await _apply(session, workspace_id, group_id, plan, now=now)
    return plan


async def queues_with_waiting(session: AsyncSession) -> list[tuple[WorkspaceId, GroupId | None]]:
    """Every queue that has a waiting dialog and an online operator who might take it."""
    online = select(Membership.workspace_id).where(Membership.presence == Presence.ONLINE.value)
    rows = await session.execute(
        select(Conversation.workspace_id, Conversation.group_id)
        .where(
            Conversation.owner == "queue",
            Conversation.status == "open",
            Conversation.workspace_id.in_(online.scalar_subquery()),
        )
        .distinct()
    )
    return [(WorkspaceId(workspace), None if group is None else GroupId(group)) for workspace, group in rows]


async def requeue_operator_dialogs(
    session: AsyncSession, workspace_id: WorkspaceId, operator_id: OperatorId, *, now: datetime
) -> list[ConversationId]:
    """The operator went offline: their open dialogs of groups that re-queue (and of no group)
    go back to the queue, ahead of dialogs that arrived later."""
    requeuing = select(OperatorGroup.id).where(
        OperatorGroup.workspace_id == workspace_id, OperatorGroup.requeue_on_offline
    )
    rows = await session.execute(
        update(Conversation)
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.assignee_id == operator_id,
            Conversation.status == "open",
            Conversation.owner == "operator",
            Conversation.group_id.is_(None) | Conversation.group_id.in_(requeuing.scalar_subquery()),
        )
        .values(owner="queue", assignee_id=None, assigned_at=None, queued_at=func.coalesce(Conversation.queued_at, now))
        .returning(Conversation.id, Conversation.group_id)
    )
    moved = list(rows)
    await publish(session, *(queued_event(workspace_id, conversation_id, group) for conversation_id, group in moved))
    return [conversation_id for conversation_id, _ in moved]


def queued_event(workspace_id: WorkspaceId, conversation_id: ConversationId, group_id: GroupId | None) -> RealtimeEvent:
    return conversation_routed(
        workspace_id, conversation_id, status="open", owner="queue", assignee_id=None, group_id=group_id
    )


async def operator_loads(
    session: AsyncSession, workspace_id: WorkspaceId, operator_ids: Sequence[OperatorId]
) -> dict[OperatorId, int]:
    """Open dialogs assigned to each operator (0 when none)."""
    rows = await session.execute(
        select(Conversation.assignee_id, func.count())
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.assignee_id.in_(list(operator_ids)),
            Conversation.status == "open",
        )
        .group_by(Conversation.assignee_id)
    )
    loads = {OperatorId(operator): int(count) for operator, count in rows if operator is not None}
    return {operator: loads.get(operator, 0) for operator in operator_ids}


async def _policy_of(session: AsyncSession, group_id: GroupId | None) -> Policy:
    if group_id is None:
        return Policy.LEAST_BUSY
    policy = await session.scalar(select(OperatorGroup.assignment_policy).where(OperatorGroup.id == group_id))
    return Policy(policy or Policy.ROUND_ROBIN)


async def _lock_candidates(
    session: AsyncSession, workspace_id: WorkspaceId, group_id: GroupId | None
) -> list[Candidate]:
    """Online operators who may answer this queue, their rows locked; with their capacity for it
    and when they last got one of its dialogs (round robin's turn)."""
    if group_id is None:
        last_assigned = (
            select(func.max(Conversation.assigned_at))
            .where(Conversation.workspace_id == workspace_id, Conversation.assignee_id == Membership.operator_id)
            .scalar_subquery()
        )
        query = select(Membership.operator_id, Membership.capacity, last_assigned)
    else:
        query = select(
            Membership.operator_id,
            func.coalesce(GroupMember.capacity, Membership.capacity),
            GroupMember.last_assigned_at,
        ).join(GroupMember, (GroupMember.operator_id == Membership.operator_id) & (GroupMember.group_id == group_id))
    rows = list(
        await session.execute(
            query.where(
                Membership.workspace_id == workspace_id,
                Membership.presence == Presence.ONLINE.value,
                Membership.role.in_(ANSWERING_ROLES),
            )
            .order_by(Membership.id)
            .with_for_update(of=Membership)
        )
    )
    if not rows:
        return []
    # Counted in a statement after the locks, so it sees every assignment committed before them.
    loads = await operator_loads(session, workspace_id, [row[0] for row in rows])
    return [Candidate(operator, loads[operator], capacity, last) for operator, capacity, last in rows]


async def _claim_waiting(
    session: AsyncSession, workspace_id: WorkspaceId, group_id: GroupId | None, *, limit: int
) -> list[Waiting]:
    if limit <= 0:
        return []
    in_queue = Conversation.group_id.is_(None) if group_id is None else Conversation.group_id == group_id
    rows = await session.execute(
        select(Conversation.id, Conversation.queued_at, Conversation.created_at)
        .where(Conversation.workspace_id == workspace_id, in_queue, Conversation.owner == "queue")
        .where(Conversation.status == "open")
        .order_by(Conversation.queued_at.nulls_first(), Conversation.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [Waiting(conversation_id, queued_at or created_at) for conversation_id, queued_at, created_at in rows]


async def _apply(
    session: AsyncSession, workspace_id: WorkspaceId, group_id: GroupId | None, plan: list[Assignment], *, now: datetime
) -> None:
    by_operator: dict[OperatorId, list[ConversationId]] = {}
    for assignment in plan:
        by_operator.setdefault(assignment.operator_id, []).append(assignment.conversation_id)
    for operator_id, conversation_ids in by_operator.items():
        await session.execute(
            update(Conversation)
            .where(Conversation.id.in_(conversation_ids))
            .values(owner="operator", assignee_id=operator_id, assigned_at=now)
        )
    if group_id is not None:
        # A microsecond apart in the order of their last dialog in this plan: the next pass's round
        # robin continues where this one ended.
        last_served = list(dict.fromkeys(item.operator_id for item in reversed(plan)))[::-1]
        for offset, operator_id in enumerate(last_served):
            await session.execute(
                update(GroupMember)
                .where(GroupMember.group_id == group_id, GroupMember.operator_id == operator_id)
                .values(last_assigned_at=now + timedelta(microseconds=offset))
            )
    events: list[RealtimeEvent] = []
    for item in plan:
        routed = conversation_routed(
            workspace_id,
            item.conversation_id,
            status="open",
            owner="operator",
            assignee_id=item.operator_id,
            group_id=group_id,
        )
        events += [routed, dialog_assigned(workspace_id, item.conversation_id, item.operator_id)]
    await publish(session, *events)
