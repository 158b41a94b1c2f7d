from datetime import UTC, datetime, timedelta

import pytest

from accounts.access import access_workspace_as_operator
from accounts.invitations import INVITATION_LIFETIME, accept_invitation
from accounts.operators import add_member
from accounts.roles import Role
from accounts.secrets_hashing import verify_password
from core.clock import FrozenClock
from core.db import Database
from core.errors import InvalidInput, NotFound
from tests.factories import make_operator, make_workspace


async def test_an_invitation_sets_the_password_once(db: Database) -> None:
    clock = FrozenClock(datetime(2026, 11, 1, tzinfo=UTC))
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        admin = await make_operator(tx.session, workspace=workspace, role=Role.ADMIN)
        actor = await access_workspace_as_operator(tx.session, admin.id, workspace.slug)
        added = await add_member(
            tx.session, actor, email="n@example.com", display_name="N", role=Role.OPERATOR, clock=clock
        )
        assert added.invitation_token is not None
        with pytest.raises(InvalidInput):
            await accept_invitation(tx.session, added.invitation_token, "short", clock=clock)
        operator = await accept_invitation(tx.session, added.invitation_token, "a long new password", clock=clock)
        assert verify_password(operator.password_hash, "a long new password")
        with pytest.raises(NotFound):
            await accept_invitation(tx.session, added.invitation_token, "another long password", clock=clock)


async def test_an_expired_invitation_is_refused(db: Database) -> None:
    clock = FrozenClock(datetime(2026, 11, 1, tzinfo=UTC))
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        admin = await make_operator(tx.session, workspace=workspace, role=Role.ADMIN)
        actor = await access_workspace_as_operator(tx.session, admin.id, workspace.slug)
        added = await add_member(
            tx.session, actor, email="n@example.com", display_name="N", role=Role.OPERATOR, clock=clock
        )
        assert added.invitation_token is not None
        clock.advance(INVITATION_LIFETIME + timedelta(seconds=1))
        with pytest.raises(NotFound):
            await accept_invitation(tx.session, added.invitation_token, "a long new password", clock=clock)
