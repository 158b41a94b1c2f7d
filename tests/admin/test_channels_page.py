"""The Channels page over HTTP: admins see and change the widget settings and the identity secret;
other roles are refused; errors are flashed and change nothing."""

import re

import pytest
from pytest_aiohttp import AiohttpClient

from accounts.models import Workspace
from accounts.roles import Role
from channels.web_widget.setup import identity_secret, widget_settings_of
from core.app import build_app
from core.config import HttpSettings
from core.crypto import SecretBox
from core.db import Database
from tests.factories import Client, log_in, make_operator, make_settings, make_workspace

BOX = SecretBox("test-secret-key")  # the secret key of tests.factories.make_settings
FORM = {
    "color": "#ff5500",
    "position": "left",
    "language": "ru",
    "greeting_en": "Hello from Acme!",
    "greeting_ru": "Привет от Acme!",
    "allowed_origins": "https://acme.example/\r\n\r\nhttp://localhost:3000\r\n",
}

PUBLIC_URL = "http://chat.acme.test:8080"


@pytest.fixture
async def client(db: Database, aiohttp_client: AiohttpClient) -> Client:
    """The app as deployed behind its public address (which the embed snippet must name)."""
    settings = make_settings(http=HttpSettings(port=0, public_url=PUBLIC_URL + "/"))
    return await aiohttp_client(build_app(settings, database=db))


async def admin_of_acme(client: Client, db: Database, role: Role = Role.ADMIN) -> tuple[Workspace, str]:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme", name="Acme")
        await make_operator(tx.session, workspace=workspace, role=role, email="me@acme.test")
    return workspace, await log_in(client, "me@acme.test")


async def stored_secret(db: Database, workspace: Workspace) -> str:
    async with db.transaction() as tx:
        return identity_secret(await widget_settings_of(tx.session, workspace.id, box=BOX), box=BOX)


async def test_the_page_shows_the_settings_snippet_and_secret(client: Client, db: Database) -> None:
    workspace, _ = await admin_of_acme(client, db)
    response = await client.get("/w/acme/channels")
    page = await response.text()
    assert response.status == 200
    assert 'name="color" value="#2f6fed"' in page
    assert "Hi! How can we help?" in page
    assert "&lt;script&gt;window.FirstlineSettings = {workspace: &#34;acme&#34;};&lt;/script&gt;" in page
    assert f"&lt;script src=&#34;{PUBLIC_URL}/widget.js&#34; async&gt;&lt;/script&gt;" in page
    assert f'value="{await stored_secret(db, workspace)}"' in page
    assert 'type="password"' in page
    assert (
        '"title": "\\u041d\\u0430\\u043f\\u0438\\u0448\\u0438\\u0442\\u0435 \\u043d\\u0430\\u043c"' in page
    )  # «Напишите нам»


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.EDITOR])
async def test_other_roles_cannot_open_or_change_it(client: Client, db: Database, role: Role) -> None:
    workspace, token = await admin_of_acme(client, db, role)
    page = await client.get("/w/acme/channels")
    assert page.status == 403
    assert "does not allow this action" in await page.text()
    secret = await stored_secret(db, workspace)
    for path in ("/w/acme/channels/widget", "/w/acme/channels/widget/identity-secret"):
        response = await client.post(path, data={**FORM, "_csrf": token}, allow_redirects=False)
        assert response.status == 303
    async with db.transaction() as tx:
        widget = await widget_settings_of(tx.session, workspace.id, box=BOX)
    assert widget.color == "#2f6fed"
    assert identity_secret(widget, box=BOX) == secret


async def test_saving_persists_and_says_so(client: Client, db: Database) -> None:
    workspace, token = await admin_of_acme(client, db)
    response = await client.post("/w/acme/channels/widget", data={**FORM, "_csrf": token}, allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (303, "/w/acme/channels")
    async with db.transaction() as tx:
        widget = await widget_settings_of(tx.session, workspace.id, box=BOX)
    assert (widget.color, widget.position, widget.language) == ("#ff5500", "left", "ru")
    assert (widget.greeting_en, widget.greeting_ru) == ("Hello from Acme!", "Привет от Acme!")
    assert widget.allowed_origins == ["https://acme.example", "http://localhost:3000"]
    page = await (await client.get("/w/acme/channels")).text()
    assert "Saved. Visitors see the new settings on their next page." in page
    assert 'name="color" value="#ff5500"' in page
    assert '<option value="left" selected>' in page
    assert "https://acme.example\nhttp://localhost:3000</textarea>" in page


async def test_saving_needs_the_csrf_token(client: Client, db: Database) -> None:
    workspace, _ = await admin_of_acme(client, db)
    response = await client.post("/w/acme/channels/widget", data=FORM, allow_redirects=False)
    assert response.status == 403
    async with db.transaction() as tx:
        assert (await widget_settings_of(tx.session, workspace.id, box=BOX)).color == "#2f6fed"


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("color", "red", "Choose a color as #rrggbb, for example #2f6fed."),
        ("allowed_origins", "https://acme.example/shop", "https://acme.example/shop is not a site address"),
    ],
)
async def test_an_invalid_value_is_flashed_and_nothing_changes(
    client: Client, db: Database, field: str, value: str, error: str
) -> None:
    workspace, token = await admin_of_acme(client, db)
    form = {**FORM, field: value, "_csrf": token}
    response = await client.post("/w/acme/channels/widget", data=form, allow_redirects=False)
    assert response.status == 303
    page = await (await client.get("/w/acme/channels")).text()
    assert re.search(r'<p class="flash error" role="status">[^<]*' + re.escape(error), page)
    assert 'name="color" value="#2f6fed"' in page
    async with db.transaction() as tx:
        widget = await widget_settings_of(tx.session, workspace.id, box=BOX)
    assert (widget.color, widget.greeting_en, widget.allowed_origins) == ("#2f6fed", "Hi! How can we help?", [])


async def test_errors_are_flashed_in_the_admins_language(client: Client, db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        await make_operator(tx.session, workspace=workspace, role=Role.ADMIN, email="ru@acme.test", locale="ru")
    token = await log_in(client, "ru@acme.test")
    response = await client.post("/w/acme/channels/widget", data={**FORM, "color": "red", "_csrf": token})
    page = await response.text()  # the redirect back shows the flash
    assert "Укажите цвет в виде #rrggbb" in page


async def test_regenerating_replaces_the_secret(client: Client, db: Database) -> None:
    workspace, token = await admin_of_acme(client, db)
    await client.get("/w/acme/channels")
    before = await stored_secret(db, workspace)
    response = await client.post(
        "/w/acme/channels/widget/identity-secret", data={"_csrf": token}, allow_redirects=False
    )
    assert response.status == 303
    after = await stored_secret(db, workspace)
    assert after != before
    page = await (await client.get("/w/acme/channels")).text()
    assert f'value="{after}"' in page
    assert "A new identity secret was made." in page
