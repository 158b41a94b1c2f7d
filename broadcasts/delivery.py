"""Delivery's transactions, each short and in the caller's session: claim due recipients of a bot
(`FOR UPDATE SKIP LOCKED`), mark one in flight, record its outcome (with the usage record), release
claims, recover after a crash, finish broadcasts nobody is left in. broadcasts.runner drives them.

Exactly once, a crash included. A recipient goes pending → sending (claimed in a batch, under a
lease and a claim token) → in flight (`in_flight_at` committed after the pacer's wait, right before
the Bot API call) → sent (committed right after the call, with its usage record). Telegram takes no
idempotency key, so the one send whose fate a crash leaves unknown is a send in flight: its request
went to Telegram and its answer was never committed. The next worker to take the bot:
- sends again every claimed row that was not in flight: it never reached Telegram;
- marks every row in flight `unconfirmed` and does not send it again. The in-flight window is one
  HTTP round trip plus one commit (rarely a few ms of spacing, broadcasts.sender), and the request
  is on the wire from its first moment: Telegram delivers a request it has read whether or not we
  live to read the answer. Resending would duplicate nearly all of these; not resending misses
  only a kill in the instant before the bytes leave. Unconfirmed rows are counted apart (progress)
  and not metered. The crash test and the benchmark count them: at most one per lane per kill.
Who may take a bot: one process at a time, holding a session advisory lock per bot (PostgreSQL
drops it when the process dies), so recovery then knows every `sending` row of the bot is an
orphan. Without an engine (tests on one connection) only rows whose lease ran out are recovered.
A worker checks its claim token at every step, so a row taken from it in between is left alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, case, exists, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from billing.meter import Metric, record_usage
from broadcasts.models import Broadcast, BroadcastRecipient
from broadcasts.outcomes import GiveUp, Outcome, PauseBroadcast, Retry
from broadcasts.states import BroadcastStatus, RecipientStatus
from channels.telegram.inbound import mark_unreachable
from core.ids import BroadcastId, BroadcastRecipientId, ContactId, TelegramBotId, WorkspaceId

CLAIM_SECONDS = 120  # a claimed batch is sent within seconds; a lease this old is a dead worker's
IN_FLIGHT_SECONDS = 60  # longer than the Bot API client's timeout
INTERRUPTED = "Interrupted while sending: it was probably delivered and is not sent again."
_UNFINISHED = (RecipientStatus.PENDING, RecipientStatus.SENDING)
_R = BroadcastRecipient

_CLAIM = text("""
UPDATE broadcast_recipients SET status = 'sending', claim_token = :token,
       locked_until = :now + make_interval(secs => :lease)
WHERE id IN (
    SELECT r.id FROM broadcast_recipients r JOIN broadcasts b ON b.id = r.broadcast_id
    WHERE b.bot_id = :bot_id AND b.status = 'sending' AND r.status = 'pending' AND r.next_attempt_at <= :now
    ORDER BY r.id FOR UPDATE OF r SKIP LOCKED LIMIT :batch)
RETURNING id, broadcast_id, workspace_id, contact_id, chat_id
""")

# The two statements of every send, as plain SQL: this path runs hundreds of times a second.
_MARK_IN_FLIGHT = text("""
UPDATE broadcast_recipients SET in_flight_at = CAST(:now AS timestamptz), attempts = attempts + 1,
       locked_until = CAST(:now AS timestamptz) + make_interval(secs => :lease)
WHERE id = :id AND claim_token = :token AND status = 'sending' AND in_flight_at IS NULL
RETURNING attempts
""")
_RECORD_SENT = text("""
UPDATE broadcast_recipients SET status = 'sent', telegram_message_id = :message_id, sent_at = :now, error = NULL,
       claim_token = NULL, locked_until = NULL, in_flight_at = NULL
