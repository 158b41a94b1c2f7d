import pytest
from sqlalchemy import func, select

from accounts.models import Workspace
from core.db import Database
from tests.factories import make_workspace


async def test_after_commit_callbacks_run_only_after_a_commit(db: Database) -> None:
    ran: list[str] = []

    async def remember() -> None:
        ran.append("sent")

    async with db.transaction() as tx:
        tx.on_commit(remember)
        await make_workspace(tx.session)
        assert ran == []
    assert ran == ["sent"]


async def test_after_commit_callbacks_never_run_on_rollback(db: Database) -> None:
    ran: list[str] = []

    async def remember() -> None:
        ran.append("sent")

    async def fail_inside_a_transaction() -> None:
        async with db.transaction() as tx:
            tx.on_commit(remember)
            await make_workspace(tx.session, slug="rolled-back")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await fail_inside_a_transaction()
    assert ran == []
    async with db.transaction() as tx:
        count = await tx.session.scalar(select(func.count()).where(Workspace.slug == "rolled-back"))
    assert count == 0


async def test_a_failing_callback_does_not_undo_the_commit_or_stop_the_others(db: Database) -> None:
    ran: list[str] = []

    async def fail() -> None:
        raise ValueError("the channel is down")

    async def remember() -> None:
        ran.append("second")

    async with db.transaction() as tx:
        tx.on_commit(fail)
        tx.on_commit(remember)
        await make_workspace(tx.session, slug="kept")
    assert ran == ["second"]
    async with db.transaction() as tx:
        assert await tx.session.scalar(select(func.count()).where(Workspace.slug == "kept")) == 1
