"""An operator of workspace A asking for any row of workspace B by id gets 404, never 403 or data."""

from dataclasses import dataclass

import pytest

from accounts.access import access_workspace_as_operator
from accounts.api_keys import create_api_key
from accounts.groups import create_group
from accounts.roles import Role
from core.db import Database
from tests.factories import Client, log_in, make_operator, make_workspace


@dataclass(frozen=True)
class TheirRows:
    operator_id: int
    group_id: int
    api_key_id: int


async def seed_two_workspaces(db: Database) -> TheirRows:
    async with db.transaction() as tx:
        mine, theirs = await make_workspace(tx.session, slug="mine"), await make_workspace(tx.session, slug="theirs")
        await make_operator(tx.session, workspace=mine, role=Role.ADMIN, email="me@example.com")
        their_admin = await make_operator(tx.session, workspace=theirs, role=Role.ADMIN, email="them@example.com")
        actor = await access_workspace_as_operator(tx.session, their_admin.id, "theirs")
        group = await create_group(tx.session, actor, "Their support")
        key = await create_api_key(tx.session, actor, name="Their key", role=Role.ADMIN)
    return TheirRows(operator_id=their_admin.id, group_id=group.id, api_key_id=key.id)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/operators/{operator_id}", None),
        ("PATCH", "/api/v1/operators/{operator_id}", {"role": "editor"}),
        ("DELETE", "/api/v1/operators/{operator_id}", None),
        ("PATCH", "/api/v1/groups/{group_id}", {"name": "Mine now"}),
        ("DELETE", "/api/v1/groups/{group_id}", None),
        ("DELETE", "/api/v1/api-keys/{api_key_id}", None),
    ],
)
async def test_api_rows_of_another_workspace_are_404(
    client: Client, db: Database, method: str, path: str, body: dict[str, str] | None
) -> None:
    theirs = await seed_two_workspaces(db)
    token = await log_in(client, "me@example.com")
    url = path.format(operator_id=theirs.operator_id, group_id=theirs.group_id, api_key_id=theirs.api_key_id)
    response = await client.request(method, url, json=body, headers={"X-CSRF-Token": token, "X-Workspace": "mine"})
    assert response.status == 404
    error = (await response.json())["error"]
    assert error["code"] == "not_found"
    assert "Their" not in error["message"] and "them@" not in error["message"]


async def test_choosing_the_other_workspace_by_header_is_404(client: Client, db: Database) -> None:
    await seed_two_workspaces(db)
    await log_in(client, "me@example.com")
    response = await client.get("/api/v1/groups", headers={"X-Workspace": "theirs"})
    assert response.status == 404


@pytest.mark.parametrize("page", ["/w/theirs/", "/w/theirs/operators", "/w/theirs/settings", "/w/theirs/inbox"])
async def test_pages_of_another_workspace_are_404(client: Client, db: Database, page: str) -> None:
    await seed_two_workspaces(db)
    await log_in(client, "me@example.com")
    response = await client.get(page, allow_redirects=False)
    assert response.status == 404
    assert "Their support" not in await response.text()


async def test_forms_aimed_at_another_workspace_are_404_and_change_nothing(client: Client, db: Database) -> None:
    theirs = await seed_two_workspaces(db)
    token = await log_in(client, "me@example.com")
    rename = await client.post(
        f"/w/mine/groups/{theirs.group_id}", data={"_csrf": token, "name": "Stolen"}, allow_redirects=False
    )
    assert rename.status == 404
    async with db.transaction() as tx:
        from accounts.models import OperatorGroup

        group = await tx.session.get(OperatorGroup, theirs.group_id)
    assert group is not None and group.name == "Their support"


async def test_an_api_key_only_sees_its_own_workspace(client: Client, db: Database) -> None:
    async with db.transaction() as tx:
        mine = await make_workspace(tx.session, slug="mine")
        admin = await make_operator(tx.session, workspace=mine, role=Role.ADMIN)
        key = await create_api_key(
            tx.session, await access_workspace_as_operator(tx.session, admin.id, "mine"), name="k", role=Role.ADMIN
        )
    theirs = await seed_two_workspaces_only_theirs(db)
    headers = {"Authorization": f"Bearer {key.key}", "X-Workspace": "theirs"}  # the header cannot widen a key
    listing = await client.get("/api/v1/groups", headers=headers)
    assert listing.status == 200
    assert (await listing.json())["groups"] == []
    response = await client.patch(f"/api/v1/groups/{theirs}", json={"name": "x"}, headers=headers)
    assert response.status == 404


async def seed_two_workspaces_only_theirs(db: Database) -> int:
    async with db.transaction() as tx:
        theirs = await make_workspace(tx.session, slug="theirs")
        their_admin = await make_operator(tx.session, workspace=theirs, role=Role.ADMIN)
        group = await create_group(
            tx.session, await access_workspace_as_operator(tx.session, their_admin.id, "theirs"), "Theirs"
        )
    return group.id
