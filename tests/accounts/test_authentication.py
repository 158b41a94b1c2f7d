from datetime import UTC, datetime, timedelta

from accounts.authentication import attempt_login
from accounts.login_policy import MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_IP, WINDOW
from core.clock import FrozenClock
from core.db import Database
from tests.factories import PASSWORD, make_operator


async def test_right_password_logs_in_and_wrong_one_does_not(db: Database) -> None:
    clock = FrozenClock(datetime(2026, 11, 1, tzinfo=UTC))
    async with db.transaction() as tx:
        operator = await make_operator(tx.session, email="ann@example.com")
        ok = await attempt_login(tx.session, email=" ANN@example.com", password=PASSWORD, ip="1.1.1.1", clock=clock)
        wrong = await attempt_login(tx.session, email="ann@example.com", password="nope", ip="1.1.1.1", clock=clock)
        unknown = await attempt_login(tx.session, email="who@example.com", password=PASSWORD, ip="1.1.1.1", clock=clock)
    assert ok.operator is operator and operator.last_login_at == clock.now()
    assert wrong.operator is None and not wrong.throttled
    assert unknown.operator is None and not unknown.throttled


async def test_an_account_is_throttled_after_repeated_failures_even_with_the_right_password(db: Database) -> None:
    clock = FrozenClock(datetime(2026, 11, 1, tzinfo=UTC))
    async with db.transaction() as tx:
        await make_operator(tx.session, email="ann@example.com")
        for attempt in range(MAX_FAILURES_PER_ACCOUNT):
            ip = f"10.0.0.{attempt}"  # from different addresses: the account limit still applies
            await attempt_login(tx.session, email="ann@example.com", password="wrong", ip=ip, clock=clock)
        locked = await attempt_login(tx.session, email="ann@example.com", password=PASSWORD, ip="9.9.9.9", clock=clock)
        assert locked.throttled and locked.operator is None
        clock.advance(WINDOW + timedelta(seconds=1))
        later = await attempt_login(tx.session, email="ann@example.com", password=PASSWORD, ip="9.9.9.9", clock=clock)
        assert later.operator is not None


async def test_an_address_is_throttled_after_failures_across_accounts(db: Database) -> None:
    clock = FrozenClock(datetime(2026, 11, 1, tzinfo=UTC))
    async with db.transaction() as tx:
        await make_operator(tx.session, email="ann@example.com")
        for attempt in range(MAX_FAILURES_PER_IP):
            email = f"guess{attempt}@example.com"
            await attempt_login(tx.session, email=email, password="x", ip="6.6.6.6", clock=clock)
        blocked = await attempt_login(tx.session, email="ann@example.com", password=PASSWORD, ip="6.6.6.6", clock=clock)
        elsewhere = await attempt_login(
            tx.session, email="ann@example.com", password=PASSWORD, ip="7.7.7.7", clock=clock
        )
    assert blocked.throttled
    assert elsewhere.operator is not None
