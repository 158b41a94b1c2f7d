from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.invitations import INVITATION_LIFETIME, accept_invitation
from accounts.operators import add_member
from accounts.roles import Role
from accounts.secrets_hashing import verify_password
from core.clock import FrozenClock
from core.db import Database
from core.errors import InvalidInput, NotFound
from tests.factories import make_actor


async def invite_someone(session: AsyncSession, clock: FrozenClock) -> str:
    actor = await make_actor(session)
    added = await add_member(session, actor, email="n@example.com", display_name="N", role=Role.OPERATOR, clock=clock)
    assert added.invitation_token is not None
    return added.invitation_token


async def test_an_invitation_sets_the_password_once(db: Database) -> None:
    clock = FrozenClock(datetime(2026, 11, 1, tzinfo=UTC))
    async with db.transaction() as tx:
        token = await invite_someone(tx.session, clock)
        with pytest.raises(InvalidInput):
            await accept_invitation(tx.session, token, "short", clock=clock)
        operator = await accept_invitation(tx.session, token, "a long new password", clock=clock)
        assert verify_password(operator.password_hash, "a long new password")
        with pytest.raises(NotFound):
            await accept_invitation(tx.session, token, "another long password", clock=clock)


async def test_an_expired_invitation_is_refused(db: Database) -> None:
    clock = FrozenClock(datetime(2026, 11, 1, tzinfo=UTC))
    async with db.transaction() as tx:
        token = await invite_someone(tx.session, clock)
        clock.advance(INVITATION_LIFETIME + timedelta(seconds=1))
        with pytest.raises(NotFound):
            await accept_invitation(tx.session, token, "a long new password", clock=clock)
