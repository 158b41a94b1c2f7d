"""The Flows pages: the list with each flow's state, the create form (errors flashed back), the editor
page; names people typed stay text; admins only, and another workspace's flow is 404."""

import json
import re

from accounts.roles import Role
from core.db import Database
from flows.samples import welcome_flow
from flows.store import create_flow
from tests.factories import Client, log_in, make_actor, make_operator, make_workspace

HELLO = {
    "schema": 1,
    "start": "hello",
    "triggers": [{"type": "chat_opened"}],
    "nodes": [{"kind": "message", "id": "hello", "text": "Hello!", "next": "ghost"}],
}


async def seed(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        await make_operator(tx.session, workspace=workspace, role=Role.ADMIN, email="ann@example.com")
        await make_operator(tx.session, workspace=workspace, role=Role.OPERATOR, email="bob@example.com")


async def test_the_list_shows_each_flows_state_and_names_stay_text(client: Client, db: Database) -> None:
    await seed(db)
    token = await log_in(client, "ann@example.com")
    headers = {"X-CSRF-Token": token, "X-Workspace": "acme"}
    empty = await (await client.get("/w/acme/flows")).text()
    assert 'href="/w/acme/flows" aria-current="page"' in empty
    assert "No flows yet." in empty and "Coming soon" not in empty
    hostile = "<script>alert(1)</script>"
    created = await client.post("/api/v1/flows", json={"name": hostile, "definition": HELLO}, headers=headers)
    live = await (await client.post("/api/v1/flows", json={"name": "Live one"}, headers=headers)).json()
    await client.post(f"/api/v1/flows/{live['flow']['id']}/publish", headers=headers)
    page = await (await client.get("/w/acme/flows")).text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and hostile not in page
    assert "1 error" in page and "draft" in page and "live v1" in page
    flow_id = (await created.json())["flow"]["id"]
    editor = await (await client.get(f"/w/acme/flows/{flow_id}")).text()
    assert hostile not in editor and "&lt;script&gt;alert(1)&lt;/script&gt;" in editor
    assert f'data-flow-id="{flow_id}"' in editor and "/static/flow_editor.js" in editor
    config = re.search(r'<script type="application/json" id="flow-editor-config">(.*?)</script>', editor)
    assert config is not None
    assert json.loads(config.group(1))["strings"]["no_errors"] == "No errors: the draft can be published."


async def test_the_form_creates_a_flow_and_opens_its_editor(client: Client, db: Database) -> None:
    await seed(db)
    token = await log_in(client, "ann@example.com")
    response = await client.post(
        "/w/acme/flows", data={"_csrf": token, "name": "Welcome", "start_with": "welcome"}, allow_redirects=False
    )
    assert response.status == 303
    assert re.fullmatch(r"/w/acme/flows/\d+", response.headers["Location"])
    flow_id = int(response.headers["Location"].rsplit("/", 1)[1])
    flow = await (await client.get(f"/api/v1/flows/{flow_id}", headers={"X-Workspace": "acme"})).json()
    assert flow["flow"]["draft"] == welcome_flow("en")
    again = await client.post("/w/acme/flows", data={"_csrf": token, "name": "Welcome"}, allow_redirects=False)
    assert again.headers["Location"] == "/w/acme/flows"
    assert "A flow named Welcome already exists." in await (await client.get("/w/acme/flows")).text()


async def test_the_russian_editor_speaks_russian(client: Client, db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        await make_operator(tx.session, workspace=workspace, role=Role.ADMIN, email="ann@example.com", locale="ru")
    token = await log_in(client, "ann@example.com")
    response = await client.post("/w/acme/flows", data={"_csrf": token, "name": "Приветствие"}, allow_redirects=False)
    editor = await (await client.get(response.headers["Location"])).text()
    assert "Сохранить черновик" in editor and "Опубликовать" in editor
    flow_id = int(response.headers["Location"].rsplit("/", 1)[1])
    flow = await (await client.get(f"/api/v1/flows/{flow_id}", headers={"X-Workspace": "acme"})).json()
    assert flow["flow"]["draft"]["nodes"][0]["text"] == "Здравствуйте! Чем можем помочь?"


async def test_operators_do_not_see_flows_and_other_workspaces_flows_are_404(client: Client, db: Database) -> None:
    await seed(db)
    async with db.transaction() as tx:
        theirs = await make_actor(tx.session)
        foreign_id = (await create_flow(tx.session, theirs, "Theirs", HELLO)).id
    await log_in(client, "ann@example.com")
    assert (await client.get(f"/w/acme/flows/{foreign_id}")).status == 404
    assert (await client.get("/w/acme/flows/999999")).status == 404
    client.session.cookie_jar.clear()
    await log_in(client, "bob@example.com")
    inbox = await (await client.get("/w/acme/inbox")).text()
    assert 'href="/w/acme/flows"' not in inbox
    assert (await client.get("/w/acme/flows")).status == 403
