"""What delivery does (pure): how fast a bot may broadcast, and what becomes of a recipient whose
send failed: retried (when, and whether it counts as an attempt), given up (failed or blocked, and
whether the subscriber is unsubscribed; unconfirmed when Telegram may have delivered it), or the
whole broadcast paused (the bot's token is dead)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from broadcasts.states import RecipientStatus

FREE_PER_SECOND = 30  # Telegram's free broadcast limit per bot (../shared/PROTOCOLS.md §1.1)
# Pace a little under the limit: a send leaves a few milliseconds late or early (database commits,
# the event loop), and a sliding-window limiter refuses the one send that lands early.
PACING_MARGIN = 0.97
# And never let two sends go closer together than this share of the limit allows: a send delayed by
# its in-flight commit must not bring the next one too close (a 429 costs the bot retry_after).
SPACING_MARGIN = 0.99
MAX_ATTEMPTS = 5
MAX_LANES = 8


class FailureKind(StrEnum):
    RATE_LIMITED = "rate_limited"  # 429: wait exactly retry_after, then the same send again
    BLOCKED = "blocked"  # 403: blocked the bot, or deleted the account
    GONE = "gone"  # 400 chat not found
    BOT_REVOKED = "bot_revoked"  # 401/404: the bot's token was revoked
    REJECTED = "rejected"  # any other 4xx: this send will never work
    UNAVAILABLE = "unavailable"  # 5xx, no connection: later
    UNKNOWN = "unknown"  # a timeout, a connection dropped mid-way: maybe delivered, never sent again


@dataclass(frozen=True)
class Retry:
    at: datetime
    error: str
    counts: bool  # False for flood control: Telegram asked us to wait, the send did not fail


@dataclass(frozen=True)
class GiveUp:
    status: RecipientStatus  # failed, blocked or unconfirmed
    error: str
    unsubscribe: str | None  # the subscriber's unsubscribed_reason, when they cannot be reached at all


@dataclass(frozen=True)
class PauseBroadcast:
    error: str


Outcome = Retry | GiveUp | PauseBroadcast


def outcome_of(
    kind: FailureKind, description: str, *, retry_after: int | None, attempts: int, now: datetime
) -> Outcome:
    """`attempts`: sends begun for this recipient, this one included."""
    match kind:
        case FailureKind.RATE_LIMITED:
            return Retry(now + timedelta(seconds=retry_after or 1), description, counts=False)
        case FailureKind.BLOCKED:
            reason = "deactivated" if "deactivated" in description.lower() else "blocked"
            return GiveUp(RecipientStatus.BLOCKED, description, unsubscribe=reason)
        case FailureKind.GONE:
            return GiveUp(RecipientStatus.FAILED, description, unsubscribe="chat-not-found")
        case FailureKind.UNKNOWN:
            return GiveUp(RecipientStatus.UNCONFIRMED, description, unsubscribe=None)
        case FailureKind.BOT_REVOKED:
            return PauseBroadcast(f"Telegram rejected the bot's token ({description}); connect the bot again.")
        case FailureKind.UNAVAILABLE if attempts < MAX_ATTEMPTS:
            return Retry(now + retry_delay(attempts), description, counts=True)
    return GiveUp(RecipientStatus.FAILED, description, unsubscribe=None)


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed attempt: 10 s, 20 s, 40 s... at most 10 minutes."""
    return timedelta(seconds=min(10 * 2 ** (attempts - 1), 600))


def sending_rate(messages_per_second: int, *, paid_broadcasts: bool) -> float:
    """Messages per second to pace a bot's broadcasts at: its setting, at most 30 unless it pays
    for broadcasts (Telegram then allows up to 1,000), with the margin above."""
    return _allowed(messages_per_second, paid_broadcasts) * PACING_MARGIN


def send_spacing(messages_per_second: int, *, paid_broadcasts: bool) -> float:
    """The least time, in seconds, between two sends of a bot actually leaving."""
    return 1 / (_allowed(messages_per_second, paid_broadcasts) * SPACING_MARGIN)


def _allowed(messages_per_second: int, paid_broadcasts: bool) -> int:
    return max(1, messages_per_second if paid_broadcasts else min(messages_per_second, FREE_PER_SECOND))


def lanes_for(rate: float) -> int:
    """Sends under way at once. A send and its two commits take a few milliseconds, or tens when
    the database is busy; with two lanes one can commit while the other waits for its turn, so a
    slow commit does not cost the bot a slot. Faster (paid) broadcasts overlap more."""
    return max(2, min(MAX_LANES, math.ceil(rate / 15)))


def batch_size(rate: float) -> int:
    """Recipients claimed at a time: about ten seconds of sending (lanes meet between batches)."""
    return max(20, min(1000, math.ceil(rate * 10)))
