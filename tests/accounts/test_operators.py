from datetime import UTC, datetime

import pytest

from accounts.access import access_workspace_as_operator
from accounts.groups import create_group, list_groups, set_operator_groups
from accounts.operators import add_member, list_members, member_view, remove_member, set_member_role, update_profile
from accounts.roles import Role
from core.clock import FrozenClock
from core.db import Database
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.factories import make_operator, make_workspace

CLOCK = FrozenClock(datetime(2026, 11, 1, 12, 0, tzinfo=UTC))


async def test_adding_a_new_email_creates_an_invited_operator(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        admin = await make_operator(tx.session, workspace=workspace, role=Role.ADMIN)
        actor = await access_workspace_as_operator(tx.session, admin.id, workspace.slug)
        added = await add_member(
            tx.session, actor, email="New.Person@Example.com", display_name="New", role=Role.OPERATOR, clock=CLOCK
        )
        view = await member_view(tx.session, actor, added.operator.id)
    assert added.invitation_token is not None and added.invitation_token.startswith("inv_")
    assert view.email == "new.person@example.com"
    assert view.role is Role.OPERATOR
    assert not view.has_password


async def test_adding_an_existing_operator_joins_them_without_an_invitation(db: Database) -> None:
    async with db.transaction() as tx:
        first, second = await make_workspace(tx.session), await make_workspace(tx.session)
        admin = await make_operator(tx.session, workspace=second, role=Role.ADMIN)
        elsewhere = await make_operator(tx.session, workspace=first)
        actor = await access_workspace_as_operator(tx.session, admin.id, second.slug)
        added = await add_member(
            tx.session, actor, email=elsewhere.email.upper(), display_name="x", role=Role.EDITOR, clock=CLOCK
        )
        assert added.invitation_token is None
        with pytest.raises(Conflict):
            await add_member(tx.session, actor, email=elsewhere.email, display_name="x", role=Role.EDITOR, clock=CLOCK)
        assert {m.email for m in await list_members(tx.session, actor)} == {admin.email, elsewhere.email}


async def test_the_last_admin_can_be_neither_demoted_nor_removed(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        admin = await make_operator(tx.session, workspace=workspace, role=Role.ADMIN)
        actor = await access_workspace_as_operator(tx.session, admin.id, workspace.slug)
        with pytest.raises(Conflict):
            await set_member_role(tx.session, actor, admin.id, Role.OPERATOR)
        with pytest.raises(Conflict):
            await remove_member(tx.session, actor, admin.id)
        second = await make_operator(tx.session, workspace=workspace, role=Role.ADMIN)
        await set_member_role(tx.session, actor, second.id, Role.OPERATOR)
        assert (await member_view(tx.session, actor, second.id)).role is Role.OPERATOR


async def test_removing_a_member_drops_their_groups_in_that_workspace(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        admin = await make_operator(tx.session, workspace=workspace, role=Role.ADMIN)
        member = await make_operator(tx.session, workspace=workspace)
        actor = await access_workspace_as_operator(tx.session, admin.id, workspace.slug)
        group = await create_group(tx.session, actor, "Support")
        await set_operator_groups(tx.session, actor, member.id, [group.id])
        await remove_member(tx.session, actor, member.id)
        assert (await list_groups(tx.session, actor))[0].member_ids == ()
        with pytest.raises(NotFound):
            await member_view(tx.session, actor, member.id)


async def test_members_of_another_workspace_are_not_found(db: Database) -> None:
    async with db.transaction() as tx:
        mine, theirs = await make_workspace(tx.session), await make_workspace(tx.session)
        admin = await make_operator(tx.session, workspace=mine, role=Role.ADMIN)
        stranger = await make_operator(tx.session, workspace=theirs, role=Role.ADMIN)
        actor = await access_workspace_as_operator(tx.session, admin.id, mine.slug)
        for attempt in (
            set_member_role(tx.session, actor, stranger.id, Role.EDITOR),
            remove_member(tx.session, actor, stranger.id),
            member_view(tx.session, actor, stranger.id),
            set_operator_groups(tx.session, actor, stranger.id, []),
        ):
            with pytest.raises(NotFound):
                await attempt


async def test_only_admins_manage_operators(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        editor = await make_operator(tx.session, workspace=workspace, role=Role.EDITOR)
        actor = await access_workspace_as_operator(tx.session, editor.id, workspace.slug)
        with pytest.raises(Forbidden):
            await add_member(tx.session, actor, email="x@example.com", display_name="x", role=Role.ADMIN, clock=CLOCK)
        with pytest.raises(Forbidden):
            await list_members(tx.session, actor)


async def test_profile_language_must_be_supported(db: Database) -> None:
    async with db.transaction() as tx:
        operator = await make_operator(tx.session)
        await update_profile(tx.session, operator, display_name=" Ann  Lee ", locale="ru")
        assert (operator.display_name, operator.locale) == ("Ann Lee", "ru")
        with pytest.raises(InvalidInput):
            await update_profile(tx.session, operator, display_name=None, locale="de")
