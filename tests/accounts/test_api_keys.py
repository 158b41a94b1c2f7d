import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from accounts.access import access_workspace_as_operator
from accounts.api_keys import authenticate_api_key, create_api_key, list_api_keys, revoke_api_key
from accounts.models import ApiKey
from accounts.roles import Role
from core.clock import FrozenClock
from core.db import Database
from core.errors import Forbidden, NotFound, Unauthenticated
from tests.factories import make_actor, make_operator, make_workspace


async def test_a_key_is_shown_once_and_stored_only_as_its_digest(db: Database) -> None:
    clock = FrozenClock(datetime(2026, 11, 1, tzinfo=UTC))
    async with db.transaction() as tx:
        actor = await make_actor(tx.session)
        new = await create_api_key(tx.session, actor, name="Zapier", role=Role.EDITOR)
        stored = await tx.session.get(ApiKey, new.id)
        assert stored is not None
        assert stored.key_hash == hashlib.sha256(new.key.encode()).hexdigest()
        assert new.key not in (stored.prefix, stored.key_hash)
        key_actor = await authenticate_api_key(tx.session, new.key, clock=clock)
        assert (key_actor.workspace_id, key_actor.role, key_actor.api_key_id) == (
            actor.workspace_id,
            Role.EDITOR,
            new.id,
        )
        assert [view.prefix for view in await list_api_keys(tx.session, actor)] == [new.key[:10]]


async def test_revoked_and_unknown_keys_do_not_authenticate(db: Database) -> None:
    clock = FrozenClock(datetime(2026, 11, 1, tzinfo=UTC))
    async with db.transaction() as tx:
        actor = await make_actor(tx.session)
        new = await create_api_key(tx.session, actor, name="Old", role=Role.ADMIN)
        clock.advance(timedelta(minutes=5))
        await revoke_api_key(tx.session, actor, new.id, clock=clock)
        for key in (new.key, "fl_unknown", ""):
            with pytest.raises(Unauthenticated):
                await authenticate_api_key(tx.session, key, clock=clock)


async def test_keys_of_another_workspace_cannot_be_revoked_and_editors_cannot_manage_keys(db: Database) -> None:
    clock = FrozenClock(datetime(2026, 11, 1, tzinfo=UTC))
    async with db.transaction() as tx:
        mine, theirs = await make_workspace(tx.session), await make_workspace(tx.session)
        admin = await make_operator(tx.session, workspace=mine, role=Role.ADMIN)
        editor = await make_operator(tx.session, workspace=mine, role=Role.EDITOR)
        their_admin = await make_operator(tx.session, workspace=theirs, role=Role.ADMIN)
        their_actor = await access_workspace_as_operator(tx.session, their_admin.id, theirs.slug)
        their_key = await create_api_key(tx.session, their_actor, name="Theirs", role=Role.ADMIN)
        actor = await access_workspace_as_operator(tx.session, admin.id, mine.slug)
        with pytest.raises(NotFound):
            await revoke_api_key(tx.session, actor, their_key.id, clock=clock)
        editor_actor = await access_workspace_as_operator(tx.session, editor.id, mine.slug)
        with pytest.raises(Forbidden):
            await create_api_key(tx.session, editor_actor, name="Mine", role=Role.ADMIN)
