from datetime import UTC, datetime

import pytest

from accounts.groups import create_group, list_groups, set_operator_groups
from accounts.operators import add_member, list_members, member_view, remove_member, set_member_role, update_profile
from accounts.roles import Role
from core.clock import FrozenClock
from core.db import Database
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.ids import OperatorId
from tests.factories import make_actor, make_operator, make_workspace

CLOCK = FrozenClock(datetime(2026, 11, 1, 12, 0, tzinfo=UTC))


def operator_of(actor_operator_id: OperatorId | None) -> OperatorId:
    assert actor_operator_id is not None
    return actor_operator_id


async def test_adding_a_new_email_creates_an_invited_operator(db: Database) -> None:
    async with db.transaction() as tx:
        actor = await make_actor(tx.session)
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
        actor = await make_actor(tx.session)
        elsewhere = await make_operator(tx.session, workspace=None)
        added = await add_member(
            tx.session, actor, email=elsewhere.email.upper(), display_name="x", role=Role.EDITOR, clock=CLOCK
        )
        assert added.invitation_token is None
        with pytest.raises(Conflict):
            await add_member(tx.session, actor, email=elsewhere.email, display_name="x", role=Role.EDITOR, clock=CLOCK)
        emails = {m.email for m in await list_members(tx.session, actor)}
    assert elsewhere.email in emails and len(emails) == 2


async def test_the_last_admin_can_be_neither_demoted_nor_removed(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        actor = await make_actor(tx.session, workspace=workspace)
        admin_id = operator_of(actor.operator_id)
        with pytest.raises(Conflict):
            await set_member_role(tx.session, actor, admin_id, Role.OPERATOR)
        with pytest.raises(Conflict):
            await remove_member(tx.session, actor, admin_id)
        await make_actor(tx.session, workspace=workspace)  # a second admin
        await set_member_role(tx.session, actor, admin_id, Role.OPERATOR)
        assert (await member_view(tx.session, actor, admin_id)).role is Role.OPERATOR


async def test_removing_a_member_drops_their_groups_in_that_workspace(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        actor = await make_actor(tx.session, workspace=workspace)
        member_id = operator_of((await make_actor(tx.session, role=Role.OPERATOR, workspace=workspace)).operator_id)
        group = await create_group(tx.session, actor, "Support")
        await set_operator_groups(tx.session, actor, member_id, [group.id])
        await remove_member(tx.session, actor, member_id)
        assert (await list_groups(tx.session, actor))[0].member_ids == ()
        with pytest.raises(NotFound):
            await member_view(tx.session, actor, member_id)


async def test_members_of_another_workspace_are_not_found(db: Database) -> None:
    async with db.transaction() as tx:
        actor, stranger = await make_actor(tx.session), await make_actor(tx.session)
        stranger_id = operator_of(stranger.operator_id)
        for attempt in (
            set_member_role(tx.session, actor, stranger_id, Role.EDITOR),
            remove_member(tx.session, actor, stranger_id),
            member_view(tx.session, actor, stranger_id),
            set_operator_groups(tx.session, actor, stranger_id, []),
        ):
            with pytest.raises(NotFound):
                await attempt


async def test_only_admins_manage_operators(db: Database) -> None:
    async with db.transaction() as tx:
        editor = await make_actor(tx.session, role=Role.EDITOR)
        with pytest.raises(Forbidden):
            await add_member(tx.session, editor, email="x@example.com", display_name="x", role=Role.ADMIN, clock=CLOCK)
        with pytest.raises(Forbidden):
            await list_members(tx.session, editor)


async def test_profile_language_must_be_supported(db: Database) -> None:
    async with db.transaction() as tx:
        operator = await make_operator(tx.session)
        await update_profile(tx.session, operator, display_name=" Ann  Lee ", locale="ru")
        assert (operator.display_name, operator.locale) == ("Ann Lee", "ru")
        with pytest.raises(InvalidInput):
            await update_profile(tx.session, operator, display_name=None, locale="de")
