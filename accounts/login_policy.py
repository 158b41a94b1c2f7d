"""When login attempts are refused: failures counted per IP and per account in a sliding window (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_IP = 20


@dataclass(frozen=True)
class RecentFailures:
    by_ip: int
    by_account: int


def is_login_allowed(failures: RecentFailures) -> bool:
    """Counting by the submitted email, existing or not, so a lockout says nothing about accounts."""
    return failures.by_ip < MAX_FAILURES_PER_IP and failures.by_account < MAX_FAILURES_PER_ACCOUNT
