"""The pure assignment policy: longest waiting first, capacity respected, turns kept."""

from datetime import UTC, datetime, timedelta

from conversations.assignment_policy import Assignment, Candidate, Policy, Waiting, plan_assignments
from core.ids import ConversationId, OperatorId

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def waiting(count: int) -> list[Waiting]:
    # Listed newest first on purpose: the plan must sort by waiting time.
    return [Waiting(ConversationId(n), T0 + timedelta(minutes=n)) for n in reversed(range(1, count + 1))]


def candidate(operator: int, *, load: int = 0, capacity: int = 3, last: int | None = None) -> Candidate:
    last_assigned = None if last is None else T0 + timedelta(minutes=last)
    return Candidate(OperatorId(operator), load, capacity, last_assigned)


def test_round_robin_serves_the_longest_waiting_first_and_takes_turns() -> None:
    plan = plan_assignments(Policy.ROUND_ROBIN, waiting(4), [candidate(1, last=5), candidate(2), candidate(3, last=1)])
    # 2 never had one, then 3 (longest ago), then 1; then 2 again.
    assert plan == [
        Assignment(ConversationId(1), OperatorId(2)),
        Assignment(ConversationId(2), OperatorId(3)),
        Assignment(ConversationId(3), OperatorId(1)),
        Assignment(ConversationId(4), OperatorId(2)),
    ]


def test_least_busy_fills_the_emptiest_operator_first() -> None:
    plan = plan_assignments(Policy.LEAST_BUSY, waiting(3), [candidate(1, load=2), candidate(2, load=0)])
    assert [item.operator_id for item in plan] == [2, 2, 1]


def test_nobody_goes_above_capacity_and_the_rest_keep_waiting() -> None:
    plan = plan_assignments(
        Policy.ROUND_ROBIN, waiting(10), [candidate(1, load=1, capacity=3), candidate(2, capacity=2)]
    )
    per_operator = {operator: sum(item.operator_id == operator for item in plan) for operator in (1, 2)}
    assert per_operator == {1: 2, 2: 2}
    assert [item.conversation_id for item in plan] == [1, 2, 3, 4]


def test_no_candidates_or_no_capacity_assigns_nothing() -> None:
    assert plan_assignments(Policy.LEAST_BUSY, waiting(3), []) == []
    assert plan_assignments(Policy.ROUND_ROBIN, waiting(3), [candidate(1, load=3, capacity=3)]) == []
    assert plan_assignments(Policy.ROUND_ROBIN, waiting(3), [candidate(1, capacity=0)]) == []
