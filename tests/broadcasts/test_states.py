"""Which actions a broadcast's status allows, and scheduling in a time zone (pure)."""

from datetime import UTC, datetime

import pytest

from broadcasts.states import Action, BroadcastStatus, check_action, scheduled_instant
from core.errors import Conflict, InvalidInput

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def local(wall: str) -> datetime:
    """A wall time as the admin's form gives it (naive: its zone is given beside it)."""
    return datetime.fromisoformat(wall)


def test_each_action_needs_its_statuses() -> None:
    check_action(Action.PAUSE, BroadcastStatus.SENDING)
    check_action(Action.RESUME, BroadcastStatus.PAUSED)
    with pytest.raises(Conflict, match="A finished broadcast cannot cancel"):
        check_action(Action.CANCEL, BroadcastStatus.FINISHED)
    with pytest.raises(Conflict):
        check_action(Action.EDIT, BroadcastStatus.SENDING)


def test_a_local_time_becomes_the_utc_instant() -> None:
    assert scheduled_instant(local("2026-03-02 10:00"), "Europe/Moscow", now=NOW) == datetime(
        2026, 3, 2, 7, 0, tzinfo=UTC
    )
    # New York is on summer time from 8 March 2026: the same wall time is an hour earlier in UTC.
    winter = scheduled_instant(local("2026-03-07 09:00"), "America/New_York", now=NOW)
    summer = scheduled_instant(local("2026-03-09 09:00"), "America/New_York", now=NOW)
    assert (winter.hour, summer.hour) == (14, 13)


def test_a_time_in_the_past_or_that_never_exists_is_refused() -> None:
    with pytest.raises(InvalidInput, match="in the future"):
        scheduled_instant(local("2026-03-01 14:59"), "Europe/Moscow", now=NOW)  # 11:59 UTC
    with pytest.raises(InvalidInput, match="does not exist"):
        scheduled_instant(local("2026-03-08 02:30"), "America/New_York", now=NOW)
    with pytest.raises(InvalidInput, match="Unknown timezone"):
        scheduled_instant(local("2026-03-08 02:30"), "Mars/Olympus", now=NOW)
