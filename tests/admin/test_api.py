"""The JSON API: clear 4xx errors for bad input, and the operator/group/key life cycle."""

from accounts.roles import Role
from core.db import Database
from tests.factories import Client, log_in, make_operator, make_workspace


async def admin_session(client: Client, db: Database) -> dict[str, str]:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        await make_operator(tx.session, workspace=workspace, role=Role.ADMIN, email="ann@example.com")
    token = await log_in(client, "ann@example.com")
    return {"X-CSRF-Token": token, "X-Workspace": "acme"}


async def test_malformed_json_is_400_invalid_json(client: Client, db: Database) -> None:
    headers = await admin_session(client, db)
    response = await client.post("/api/v1/groups", data=b'{"name": ', headers=headers)
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "invalid_json"
    assert error["message"].startswith("The request body is not valid JSON")


async def test_wrong_shape_is_400_naming_the_field(client: Client, db: Database) -> None:
    headers = await admin_session(client, db)
    response = await client.post("/api/v1/operators", json={"email": "x@example.com", "role": "owner"}, headers=headers)
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "invalid_input"
    assert "role" in error["message"]
    unknown = await client.post("/api/v1/groups", json={"name": "x", "colour": "red"}, headers=headers)
    assert unknown.status == 400


async def test_domain_validation_errors_carry_the_field(client: Client, db: Database) -> None:
    headers = await admin_session(client, db)
    response = await client.post("/api/v1/operators", json={"email": "not-an-email"}, headers=headers)
    assert response.status == 400
    error = (await response.json())["error"]
    assert error == {"code": "invalid_input", "message": "Enter a valid email address.", "details": {"field": "email"}}


async def test_unauthenticated_api_calls_are_401(client: Client) -> None:
    response = await client.get("/api/v1/operators")
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "unauthenticated"
    bad_key = await client.get("/api/v1/operators", headers={"Authorization": "Bearer fl_nope"})
    assert bad_key.status == 401


async def test_operator_life_cycle_through_the_api(client: Client, db: Database) -> None:
    headers = await admin_session(client, db)
    group = await (await client.post("/api/v1/groups", json={"name": "Support"}, headers=headers)).json()
    created = await client.post(
        "/api/v1/operators", json={"email": "bob@example.com", "display_name": "Bob"}, headers=headers
    )
    assert created.status == 201
    body = await created.json()
    assert body["invitation_url"].startswith("http://127.0.0.1:0/invite/inv_")
    bob = body["operator"]["operator_id"]
    changed = await client.patch(
        f"/api/v1/operators/{bob}", json={"role": "editor", "group_ids": [group["group"]["id"]]}, headers=headers
    )
    assert (await changed.json())["operator"]["role"] == "editor"
    assert (await changed.json())["operator"]["group_ids"] == [group["group"]["id"]]
    duplicate = await client.post("/api/v1/operators", json={"email": "BOB@example.com"}, headers=headers)
    assert duplicate.status == 409
    assert (await client.delete(f"/api/v1/operators/{bob}", headers=headers)).status == 204
    listing = await (await client.get("/api/v1/operators", headers=headers)).json()
    assert [o["email"] for o in listing["operators"]] == ["ann@example.com"]


async def test_api_key_created_in_the_api_works_once_shown_and_stops_after_revoke(client: Client, db: Database) -> None:
    headers = await admin_session(client, db)
    created = await (await client.post("/api/v1/api-keys", json={"name": "CI"}, headers=headers)).json()
    key = created["api_key"]["key"]
    bearer = {"Authorization": f"Bearer {key}"}
    assert (await client.get("/api/v1/groups", headers=bearer)).status == 200
    listed = await (await client.get("/api/v1/api-keys", headers=headers)).json()
    assert key not in str(listed)
    assert (await client.delete(f"/api/v1/api-keys/{created['api_key']['id']}", headers=headers)).status == 204
    assert (await client.get("/api/v1/groups", headers=bearer)).status == 401


async def test_me_lists_the_workspaces_to_switch_between(client: Client, db: Database) -> None:
    async with db.transaction() as tx:
        first, second = await make_workspace(tx.session, name="B shop"), await make_workspace(tx.session, name="A shop")
        operator = await make_operator(tx.session, workspace=first, email="ann@example.com")
        from accounts.models import Membership

        tx.session.add(Membership(workspace_id=second.id, operator_id=operator.id, role=Role.EDITOR))
    await log_in(client, "ann@example.com")
    me = await (await client.get("/api/v1/me")).json()
    assert [(w["name"], w["role"]) for w in me["workspaces"]] == [("A shop", "editor"), ("B shop", "operator")]
    ambiguous = await client.get("/api/v1/groups")
    assert ambiguous.status == 400
