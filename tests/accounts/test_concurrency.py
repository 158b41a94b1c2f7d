"""Races on a database that really commits, over separate connections."""

import asyncio

from sqlalchemy import func, select

from accounts.actors import Actor
from accounts.groups import create_group
from accounts.models import Membership, OperatorGroup
from accounts.operators import set_member_role
from accounts.roles import Role
from core.db import Database
from core.errors import Conflict
from core.ids import OperatorId
from tests.factories import make_actor, make_workspace


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(committed_db: Database) -> None:
    async with committed_db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        first = await make_actor(tx.session, workspace=workspace)
        second = await make_actor(tx.session, workspace=workspace)
    assert first.operator_id is not None and second.operator_id is not None

    async def demote(actor: Actor, target: OperatorId) -> str:
        async with committed_db.transaction() as tx:
            await set_member_role(tx.session, actor, target, Role.OPERATOR)
        return "demoted"

    outcomes = await asyncio.gather(
        demote(first, second.operator_id), demote(second, first.operator_id), return_exceptions=True
    )
    assert sorted(type(o).__name__ if isinstance(o, BaseException) else o for o in outcomes) == [
        "Conflict",
        "demoted",
    ]
    async with committed_db.transaction() as tx:
        admins = await tx.session.scalar(
            select(func.count()).where(Membership.workspace_id == workspace.id, Membership.role == Role.ADMIN)
        )
    assert admins == 1


async def test_the_same_group_created_twice_at_once_exists_once(committed_db: Database) -> None:
    async with committed_db.transaction() as tx:
        actor = await make_actor(tx.session)

    async def create(name: str) -> str:
        async with committed_db.transaction() as tx:
            await create_group(tx.session, actor, name)
        return "created"

    outcomes = await asyncio.gather(create("Support"), create("SUPPORT"), create("support"), return_exceptions=True)
    assert sum(o == "created" for o in outcomes) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if o != "created")
    async with committed_db.transaction() as tx:
        count = await tx.session.scalar(select(func.count()).where(OperatorGroup.workspace_id == actor.workspace_id))
    assert count == 1
