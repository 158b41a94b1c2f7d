"""Moving a broadcast through its life (broadcasts.states), in the caller's transaction: send now,
schedule at a local time, unschedule, pause, resume, cancel; and the scheduler's side, starting a
scheduled broadcast once it is due. Sending itself is the workers' (broadcasts.runner): they pick up
a `sending` broadcast within a second or so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from broadcasts.delivery import release_claims, skip_pending
from broadcasts.drafts import access_broadcast, workspace_timezone
from broadcasts.models import Broadcast
from broadcasts.planning import plan_recipients
from broadcasts.states import Action, BroadcastStatus, RecipientStatus, check_action, scheduled_instant
from core.errors import InvalidInput
from core.ids import BroadcastId


@dataclass(frozen=True)
class Scheduled:
    id: BroadcastId
    at: datetime


async def send_now(session: AsyncSession, actor: Actor, broadcast_id: BroadcastId, *, at: datetime) -> int:
    """Plans the recipients and starts sending; how many people it goes to. An audience of nobody
    is refused (InvalidInput) and the broadcast stays as it was."""
    broadcast = await access_broadcast(session, actor, broadcast_id, for_update=True)
    check_action(Action.SEND_NOW, broadcast.status)
    return await _start(session, broadcast, at=at)


async def schedule(
    session: AsyncSession,
    actor: Actor,
    broadcast_id: BroadcastId,
    at_local: datetime,
    timezone: str | None = None,
    *,
    now: datetime,
) -> datetime:
    """Schedules the broadcast for `at_local`, a wall time (naive) in `timezone` (by default the
    workspace's); the instant, UTC. The scheduler leader starts it then (broadcasts.scheduler)."""
    broadcast = await access_broadcast(session, actor, broadcast_id, for_update=True)
    check_action(Action.SCHEDULE, broadcast.status)
    zone = timezone if timezone is not None else await workspace_timezone(session, broadcast.workspace_id)
    broadcast.scheduled_at = scheduled_instant(at_local, zone, now=now)
    broadcast.status, broadcast.updated_at = BroadcastStatus.SCHEDULED, now
    await session.flush()
    return broadcast.scheduled_at


async def unschedule(session: AsyncSession, actor: Actor, broadcast_id: BroadcastId, *, at: datetime) -> None:
    """Back to a draft."""
    broadcast = await access_broadcast(session, actor, broadcast_id, for_update=True)
    check_action(Action.UNSCHEDULE, broadcast.status)
    broadcast.status, broadcast.scheduled_at, broadcast.updated_at = BroadcastStatus.DRAFT, None, at
    await session.flush()


async def pause(session: AsyncSession, actor: Actor, broadcast_id: BroadcastId, *, at: datetime) -> None:
    """Stops sending: the sends already in flight finish, nobody else gets it until it resumes."""
    broadcast = await access_broadcast(session, actor, broadcast_id, for_update=True)
    check_action(Action.PAUSE, broadcast.status)
    broadcast.status, broadcast.updated_at = BroadcastStatus.PAUSED, at
    await session.flush()
    await release_claims(session, broadcast.id, to=RecipientStatus.PENDING)


async def resume(session: AsyncSession, actor: Actor, broadcast_id: BroadcastId, *, at: datetime) -> None:
    broadcast = await access_broadcast(session, actor, broadcast_id, for_update=True)
    check_action(Action.RESUME, broadcast.status)
    broadcast.status, broadcast.last_error, broadcast.updated_at = BroadcastStatus.SENDING, None, at
    await session.flush()


async def cancel(session: AsyncSession, actor: Actor, broadcast_id: BroadcastId, *, at: datetime) -> None:
    """Nobody else gets it: everyone still pending is skipped (the sends in flight finish)."""
    broadcast = await access_broadcast(session, actor, broadcast_id, for_update=True)
    check_action(Action.CANCEL, broadcast.status)
    broadcast.status, broadcast.finished_at, broadcast.updated_at = BroadcastStatus.CANCELLED, at, at
    await session.flush()
    await skip_pending(session, broadcast.id)
    await release_claims(session, broadcast.id, to=RecipientStatus.SKIPPED)


async def scheduled_broadcasts(session: AsyncSession) -> list[Scheduled]:
    """Every scheduled broadcast and when it is due (the scheduler's jobs)."""
    rows = await session.execute(
        select(Broadcast.id, Broadcast.scheduled_at).where(
            Broadcast.status == BroadcastStatus.SCHEDULED, Broadcast.scheduled_at.is_not(None)
        )
    )
    return [Scheduled(broadcast_id, at) for broadcast_id, at in rows if at is not None]


async def start_if_due(session: AsyncSession, broadcast_id: BroadcastId, *, now: datetime) -> bool:
    """The scheduler's job: a scheduled broadcast that is due starts sending; anything else (already
    started, unscheduled, edited to later) is left alone, so running it twice is harmless. A due
    broadcast whose audience is now nobody is cancelled, saying why. True when it started."""
    broadcast = await session.scalar(select(Broadcast).where(Broadcast.id == broadcast_id).with_for_update())
    if broadcast is None or broadcast.status != BroadcastStatus.SCHEDULED:
        return False
    if broadcast.scheduled_at is None or broadcast.scheduled_at > now:
        return False
    try:
        async with session.begin_nested():
            await _start(session, broadcast, at=now)
    except InvalidInput as refused:
        broadcast.status, broadcast.finished_at = BroadcastStatus.CANCELLED, now
        broadcast.last_error, broadcast.updated_at = refused.message, now
        await session.flush()
        return False
    return True


async def due_broadcasts(session: AsyncSession, *, now: datetime) -> list[BroadcastId]:
    """Scheduled broadcasts whose time has come (caught up after the scheduler was down)."""
    rows = await session.scalars(
        select(Broadcast.id)
        .where(Broadcast.status == BroadcastStatus.SCHEDULED, Broadcast.scheduled_at <= now)
        .order_by(Broadcast.scheduled_at)
    )
    return list(rows.all())


async def _start(session: AsyncSession, broadcast: Broadcast, *, at: datetime) -> int:
    planned = await plan_recipients(session, broadcast, now=at)
    broadcast.status, broadcast.started_at, broadcast.updated_at = BroadcastStatus.SENDING, at, at
    broadcast.last_error = None
    await session.flush()
    return planned or broadcast.recipient_count
