"""The AI bot settings over HTTP: the page (admins only, under Settings) and `/api/v1/ai/settings`;
a refused form keeps what was typed; the model endpoint's key is sealed at rest and never shown or
returned; one workspace's settings never touch another's."""

from __future__ import annotations

import re

from accounts.api_keys import create_api_key
from accounts.models import Workspace
from accounts.roles import Role
from bots.ai.models import AISettings
from bots.ai.settings import stored_settings
from core.db import Database
from tests.bots import BOX
from tests.factories import Client, log_in, make_actor, make_operator, make_workspace

PAGE = "/w/acme/settings/ai-bot"
API = "/api/v1/ai/settings"
KEY = "sk-test-0123456789abcdef"
FORM = {
    "enabled": "on",
    "bot_name": "Ada",
    "instructions": "Friendly, short answers.",
    "threshold": "0.72",
    "stop_topics": "refund\r\n\r\nlegal claim\r\n",
    "question_gap_minutes": "45",
    "answers_first_message": "",
    "base_url": "https://llm.acme.test/v1/",
    "model": "small-model",
    "api_key": KEY,
}


async def member_of_acme(db: Database, role: Role = Role.ADMIN, *, email: str = "me@acme.test") -> Workspace:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme", name="Acme")
        await make_operator(tx.session, workspace=workspace, role=role, email=email)
    return workspace


async def stored(db: Database, workspace: Workspace) -> AISettings | None:
    async with db.transaction() as tx:
        return await stored_settings(tx.session, workspace.id)


def value_of(page: str, name: str) -> str:
    found = re.search(rf'<input name="{name}"[^>]*value="([^"]*)"', page)
    assert found is not None, name
    return found.group(1)


async def test_an_admin_sees_the_defaults_linked_from_settings(client: Client, db: Database) -> None:
    await member_of_acme(db)
    await log_in(client, "me@acme.test")
    assert 'href="/w/acme/settings/ai-bot"' in await (await client.get("/w/acme/settings")).text()
    response = await client.get(PAGE)
    page = await response.text()
    assert response.status == 200
    assert value_of(page, "threshold") == "0.80"
    assert value_of(page, "question_gap_minutes") == "30"
    assert "below it the bot does not guess" in page.lower()
    assert "answers extractively, quoting the best passage of an article" in page
    assert "No key is saved." in page
    assert 'name="remove_key"' not in page


async def test_operators_and_editors_are_refused(client: Client, db: Database) -> None:
    await member_of_acme(db, Role.OPERATOR)
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="other")
        await make_operator(tx.session, workspace=workspace, role=Role.EDITOR, email="ed@acme.test")
    token = await log_in(client, "me@acme.test")
    assert (await client.get(PAGE)).status == 403
    assert (await client.post(PAGE, data={**FORM, "_csrf": token})).status == 403
    assert 'href="/w/acme/settings/ai-bot"' not in await (await client.get("/w/acme/settings")).text()
    headers = {"X-CSRF-Token": token, "X-Workspace": "acme"}
    assert (await client.get(API, headers=headers)).status == 403
    assert (await client.put(API, json={"threshold": 0.5}, headers=headers)).status == 403
    await client.post("/logout", data={"_csrf": token})
    await log_in(client, "ed@acme.test")
    assert (await client.get("/w/other/settings/ai-bot")).status == 403


