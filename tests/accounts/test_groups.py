import pytest

from accounts.groups import create_group, delete_group, list_groups, rename_group, set_operator_groups
from core.db import Database
from core.errors import Conflict, NotFound
from tests.factories import make_actor


async def test_group_names_are_unique_per_workspace_ignoring_case(db: Database) -> None:
    async with db.transaction() as tx:
        actor, other = await make_actor(tx.session), await make_actor(tx.session)
        await create_group(tx.session, actor, "Support")
        with pytest.raises(Conflict):
            await create_group(tx.session, actor, "support")
        await create_group(tx.session, other, "Support")  # another workspace may use the name
        sales = await create_group(tx.session, actor, "Sales")
        with pytest.raises(Conflict):
            await rename_group(tx.session, actor, sales.id, "SUPPORT")
        assert [g.name for g in await list_groups(tx.session, actor)] == ["Sales", "Support"]


async def test_groups_of_another_workspace_are_not_found(db: Database) -> None:
    async with db.transaction() as tx:
        actor, stranger = await make_actor(tx.session), await make_actor(tx.session)
        their_group = await create_group(tx.session, stranger, "Theirs")
        assert actor.operator_id is not None
        with pytest.raises(NotFound):
            await rename_group(tx.session, actor, their_group.id, "Mine now")
        with pytest.raises(NotFound):
            await delete_group(tx.session, actor, their_group.id)
        with pytest.raises(NotFound):
            await set_operator_groups(tx.session, actor, actor.operator_id, [their_group.id])


async def test_setting_groups_replaces_the_previous_set(db: Database) -> None:
    async with db.transaction() as tx:
        actor = await make_actor(tx.session)
        assert actor.operator_id is not None
        support, sales = (
            await create_group(tx.session, actor, "Support"),
            await create_group(tx.session, actor, "Sales"),
        )
        await set_operator_groups(tx.session, actor, actor.operator_id, [support.id, sales.id, support.id])
        await set_operator_groups(tx.session, actor, actor.operator_id, [sales.id])
        members = {g.name: g.member_ids for g in await list_groups(tx.session, actor)}
    assert members == {"Sales": (actor.operator_id,), "Support": ()}
