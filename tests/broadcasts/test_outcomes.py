"""What becomes of a failed send, and how fast a bot broadcasts (pure)."""

from datetime import UTC, datetime, timedelta

from broadcasts.outcomes import (
    MAX_ATTEMPTS,
    FailureKind,
    GiveUp,
    PauseBroadcast,
    Retry,
    batch_size,
    lanes_for,
    outcome_of,
    sending_rate,
)
from broadcasts.states import RecipientStatus

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_flood_control_is_waited_out_exactly_and_is_not_an_attempt() -> None:
    assert outcome_of(FailureKind.RATE_LIMITED, "429", retry_after=7, attempts=3, now=NOW) == Retry(
        NOW + timedelta(seconds=7), "429", counts=False
    )


def test_blocked_and_gone_are_never_retried_and_unsubscribe() -> None:
    blocked = outcome_of(
        FailureKind.BLOCKED, "Forbidden: bot was blocked by the user", retry_after=None, attempts=1, now=NOW
    )
    assert blocked == GiveUp(RecipientStatus.BLOCKED, "Forbidden: bot was blocked by the user", unsubscribe="blocked")
    deleted = outcome_of(FailureKind.BLOCKED, "Forbidden: user is deactivated", retry_after=None, attempts=1, now=NOW)
    assert isinstance(deleted, GiveUp)
    assert deleted.unsubscribe == "deactivated"
    gone = outcome_of(FailureKind.GONE, "Bad Request: chat not found", retry_after=None, attempts=1, now=NOW)
    assert gone == GiveUp(RecipientStatus.FAILED, "Bad Request: chat not found", unsubscribe="chat-not-found")


def test_a_transient_failure_backs_off_until_the_last_attempt() -> None:
    first = outcome_of(FailureKind.UNAVAILABLE, "502", retry_after=None, attempts=1, now=NOW)
    second = outcome_of(FailureKind.UNAVAILABLE, "502", retry_after=None, attempts=2, now=NOW)
    assert isinstance(first, Retry)
    assert isinstance(second, Retry)
    assert first.counts
    assert NOW < first.at < second.at
    last = outcome_of(FailureKind.UNAVAILABLE, "502", retry_after=None, attempts=MAX_ATTEMPTS, now=NOW)
    assert last == GiveUp(RecipientStatus.FAILED, "502", unsubscribe=None)


def test_a_send_telegram_may_have_carried_out_is_unconfirmed_at_the_first_attempt() -> None:
    timed_out = outcome_of(FailureKind.UNKNOWN, "Request timeout error", retry_after=None, attempts=1, now=NOW)
    assert timed_out == GiveUp(RecipientStatus.UNCONFIRMED, "Request timeout error", unsubscribe=None)


def test_a_revoked_token_pauses_and_a_bad_request_fails_the_one() -> None:
    assert isinstance(outcome_of(FailureKind.BOT_REVOKED, "401", retry_after=None, attempts=1, now=NOW), PauseBroadcast)
    assert outcome_of(FailureKind.REJECTED, "400", retry_after=None, attempts=1, now=NOW) == GiveUp(
        RecipientStatus.FAILED, "400", unsubscribe=None
    )


def test_a_free_bot_is_held_under_30_per_second_and_a_paying_one_may_go_faster() -> None:
    assert 29 <= sending_rate(300, paid_broadcasts=False) < 30
    assert 290 <= sending_rate(300, paid_broadcasts=True) < 300
    assert sending_rate(10, paid_broadcasts=False) < 10
    assert lanes_for(sending_rate(30, paid_broadcasts=False)) == 2
    assert lanes_for(sending_rate(1000, paid_broadcasts=True)) == 8
    assert batch_size(29.1) == 291