async def test_an_admin_saves_the_form_and_the_key_is_sealed_and_never_shown(client: Client, db: Database) -> None:
    workspace = await member_of_acme(db)
    token = await log_in(client, "me@acme.test")
    response = await client.post(PAGE, data={**FORM, "_csrf": token}, allow_redirects=False)
    assert response.status == 303, await response.text()
    assert response.headers["Location"] == PAGE
    row = await stored(db, workspace)
    assert row is not None
    assert (row.bot_name, row.threshold, row.stop_topics) == ("Ada", 0.72, ["refund", "legal claim"])
    assert (row.question_gap_minutes, row.enabled, row.answers_first_message) == (45, True, False)
    assert (row.base_url, row.model) == ("https://llm.acme.test/v1", "small-model")
    assert row.api_key_sealed is not None and KEY not in row.api_key_sealed
    assert BOX.open(row.api_key_sealed) == KEY

    page = await (await client.get(PAGE)).text()
    assert "Saved." in page
    assert KEY not in page
    assert value_of(page, "threshold") == "0.72"
    assert "refund\nlegal claim</textarea>" in page
    assert "A key is saved; it is never shown." in page
    assert 'name="remove_key"' in page

    # An empty key field keeps the key; the box removes it.
    await client.post(PAGE, data={**FORM, "api_key": "", "_csrf": token})
    row = await stored(db, workspace)
    assert row is not None and row.api_key_sealed is not None and BOX.open(row.api_key_sealed) == KEY
    await client.post(PAGE, data={**FORM, "api_key": "", "remove_key": "on", "_csrf": token})
    row = await stored(db, workspace)
    assert row is not None and row.api_key_sealed is None
    # An empty base URL goes back to extractive answers.
    await client.post(PAGE, data={**FORM, "base_url": "", "model": "", "api_key": "", "_csrf": token})
    row = await stored(db, workspace)
    assert row is not None and (row.base_url, row.model) == (None, None)


async def test_a_refused_form_says_why_keeps_what_was_typed_and_saves_nothing(client: Client, db: Database) -> None:
    workspace = await member_of_acme(db)
    token = await log_in(client, "me@acme.test")
    for threshold in ("1.5", "high"):
        response = await client.post(PAGE, data={**FORM, "threshold": threshold, "_csrf": token})
        page = await response.text()
        assert response.status == 400
        assert "Nothing was saved: correct the marked fields." in page
        assert 'data-testid="error-threshold">The evidence threshold must be between 0 and 1.' in page
        assert value_of(page, "threshold") == threshold
        assert value_of(page, "bot_name") == "Ada"
        assert re.search(r'<textarea name="stop_topics"[^>]*>refund\s+legal claim\s*</textarea>', page)
        assert KEY not in page
        assert "The key you typed was not saved: type it again." in page
    assert await stored(db, workspace) is None

    long_name = await client.post(PAGE, data={**FORM, "bot_name": "A" * 81, "api_key": "", "_csrf": token})
    assert "Bot name is longer than 80 characters." in await long_name.text()
    no_url = await client.post(PAGE, data={**FORM, "base_url": "", "_csrf": token})
    assert "A model endpoint needs both a base URL and a model name." in await no_url.text()
    assert await stored(db, workspace) is None


