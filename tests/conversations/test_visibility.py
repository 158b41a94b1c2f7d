"""Who sees which dialog is one rule written twice: in SQL (`visible_to`, for queries) and in Python
(`VisibilityScope`, for live events and colleagues); both must give the same answer everywhere."""

import pytest
from sqlalchemy import select

from accounts.actors import Actor
from accounts.roles import Role
from conversations.access import routing_of, visibility_scope, visible_to
from conversations.models import Conversation
from core.db import Database
from core.errors import NotFound
from tests.conversations.inbox_data import make_conversation, make_group, restrict_to_groups
from tests.factories import make_operator, make_workspace


@pytest.mark.parametrize("restricted", [True, False])
async def test_the_python_scope_sees_exactly_what_the_sql_rule_lets_through(db: Database, restricted: bool) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        people = {
            role_name: await make_operator(tx.session, workspace=workspace, role=role)
            for role_name, role in (("admin", Role.ADMIN), ("bob", Role.OPERATOR), ("dave", Role.OPERATOR))
        }
        support = await make_group(tx.session, workspace, "Support", members=(people["bob"].id,))
        sales = await make_group(tx.session, workspace, "Sales", members=(people["admin"].id,))
        for group_id in (support.id, sales.id, None):
            for assignee in (None, people["bob"].id, people["dave"].id):
                await make_conversation(tx.session, workspace.id, group_id=group_id, assignee_id=assignee, text=None)
        if restricted:
            await restrict_to_groups(tx.session, workspace)
        actors = {
            "admin": Actor(workspace.id, workspace.slug, Role.ADMIN, people["admin"].id),
            "bob": Actor(workspace.id, workspace.slug, Role.OPERATOR, people["bob"].id),
            "dave": Actor(workspace.id, workspace.slug, Role.OPERATOR, people["dave"].id),
            "operator key": Actor(workspace.id, workspace.slug, Role.OPERATOR),
            "admin key": Actor(workspace.id, workspace.slug, Role.ADMIN),
        }
        every = list(await tx.session.scalars(select(Conversation.id).where(Conversation.workspace_id == workspace.id)))
        routes = await routing_of(tx.session, workspace.id, every)
        seen = {}
        for name, actor in actors.items():
            in_sql = set(
                await tx.session.scalars(
                    select(Conversation.id).where(Conversation.workspace_id == workspace.id, visible_to(actor))
                )
            )
            scope = await visibility_scope(tx.session, actor)
            assert {c for c, route in routes.items() if scope.sees(*route)} == in_sql, name
            seen[name] = len(in_sql)
    # Restricted: the 3 of no group; Bob also Support's 3 and Sales' one given to him; Dave his 2.
    everything = dict.fromkeys(actors, 9)
    assert seen == (everything | {"bob": 7, "dave": 5, "operator key": 3} if restricted else everything)


async def test_a_person_is_judged_by_their_role_now_and_a_former_member_sees_nothing(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        admin = await make_operator(tx.session, workspace=workspace, role=Role.OPERATOR)  # demoted since
        stranger = await make_operator(tx.session)
        await restrict_to_groups(tx.session, workspace)
        once_admin = Actor(workspace.id, workspace.slug, Role.ADMIN, admin.id)
        assert (await visibility_scope(tx.session, once_admin)).everything is False
        with pytest.raises(NotFound):
            await visibility_scope(tx.session, Actor(workspace.id, workspace.slug, Role.OPERATOR, stranger.id))
