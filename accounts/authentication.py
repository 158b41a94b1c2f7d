"""Password login with attempts recorded and throttled per IP and per account (in Postgres, so
every process sees the same counts); the outcome is returned, not raised, so the failure commits."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.login_policy import WINDOW, RecentFailures, is_login_allowed
from accounts.models import LoginAttempt, Operator
from accounts.operators import find_operator_by_email
from accounts.secrets_hashing import verify_password
from core.clock import Clock


@dataclass(frozen=True)
class LoginOutcome:
    operator: Operator | None
    throttled: bool = False


async def attempt_login(session: AsyncSession, *, email: str, password: str, ip: str, clock: Clock) -> LoginOutcome:
    account = email.strip().lower()[:254]
    now = clock.now()
    if not is_login_allowed(await _recent_failures(session, ip=ip, account=account, since=now - WINDOW)):
        return LoginOutcome(operator=None, throttled=True)
    operator = await find_operator_by_email(session, account)
    password_hash = operator.password_hash if operator is not None else None
    # argon2 takes tens of milliseconds of CPU: keep it off the event loop.
    matches = await asyncio.to_thread(verify_password, password_hash, password)
    succeeded = operator is not None and operator.is_active and matches
    session.add(LoginAttempt(ip=ip, email=account, succeeded=succeeded, attempted_at=now))
    if not succeeded or operator is None:
        return LoginOutcome(operator=None)
    operator.last_login_at = now
    return LoginOutcome(operator=operator)


async def _recent_failures(session: AsyncSession, *, ip: str, account: str, since: object) -> RecentFailures:
    failed = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.attempted_at > since, LoginAttempt.succeeded.is_(False))
    )
    by_ip = await session.scalar(failed.where(LoginAttempt.ip == ip))
    by_account = await session.scalar(failed.where(LoginAttempt.email == account))
    return RecentFailures(by_ip=by_ip or 0, by_account=by_account or 0)
