"""What supervisors watch: per queue how many dialogs wait and for how long, and who is online at
what load; and an operator's own presence, capacity and load."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.groups import list_groups
from accounts.models import Membership, Operator
from accounts.presence import my_membership
from accounts.roles import Permission
from conversations.assignment import ANSWERING_ROLES, operator_loads
from conversations.models import Conversation
from core.ids import GroupId, OperatorId


async def presence_summary(session: AsyncSession, actor: Actor) -> dict[str, object]:
    membership = await my_membership(session, actor)
    loads = await operator_loads(session, actor.workspace_id, [membership.operator_id])
    return {"presence": membership.presence, "capacity": membership.capacity, "load": loads[membership.operator_id]}


async def queue_overview(session: AsyncSession, actor: Actor, *, now: datetime) -> dict[str, object]:
    actor.require(Permission.WORK_INBOX)
    waiting = await _waiting_by_group(session, actor, now=now)
    operators = await _answering_operators(session, actor)
    groups = []
    for group in await list_groups(session, actor):
        count, longest = waiting.get(group.id, (0, 0))
        members = [
            {
                **operators[operator_id],
                "capacity": group.member_capacity.get(operator_id, operators[operator_id]["capacity"]),
            }
            for operator_id in group.member_ids
            if operator_id in operators
        ]
        groups.append(
            {
                "id": group.id,
                "name": group.name,
                "waiting": count,
                "longest_wait_seconds": longest,
                "operators": members,
            }
        )
    count, longest = waiting.get(None, (0, 0))
    return {
        "groups": groups,
        "ungrouped": {"waiting": count, "longest_wait_seconds": longest},
        "operators": list(operators.values()),
    }


async def _waiting_by_group(
    session: AsyncSession, actor: Actor, *, now: datetime
) -> dict[GroupId | None, tuple[int, int]]:
    rows = await session.execute(
        select(
            Conversation.group_id,
            func.count(),
            func.min(func.coalesce(Conversation.queued_at, Conversation.created_at)),
        )
        .where(
            Conversation.workspace_id == actor.workspace_id,
            Conversation.owner == "queue",
            Conversation.status == "open",
        )
        .group_by(Conversation.group_id)
    )
    return {
        group: (int(count), max(int((now - oldest).total_seconds()), 0) if oldest else 0)
        for group, count, oldest in rows
    }


async def _answering_operators(session: AsyncSession, actor: Actor) -> dict[OperatorId, dict[str, object]]:
    rows = list(
        await session.execute(
            select(Membership.operator_id, Operator.display_name, Membership.presence, Membership.capacity)
            .join(Operator, Operator.id == Membership.operator_id)
            .where(Membership.workspace_id == actor.workspace_id, Membership.role.in_(ANSWERING_ROLES))
            .order_by(Operator.display_name)
        )
    )
    loads = await operator_loads(session, actor.workspace_id, [row[0] for row in rows])
    return {
        operator_id: {
            "id": operator_id,
            "name": name,
            "presence": presence,
            "load": loads[operator_id],
            "capacity": capacity,
        }
        for operator_id, name, presence, capacity in rows
    }
