"""What each role may do over HTTP: admin-only actions are 403 for editors and operators."""

import pytest

from accounts.roles import Role
from core.db import Database
from tests.factories import Client, log_in, make_operator, make_workspace


async def logged_in_as(client: Client, db: Database, role: Role) -> str:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        await make_operator(tx.session, workspace=workspace, role=Role.ADMIN, email="boss@example.com")
        await make_operator(tx.session, workspace=workspace, role=role, email="me@example.com")
    return await log_in(client, "me@example.com")


@pytest.mark.parametrize("role", [Role.EDITOR, Role.OPERATOR])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/operators", None),
        ("POST", "/api/v1/operators", {"email": "new@example.com", "role": "admin"}),
        ("POST", "/api/v1/groups", {"name": "Support"}),
        ("GET", "/api/v1/api-keys", None),
        ("POST", "/api/v1/api-keys", {"name": "mine"}),
    ],
)
async def test_admin_only_api_actions_are_403(
    client: Client, db: Database, role: Role, method: str, path: str, body: dict[str, str] | None
) -> None:
    token = await logged_in_as(client, db, role)
    response = await client.request(method, path, json=body, headers={"X-CSRF-Token": token})
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "forbidden"


async def test_editor_cannot_open_the_operators_page_or_add_operators(client: Client, db: Database) -> None:
    token = await logged_in_as(client, db, Role.EDITOR)
    page = await client.get("/w/acme/operators")
    assert page.status == 403
    assert "does not allow this action" in await page.text()
    form = await client.post(
        "/w/acme/operators", data={"_csrf": token, "email": "x@example.com", "role": "admin"}, allow_redirects=False
    )
    assert form.status == 303  # back to the page, with the refusal flashed
    members = await client.get("/api/v1/operators", headers={"X-Workspace": "acme"})
    assert members.status == 403


async def test_navigation_shows_only_what_the_role_may_use(client: Client, db: Database) -> None:
    await logged_in_as(client, db, Role.EDITOR)
    page = await (await client.get("/w/acme/settings")).text()
    assert 'href="/w/acme/knowledge-base"' in page
    assert 'href="/w/acme/broadcasts"' in page
    assert 'href="/w/acme/operators"' not in page
    assert 'href="/w/acme/inbox"' not in page


async def test_editor_landing_page_is_the_first_section_they_may_use(client: Client, db: Database) -> None:
    await logged_in_as(client, db, Role.EDITOR)
    response = await client.get("/w/acme/", allow_redirects=False)
    assert response.headers["Location"] == "/w/acme/knowledge-base"
