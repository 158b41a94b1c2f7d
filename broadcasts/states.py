"""A broadcast's life (pure): its statuses and its recipients', which actions each status allows,
and the instant a local date and time in a time zone names, for scheduling.

    draft ──send now──▶ sending ◀──resume── paused
      │ ▲                 │  └────pause────▶  │
  schedule│unschedule     ├─▶ finished (everyone handled)
      ▼ │                 ▼                   ▼
    scheduled ──due──▶ sending      cancelled (from scheduled, sending, paused)
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import Conflict, InvalidInput


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    FINISHED = "finished"


class RecipientStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker; `in_flight_at` set once its send has begun
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    SKIPPED = "skipped"  # the broadcast was cancelled before it reached them
    # The worker died during this person's send: Telegram probably has it; never sent again
    # (see broadcasts.delivery).
    UNCONFIRMED = "unconfirmed"


_DRAFT, _SCHEDULED, _SENDING, _PAUSED = (
    BroadcastStatus.DRAFT,
    BroadcastStatus.SCHEDULED,
    BroadcastStatus.SENDING,
    BroadcastStatus.PAUSED,
)


class Action(StrEnum):
    EDIT = "edit"
    SEND_NOW = "send now"
    SCHEDULE = "schedule"
    UNSCHEDULE = "unschedule"
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"


ALLOWED: dict[Action, frozenset[BroadcastStatus]] = {
    Action.EDIT: frozenset({_DRAFT, _SCHEDULED}),
    Action.SEND_NOW: frozenset({_DRAFT, _SCHEDULED}),
    Action.SCHEDULE: frozenset({_DRAFT, _SCHEDULED}),
    Action.UNSCHEDULE: frozenset({_SCHEDULED}),
    Action.PAUSE: frozenset({_SENDING}),
    Action.RESUME: frozenset({_PAUSED}),
    Action.CANCEL: frozenset({_SCHEDULED, _SENDING, _PAUSED}),
}


def check_action(action: Action, status: str) -> None:
    """Conflict when a broadcast in `status` cannot do `action` (a page showed an old state)."""
    if BroadcastStatus(status) not in ALLOWED[action]:
        raise Conflict("A {status} broadcast cannot {action}.", status=status, action=str(action))


def scheduled_instant(at_local: datetime, timezone: str, *, now: datetime) -> datetime:
    """The UTC instant of the wall time `at_local` (naive) in `timezone`; it must be in the future.
    A wall time the clocks skip (spring forward) is refused; of a repeated one, the first is meant."""
    if at_local.tzinfo is not None:
        raise ValueError("scheduled_instant takes a local (naive) date and time")
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("Unknown timezone {timezone}.", field="timezone", timezone=timezone[:64]) from None
    instant = at_local.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != at_local:
        raise InvalidInput(
            "{time} does not exist in {timezone} (the clocks move forward then); choose another time.",
            field="scheduled_at",
            time=at_local.strftime("%Y-%m-%d %H:%M"),
            timezone=timezone,
        )
    if instant <= now:
        raise InvalidInput("Choose a time in the future.", field="scheduled_at")
    return instant