WHERE id = :id AND claim_token = :token
""")


@dataclass(frozen=True)
class Claimed:
    id: BroadcastRecipientId
    broadcast_id: BroadcastId
    workspace_id: WorkspaceId
    contact_id: ContactId
    chat_id: int
    token: int


async def bots_with_work(session: AsyncSession, *, now: datetime) -> list[TelegramBotId]:
    """Bots of sending broadcasts with a recipient due now, or one left claimed (maybe by a dead worker)."""
    due = exists().where(
        _R.broadcast_id == Broadcast.id,
        _R.status.in_(_UNFINISHED),
        (_R.status == RecipientStatus.SENDING) | (_R.next_attempt_at <= now),
    )
    query = select(Broadcast.bot_id).where(Broadcast.status == BroadcastStatus.SENDING, due).distinct()
    return list((await session.scalars(query.order_by(Broadcast.bot_id))).all())


async def recover_orphans(
    session: AsyncSession, bot_id: TelegramBotId, *, now: datetime, expired_only: bool
) -> dict[str, int]:
    """Rows of the bot left `sending` by a worker that is gone: pending again when their send had
    not begun, `unconfirmed` when it had (see the module's docstring). Counts by new status."""
    in_flight = _R.in_flight_at.is_not(None)
    conditions = [_R.status == RecipientStatus.SENDING, _R.broadcast_id.in_(_broadcasts_of(bot_id))]
    if expired_only:
        conditions.append(_R.locked_until < now)
    rows = await session.execute(
        update(_R)
        .where(*conditions)
        .values(
            status=case((in_flight, RecipientStatus.UNCONFIRMED.value), else_=RecipientStatus.PENDING.value),
            error=case((in_flight, INTERRUPTED), else_=_R.error),
            claim_token=case((in_flight, _R.claim_token), else_=None),
            locked_until=None,
        )
        .returning(_R.status)
    )
    counts: dict[str, int] = {}
    for status in rows.scalars():
        counts[status] = counts.get(status, 0) + 1
    return counts


async def claim_due(
    session: AsyncSession, bot_id: TelegramBotId, *, now: datetime, batch: int, token: int
) -> list[Claimed]:
    params = {"bot_id": bot_id, "now": now, "lease": CLAIM_SECONDS, "batch": batch, "token": token}
    rows = (await session.execute(_CLAIM, params)).all()
    return sorted(
        (Claimed(row.id, row.broadcast_id, row.workspace_id, row.contact_id, row.chat_id, token) for row in rows),
        key=lambda claimed: claimed.id,
    )


async def mark_in_flight(session: AsyncSession, claimed: Claimed, *, now: datetime) -> int | None:
    """The recipient's attempts, this one counted; None when the row is no longer this claim's
    (paused, cancelled, or recovered by another worker): then it must not be sent."""
    params = {"id": claimed.id, "token": claimed.token, "now": now, "lease": IN_FLIGHT_SECONDS}
    attempts: int | None = await session.scalar(_MARK_IN_FLIGHT, params)
    return attempts


async def record_sent(session: AsyncSession, claimed: Claimed, message_id: int, *, now: datetime) -> None:
    """Sent, and metered under a key of its own: a send is never billed twice."""
    params = {"id": claimed.id, "token": claimed.token, "now": now, "message_id": message_id}
    await session.execute(_RECORD_SENT, params)
    await record_usage(
        session,
        workspace_id=claimed.workspace_id,
        metric=Metric.TELEGRAM_MESSAGE,
        quantity=1,
        idempotency_key=f"broadcast:{claimed.broadcast_id}:{claimed.id}",
        occurred_at=now,
        contact_id=claimed.contact_id,
    )


async def record_failure(
    session: AsyncSession, claimed: Claimed, outcome: Outcome, *, bot_id: TelegramBotId, now: datetime
) -> None:
    match outcome:
        case Retry(at=at, error=error, counts=counts):
            attempts = _R.attempts if counts else _R.attempts - 1
            values = {"status": _pending_unless_cancelled(claimed), "next_attempt_at": at, "attempts": attempts}
            await session.execute(update(_R).where(*_ours(claimed)).values(**values, error=error, **_unclaimed()))
        case GiveUp(status=status, error=error, unsubscribe=reason):
            await session.execute(update(_R).where(*_ours(claimed)).values(status=status, error=error, **_unclaimed()))
            if reason is not None:
                await mark_unreachable(session, bot_id, claimed.chat_id, reason=reason, at=now)
        case PauseBroadcast(error=error):
            values = {"status": _pending_unless_cancelled(claimed), "attempts": _R.attempts - 1}
            await session.execute(update(_R).where(*_ours(claimed)).values(**values, **_unclaimed()))
            await session.execute(
                update(Broadcast)
                .where(Broadcast.id == claimed.broadcast_id, Broadcast.status == BroadcastStatus.SENDING)
                .values(status=BroadcastStatus.PAUSED, last_error=error, updated_at=now)
            )
            await release_claims(session, claimed.broadcast_id, to=RecipientStatus.PENDING)


async def pause_bot_broadcasts(session: AsyncSession, bot_id: TelegramBotId, *, error: str, now: datetime) -> None:
    """The bot cannot send (disconnected): its sending broadcasts are paused, saying why."""
    paused = await session.scalars(
        update(Broadcast)
        .where(Broadcast.bot_id == bot_id, Broadcast.status == BroadcastStatus.SENDING)
        .values(status=BroadcastStatus.PAUSED, last_error=error, updated_at=now)
        .returning(Broadcast.id)
    )
    for broadcast_id in paused.all():
        await release_claims(session, broadcast_id, to=RecipientStatus.PENDING)


async def release_claims(session: AsyncSession, broadcast_id: BroadcastId, *, to: RecipientStatus) -> int:
    """Claimed rows of the broadcast whose send has not begun: back to pending (pause) or skipped
    (cancel). A worker holding them finds them no longer its own and leaves them."""
    return await _release(session, _R.broadcast_id == broadcast_id, to=to)


async def skip_pending(session: AsyncSession, broadcast_id: BroadcastId) -> None:
    """A cancelled broadcast's pending recipients will not get it."""
    await session.execute(
        update(_R)
        .where(_R.broadcast_id == broadcast_id, _R.status == RecipientStatus.PENDING)
        .values(status=RecipientStatus.SKIPPED)
    )


async def release_token(session: AsyncSession, token: int) -> int:
    """A stopping worker's claimed rows that it did not begin to send: pending again."""
    return await _release(session, _R.claim_token == token, to=RecipientStatus.PENDING)


async def finish_done(session: AsyncSession, *, now: datetime) -> list[BroadcastId]:
    """Sending broadcasts with nobody pending or claimed any more become finished."""
    left = exists().where(_R.broadcast_id == Broadcast.id, _R.status.in_(_UNFINISHED))
    finished = await session.scalars(
        update(Broadcast)
        .where(Broadcast.status == BroadcastStatus.SENDING, ~left)
        .values(status=BroadcastStatus.FINISHED, finished_at=now, updated_at=now)
        .returning(Broadcast.id)
    )
    return list(finished.all())


async def _release(session: AsyncSession, which: ColumnElement[bool], *, to: RecipientStatus) -> int:
    released = await session.scalars(
        update(_R)
        .where(which, _R.status == RecipientStatus.SENDING, _R.in_flight_at.is_(None))
        .values(status=to, **_unclaimed())
        .returning(_R.id)
    )
    return len(released.all())


def _ours(claimed: Claimed) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (_R.id == claimed.id, _R.claim_token == claimed.token)


def _pending_unless_cancelled(claimed: Claimed) -> ColumnElement[str]:
    """A send to try again later waits as pending, or is skipped if the broadcast was cancelled
    while it was in flight (cancelling skipped everyone pending then)."""
    cancelled = (
        select(Broadcast.id)
        .where(Broadcast.id == claimed.broadcast_id, Broadcast.status == BroadcastStatus.CANCELLED)
        .exists()
    )
    return case((cancelled, RecipientStatus.SKIPPED.value), else_=RecipientStatus.PENDING.value)


def _unclaimed() -> dict[str, object]:
    return {"claim_token": None, "locked_until": None, "in_flight_at": None}


def _broadcasts_of(bot_id: TelegramBotId) -> ScalarSelect[BroadcastId]:
    return select(Broadcast.id).where(Broadcast.bot_id == bot_id).scalar_subquery()