async def test_the_page_speaks_russian(client: Client, db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        await make_operator(tx.session, workspace=workspace, role=Role.ADMIN, email="ivan@acme.test", locale="ru")
    token = await log_in(client, "ivan@acme.test")
    page = await (await client.get(PAGE)).text()
    assert "Порог уверенности" in page
    refused = await (await client.post(PAGE, data={**FORM, "threshold": "2", "_csrf": token})).text()
    assert "Порог уверенности должен быть от 0 до 1." in refused


async def test_the_json_api_reads_and_changes_the_settings_without_the_key(client: Client, db: Database) -> None:
    workspace = await member_of_acme(db)
    token = await log_in(client, "me@acme.test")
    headers = {"X-CSRF-Token": token, "X-Workspace": "acme"}
    defaults = (await (await client.get(API, headers=headers)).json())["ai_settings"]
    assert defaults["threshold"] == 0.8 and defaults["mode"] == "extractive" and defaults["has_api_key"] is False
    assert defaults["stop_topics"] == [] and defaults["question_gap_minutes"] == 30 and defaults["enabled"] is True

    change = {"threshold": 0.65, "stop_topics": ["refund"], "base_url": "https://llm.acme.test/v1"}
    response = await client.put(API, json={**change, "model": "m", "api_key": KEY}, headers=headers)
    assert response.status == 200, await response.text()
    assert KEY not in await response.text()
    changed = (await response.json())["ai_settings"]
    assert changed["threshold"] == 0.65 and changed["stop_topics"] == ["refund"]
    assert changed["has_api_key"] is True and changed["mode"] == "generative" and "api_key" not in changed
    again = await client.get(API, headers=headers)
    assert KEY not in await again.text()
    assert (await again.json())["ai_settings"] == changed

    fine = await client.put(API, json={"threshold": 0.825}, headers=headers)
    assert (await fine.json())["ai_settings"]["threshold"] == 0.825
    page = await (await client.get(PAGE)).text()
    assert value_of(page, "threshold") == "0.825"  # shown as set, not rounded away by the next save
    kept = (await (await client.put(API, json={"bot_name": "Ada"}, headers=headers)).json())["ai_settings"]
    assert kept["threshold"] == 0.825 and kept["has_api_key"] is True and kept["bot_name"] == "Ada"
    removed = (await (await client.put(API, json={"api_key": ""}, headers=headers)).json())["ai_settings"]
    assert removed["has_api_key"] is False
    row = await stored(db, workspace)
    assert row is not None and row.api_key_sealed is None


async def test_bad_json_is_400_with_the_error_shape_and_changes_nothing(client: Client, db: Database) -> None:
    workspace = await member_of_acme(db)
    token = await log_in(client, "me@acme.test")
    headers = {"X-CSRF-Token": token, "X-Workspace": "acme"}
    for body, field in (({"threshold": 1.5}, "threshold"), ({"question_gap_minutes": -1}, "question_gap_minutes")):
        response = await client.put(API, json=body, headers=headers)
        assert response.status == 400
        error = (await response.json())["error"]
        assert error["code"] == "invalid_input" and error["details"]["field"] == field
        assert error["message"]
    wrong_shape = await client.put(API, json={"threshold": "high", "unknown": 1}, headers=headers)
    assert wrong_shape.status == 400
    assert (await wrong_shape.json())["error"]["code"] == "invalid_input"
    not_json = await client.put(API, data=b"{", headers={**headers, "Content-Type": "application/json"})
    assert (await not_json.json())["error"]["code"] == "invalid_json"
    assert (await client.put(API, json={"threshold": 0.5}, headers={"X-Workspace": "acme"})).status == 403  # no CSRF
    assert await stored(db, workspace) is None


async def test_an_api_key_reads_and_changes_its_own_workspace_only(client: Client, db: Database) -> None:
    async with db.transaction() as tx:
        acme = await make_actor(tx.session, role=Role.ADMIN)
        other = await make_actor(tx.session, role=Role.ADMIN)
        key = await create_api_key(tx.session, acme, name="ci", role=Role.ADMIN)
        operator_key = await create_api_key(tx.session, acme, name="bot", role=Role.OPERATOR)
    bearer = {"Authorization": f"Bearer {key.key}"}
    response = await client.put(API, json={"threshold": 0.9, "api_key": KEY}, headers=bearer)
    assert response.status == 200, await response.text()
    assert (await (await client.get(API, headers=bearer)).json())["ai_settings"]["threshold"] == 0.9
    assert (await client.get(API, headers={"Authorization": f"Bearer {operator_key.key}"})).status == 403
    async with db.transaction() as tx:
        assert await stored_settings(tx.session, other.workspace_id) is None
        assert await stored_settings(tx.session, acme.workspace_id) is not None


async def test_an_admin_of_one_workspace_cannot_reach_another(client: Client, db: Database) -> None:
    acme = await member_of_acme(db)
    async with db.transaction() as tx:
        rival = await make_workspace(tx.session, slug="rival")
        await make_operator(tx.session, workspace=rival, role=Role.ADMIN, email="boss@rival.test")
    token = await log_in(client, "me@acme.test")
    assert (await client.get("/w/rival/settings/ai-bot")).status == 404
    refused = await client.post("/w/rival/settings/ai-bot", data={**FORM, "_csrf": token})
    assert refused.status == 404
    headers = {"X-CSRF-Token": token, "X-Workspace": "rival"}
    assert (await client.put(API, json={"threshold": 0.1}, headers=headers)).status == 404
    await client.post(PAGE, data={**FORM, "_csrf": token})
    assert await stored(db, rival) is None
    assert await stored(db, acme) is not None
