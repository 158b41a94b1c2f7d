"""Who gets which waiting dialog (pure). The longest-waiting dialog goes first, each to an online
operator under capacity chosen by the group's policy:

- round robin: whoever has waited longest since their last assignment in this group;
- least busy: whoever has the fewest open dialogs (ties: round robin order).

The caller gives only online candidates, with their load counted after locking them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.ids import ConversationId, OperatorId


class Policy(StrEnum):
    ROUND_ROBIN = "round_robin"
    LEAST_BUSY = "least_busy"


@dataclass(frozen=True)
class Candidate:
    operator_id: OperatorId
    load: int  # open dialogs assigned to them now
    capacity: int  # the most they take (the group's override, else their own)
    last_assigned_at: datetime | None  # in this group; None: never


@dataclass(frozen=True)
class Waiting:
    conversation_id: ConversationId
    queued_at: datetime


@dataclass(frozen=True)
class Assignment:
    conversation_id: ConversationId
    operator_id: OperatorId


def plan_assignments(policy: Policy, waiting: Sequence[Waiting], candidates: Sequence[Candidate]) -> list[Assignment]:
    """As many of `waiting` as free capacity allows, longest waiting first."""
    loads = {candidate.operator_id: candidate.load for candidate in candidates}
    capacities = {candidate.operator_id: candidate.capacity for candidate in candidates}
    turn = {candidate.operator_id: _round_robin_key(candidate) for candidate in candidates}
    plan: list[Assignment] = []
    for dialog in sorted(waiting, key=lambda item: (item.queued_at, item.conversation_id)):
        free = [operator for operator in turn if loads[operator] < capacities[operator]]
        if not free:
            break
        if policy is Policy.LEAST_BUSY:
            chosen = min(free, key=lambda operator: (loads[operator], turn[operator]))
        else:
            chosen = min(free, key=lambda operator: turn[operator])
        plan.append(Assignment(dialog.conversation_id, chosen))
        loads[chosen] += 1
        # Served now: behind everyone this plan has not served yet, as a later last_assigned_at would.
        turn[chosen] = (2, len(plan), 0.0, chosen)
    return plan


def _round_robin_key(candidate: Candidate) -> tuple[int, int, float, OperatorId]:
    """Never assigned first, then the longest ago; the operator id breaks ties."""
    if candidate.last_assigned_at is None:
        return (0, 0, 0.0, candidate.operator_id)
    return (1, 0, candidate.last_assigned_at.timestamp(), candidate.operator_id)
