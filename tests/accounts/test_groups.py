import pytest

from accounts.access import access_workspace_as_operator
from accounts.groups import create_group, delete_group, list_groups, rename_group, set_operator_groups
from accounts.roles import Role
from core.db import Database
from core.errors import Conflict, NotFound
from tests.factories import make_operator, make_workspace


async def test_group_names_are_unique_per_workspace_ignoring_case(db: Database) -> None:
    async with db.transaction() as tx:
        first, second = await make_workspace(tx.session), await make_workspace(tx.session)
        admin = await make_operator(tx.session, workspace=first, role=Role.ADMIN)
        other_admin = await make_operator(tx.session, workspace=second, role=Role.ADMIN)
        actor = await access_workspace_as_operator(tx.session, admin.id, first.slug)
        other = await access_workspace_as_operator(tx.session, other_admin.id, second.slug)
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
        mine, theirs = await make_workspace(tx.session), await make_workspace(tx.session)
        admin = await make_operator(tx.session, workspace=mine, role=Role.ADMIN)
        their_admin = await make_operator(tx.session, workspace=theirs, role=Role.ADMIN)
        actor = await access_workspace_as_operator(tx.session, admin.id, mine.slug)
        their_group = await create_group(
            tx.session, await access_workspace_as_operator(tx.session, their_admin.id, theirs.slug), "Theirs"
        )
        with pytest.raises(NotFound):
            await rename_group(tx.session, actor, their_group.id, "Mine now")
        with pytest.raises(NotFound):
            await delete_group(tx.session, actor, their_group.id)
        with pytest.raises(NotFound):
            await set_operator_groups(tx.session, actor, admin.id, [their_group.id])


async def test_setting_groups_replaces_the_previous_set(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        admin = await make_operator(tx.session, workspace=workspace, role=Role.ADMIN)
        actor = await access_workspace_as_operator(tx.session, admin.id, workspace.slug)
        support, sales = (
            await create_group(tx.session, actor, "Support"),
            await create_group(tx.session, actor, "Sales"),
        )
        await set_operator_groups(tx.session, actor, admin.id, [support.id, sales.id, support.id])
        await set_operator_groups(tx.session, actor, admin.id, [sales.id])
        members = {g.name: g.member_ids for g in await list_groups(tx.session, actor)}
    assert members == {"Sales": (admin.id,), "Support": ()}
