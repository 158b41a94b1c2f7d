"""The Inbox page over HTTP: operators get the three panes with what the script needs (their id,
the workspace, translated strings); strangers are sent to log in, outsiders and editors are refused."""

import json
import re

from accounts.models import OperatorGroup
from accounts.roles import Role
from core.db import Database
from tests.factories import Client, log_in, make_operator, make_workspace

CONFIG = re.compile(r'<script type="application/json" id="inbox-config">(.*?)</script>', re.S)


async def operator_of_acme(
    client: Client, db: Database, *, role: Role = Role.OPERATOR, locale: str | None = None
) -> int:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme", name="Acme")
        operator = await make_operator(tx.session, workspace=workspace, role=role, email="me@acme.test", locale=locale)
        tx.session.add(OperatorGroup(workspace_id=workspace.id, name="Billing <team>"))
    await log_in(client, "me@acme.test")
    return operator.id


def script_config(page: str) -> dict[str, dict[str, str]]:
    match = CONFIG.search(page)
    assert match is not None
    config: dict[str, dict[str, str]] = json.loads(match.group(1))
    return config


async def test_an_operator_gets_the_inbox_with_what_its_script_needs(client: Client, db: Database) -> None:
    operator_id = await operator_of_acme(client, db)
    response = await client.get("/w/acme/inbox")
    page = await response.text()
    assert response.status == 200
    assert re.search(r"<h1>Inbox</h1>", page)
    assert "Coming soon" not in page
    assert f'data-operator-id="{operator_id}"' in page
    assert 'data-slug="acme"' in page
    assert 'data-supervisor="false"' in page
    assert 'id="queue-panel"' not in page  # the supervisor's overview is for admins
    assert '<option value="web">Web chat</option>' in page
    assert "Billing &lt;team&gt;" in page  # group names are escaped
    assert '<script src="/static/inbox.js"></script>' in page
    strings = script_config(page)["strings"]
    assert strings["visitor_number"] == "Visitor #{id}"
    assert strings["internal_note"] == "Internal note"
    assert strings["channel_telegram"] == "Telegram"


async def test_admins_also_get_the_queue_overview(client: Client, db: Database) -> None:
    await operator_of_acme(client, db, role=Role.ADMIN)
    page = await (await client.get("/w/acme/inbox")).text()
    assert 'data-supervisor="true"' in page
    assert 'id="queue-panel"' in page


async def test_the_inbox_speaks_the_operators_language(client: Client, db: Database) -> None:
    await operator_of_acme(client, db, locale="ru")
    page = await (await client.get("/w/acme/inbox", headers={"Accept-Language": "en"})).text()
    assert 'lang="ru"' in page
    assert "<h1>Входящие</h1>" in page
    assert "Все открытые" in page and "Неназначенные" in page
    assert "Внутренняя заметка" in script_config(page)["strings"]["internal_note"]
    assert script_config(page)["strings"]["visitor_number"] == "Посетитель #{id}"


async def test_someone_not_logged_in_is_sent_to_log_in(client: Client, db: Database) -> None:
    async with db.transaction() as tx:
        await make_workspace(tx.session, slug="acme")
    response = await client.get("/w/acme/inbox", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/login?next=/w/acme/inbox"


async def test_an_operator_of_another_workspace_gets_404(client: Client, db: Database) -> None:
    async with db.transaction() as tx:
        await make_workspace(tx.session, slug="theirs", name="Their shop")
    await operator_of_acme(client, db)
    response = await client.get("/w/theirs/inbox", allow_redirects=False)
    assert response.status == 404
    assert "Their shop" not in await response.text()


async def test_an_editor_who_does_not_work_the_inbox_is_refused(client: Client, db: Database) -> None:
    await operator_of_acme(client, db, role=Role.EDITOR)
    response = await client.get("/w/acme/inbox")
    assert response.status == 403
    assert "inbox-config" not in await response.text()
