"""Flow runs as rows: the active run of a conversation (locked while it is stepped), its timers
(claimed once with SKIP LOCKED), and the per-node counters its traces feed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.ids import ConversationId, FlowRunId, FlowVersionId, WorkspaceId
from flows.actions import EdgeTaken, NodeEntered, RunEnded, Trace
from flows.models import FlowNodeCounter, FlowRun, FlowTimer
from flows.state import FinishReason, RunState
from flows.state_json import state_from_json, state_to_json

TIMER_BATCH = 50
COUNTER_SHARDS = 32  # rows per counter: dialogs of one flow rarely wait on each other's commit
# The node's own ending (a handoff, a close, the end of a path) is not a drop-off.
_NOT_DROPPED = frozenset(
    {FinishReason.COMPLETED, FinishReason.HANDED_OFF, FinishReason.CLOSED, FinishReason.SWITCHED_FLOW}
)


@dataclass(frozen=True)
class DueTimer:
    run_id: FlowRunId
    timer_id: str
    kind: str


async def active_run(session: AsyncSession, conversation_id: ConversationId) -> FlowRun | None:
    """The conversation's unfinished run, locked until commit."""
    return await session.scalar(
        select(FlowRun)
        .where(FlowRun.conversation_id == conversation_id, FlowRun.finished_at.is_(None))
        .with_for_update()
    )


async def run_by_id(session: AsyncSession, run_id: FlowRunId) -> FlowRun | None:
    return await session.scalar(select(FlowRun).where(FlowRun.id == run_id).with_for_update())


def run_state(run: FlowRun) -> RunState:
    return state_from_json(run.state)


async def begin_run(
    session: AsyncSession,
    *,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    version_id: FlowVersionId,
    handled_seq: int,
    episode: int,
    at: datetime,
) -> FlowRun:
    run = FlowRun(
        episode=episode,
        workspace_id=workspace_id,
        conversation_id=conversation_id,
        flow_version_id=version_id,
        state=state_to_json(RunState()),
        handled_seq=handled_seq,
        started_at=at,
        updated_at=at,
    )
    session.add(run)
    await session.flush()
    return run


def save_state(run: FlowRun, state: RunState, *, at: datetime) -> None:
    run.state = state_to_json(state)  # type: ignore[assignment]  # JSON values
    run.updated_at = at
    if state.finished and run.finished_at is None:
        run.finished_at = at
        run.finish_reason = None if state.finish_reason is None else str(state.finish_reason)


async def finish_active_run(
    session: AsyncSession, conversation_id: ConversationId, reason: str, *, at: datetime
) -> None:
    await session.execute(
        update(FlowRun)
        .where(FlowRun.conversation_id == conversation_id, FlowRun.finished_at.is_(None))
        .values(finished_at=at, finish_reason=reason, updated_at=at)
    )


async def schedule_timer(
    session: AsyncSession, run: FlowRun, timer_id: str, *, fire_at: datetime, kind: str = "timer"
) -> None:
    await session.execute(
        insert(FlowTimer)
        .values(workspace_id=run.workspace_id, run_id=run.id, timer_id=timer_id, kind=kind, fire_at=fire_at)
        .on_conflict_do_nothing()
    )


async def cancel_timer(session: AsyncSession, run: FlowRun, timer_id: str, *, at: datetime) -> None:
    await session.execute(
        update(FlowTimer)
        .where(FlowTimer.run_id == run.id, FlowTimer.timer_id == timer_id, FlowTimer.fired_at.is_(None))
        .values(fired_at=at)
    )


async def claim_due_timers(session: AsyncSession, now: datetime, *, limit: int = TIMER_BATCH) -> list[DueTimer]:
    """Due timers, marked fired in this transaction: another process skips them, and they stay
    unfired if this one rolls back (a crash): each fires exactly once."""
    due = (
        select(FlowTimer.id)
        .where(FlowTimer.fired_at.is_(None), FlowTimer.fire_at <= now)
        .order_by(FlowTimer.fire_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = await session.execute(
        update(FlowTimer)
        .where(FlowTimer.id.in_(due.scalar_subquery()))
        .values(fired_at=now)
        .returning(FlowTimer.run_id, FlowTimer.timer_id, FlowTimer.kind)
    )
    return [DueTimer(run_id, timer_id, kind) for run_id, timer_id, kind in rows]


async def count_traces(
    session: AsyncSession, version_id: FlowVersionId, conversation_id: ConversationId, traces: Sequence[Trace]
) -> None:
    counts: dict[tuple[str, str], int] = {}
    for trace in traces:
        key = _counter_key(trace)
        if key is not None:
            counts[key] = counts.get(key, 0) + 1
    if not counts:
        return
    rows = [
        {
            "flow_version_id": version_id,
            "node_id": node_id[:80],
            "outcome": outcome,
            "shard": conversation_id % COUNTER_SHARDS,
            "count": count,
        }
        for (node_id, outcome), count in sorted(counts.items())  # one order: concurrent upserts never deadlock
    ]
    statement = insert(FlowNodeCounter).values(rows)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["flow_version_id", "node_id", "outcome", "shard"],
            set_={"count": FlowNodeCounter.count + statement.excluded.count},
        )
    )


async def node_counters(session: AsyncSession, version_id: FlowVersionId) -> dict[str, dict[str, int]]:
    """node id → {"entered": n, "edge:<name>": n, "dropped": n}."""
    rows = await session.execute(
        select(FlowNodeCounter.node_id, FlowNodeCounter.outcome, func.sum(FlowNodeCounter.count))
        .where(FlowNodeCounter.flow_version_id == version_id)
        .group_by(FlowNodeCounter.node_id, FlowNodeCounter.outcome)
    )
    counters: dict[str, dict[str, int]] = {}
    for node_id, outcome, count in rows:
        counters.setdefault(node_id, {})[outcome] = int(count)
    return counters


def _counter_key(trace: Trace) -> tuple[str, str] | None:
    match trace:
        case NodeEntered(node_id):
            return node_id, "entered"
        case EdgeTaken(node_id, edge, _):
            return node_id, f"edge:{edge}"
        case RunEnded(node_id, reason) if node_id is not None and reason not in _NOT_DROPPED:
            return node_id, "dropped"
    return None


def deadline(at: datetime, seconds: float) -> datetime:
    return at + timedelta(seconds=seconds)
