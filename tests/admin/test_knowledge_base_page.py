"""The Knowledge base pages: editors add categories and start articles through forms, see the
articles with their status, visibility and language, and open the editor; operators are refused."""

import re

from accounts.roles import Role
from core.db import Database
from tests.factories import Client, log_in, make_operator, make_workspace


async def logged_in(client: Client, db: Database, role: Role) -> str:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme", name="Acme")
        await make_operator(tx.session, workspace=workspace, role=role, email="eve@example.com")
    return await log_in(client, "eve@example.com")


async def test_an_editor_adds_a_category_and_starts_an_article(client: Client, db: Database) -> None:
    token = await logged_in(client, db, Role.EDITOR)
    empty = await (await client.get("/w/acme/knowledge-base")).text()
    assert "No articles yet." in empty and "No categories yet." in empty and "Coming soon" not in empty

    added = await client.post("/w/acme/knowledge-base/categories", data={"_csrf": token, "name": "Billing"})
    assert "Category added." in await added.text()
    category_id = re.search(r'data-testid="category-(\d+)"', await added.text())
    assert category_id is not None
    created = await client.post(
        "/w/acme/knowledge-base/articles",
        data={
            "_csrf": token,
            "title": "Refunds",
            "locale": "en",
            "visibility": "bot_only",
            "category": category_id.group(1),
        },
        allow_redirects=False,
    )
    assert created.status == 303
    editor_path = created.headers["Location"]
    assert re.fullmatch(r"/w/acme/knowledge-base/articles/\d+", editor_path)
    editor = await (await client.get(editor_path)).text()
    assert 'id="kb-body"' in editor and "knowledge_base_editor.js" in editor

    listing = await (await client.get("/w/acme/knowledge-base")).text()
    row = re.search(r'<tr data-testid="article-\d+">(.*?)</tr>', listing, re.S)
    assert row is not None
    for shown in ("Refunds", "Draft", "Bot only", "English", "Billing"):
        assert shown in row.group(1)
    filtered = await (await client.get("/w/acme/knowledge-base", params={"visibility": "public"})).text()
    assert "No articles yet." in filtered

    renamed = await client.post(
        f"/w/acme/knowledge-base/categories/{category_id.group(1)}",
        data={"_csrf": token, "name": "Payments", "action": "save"},
    )
    assert "Category renamed." in await renamed.text()
    deleted = await client.post(
        f"/w/acme/knowledge-base/categories/{category_id.group(1)}", data={"_csrf": token, "action": "delete"}
    )
    assert "its articles are now uncategorised" in await deleted.text()
    refused = await client.post(
        "/w/acme/knowledge-base/articles", data={"_csrf": token, "title": " ", "locale": "en", "visibility": "public"}
    )
    assert "An article needs a title" in await refused.text()


async def test_operators_may_not_open_the_knowledge_base(client: Client, db: Database) -> None:
    await logged_in(client, db, Role.OPERATOR)
    response = await client.get("/w/acme/knowledge-base")
    assert response.status == 403
    assert 'href="/w/acme/knowledge-base"' not in await (await client.get("/w/acme/settings")).text()


async def test_the_page_speaks_russian(client: Client, db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme", name="Acme")
        await make_operator(tx.session, workspace=workspace, role=Role.ADMIN, email="ivan@example.com", locale="ru")
    await log_in(client, "ivan@example.com")
    page = await (await client.get("/w/acme/knowledge-base")).text()
    assert "Новая статья" in page and "Публичная: справочный центр и бот" in page
