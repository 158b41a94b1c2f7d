import pytest

from accounts.roles import Role
from core.db import Database
from tests.factories import PASSWORD, Client, csrf_token_of, log_in, make_operator, make_workspace


async def logged_in_admin(client: Client, db: Database) -> str:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        await make_operator(tx.session, workspace=workspace, role=Role.ADMIN, email="ann@example.com")
    return await log_in(client, "ann@example.com")


async def test_login_without_a_csrf_token_is_refused(client: Client, db: Database) -> None:
    await csrf_token_of(client)
    response = await client.post("/login", data={"email": "ann@example.com", "password": PASSWORD})
    assert response.status == 403
    assert "did not come from this site" in await response.text()


@pytest.mark.parametrize("token", [None, "", "forged-token-value"])
async def test_forms_without_the_right_token_are_403_and_change_nothing(
    client: Client, db: Database, token: str | None
) -> None:
    await logged_in_admin(client, db)
    data = {"name": "Support"} if token is None else {"name": "Support", "_csrf": token}
    response = await client.post("/w/acme/groups", data=data, allow_redirects=False)
    assert response.status == 403
    groups = await client.get("/w/acme/operators")
    assert 'data-testid="group-Support"' not in await groups.text()


@pytest.mark.parametrize("headers", [{}, {"X-CSRF-Token": "forged"}])
async def test_api_writes_from_the_browser_need_the_csrf_header(
    client: Client, db: Database, headers: dict[str, str]
) -> None:
    await logged_in_admin(client, db)
    response = await client.post("/api/v1/groups", json={"name": "Support"}, headers=headers)
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "csrf_failed"


async def test_api_write_with_the_session_token_succeeds(client: Client, db: Database) -> None:
    token = await logged_in_admin(client, db)
    response = await client.post("/api/v1/groups", json={"name": "Support"}, headers={"X-CSRF-Token": token})
    assert response.status == 201
    assert (await response.json())["group"]["name"] == "Support"


async def test_form_with_the_session_token_succeeds(client: Client, db: Database) -> None:
    token = await logged_in_admin(client, db)
    response = await client.post("/w/acme/groups", data={"name": "Support", "_csrf": token}, allow_redirects=False)
    assert response.status == 303
    assert 'data-testid="group-Support"' in await (await client.get("/w/acme/operators")).text()
