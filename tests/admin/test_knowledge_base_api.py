"""The knowledge-base API, by session (editors) and by API key: categories, articles published at
once unless `status: "draft"`, filters, drafts, publishing, revisions and restore, the preview;
operators are refused; another workspace's articles are 404."""

from typing import Any

from accounts.api_keys import issue_api_key
from accounts.roles import Role
from core.db import Database
from tests.factories import Client, log_in, make_operator, make_workspace

Json = dict[str, Any]
BASE = "/api/v1/knowledge-base"


async def editor_headers(client: Client, db: Database, role: Role = Role.EDITOR) -> dict[str, str]:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme", name="Acme")
        await make_operator(tx.session, workspace=workspace, role=role, email="eve@example.com")
    token = await log_in(client, "eve@example.com")
    return {"X-CSRF-Token": token, "X-Workspace": "acme"}


async def api_key_headers(db: Database, slug: str, role: Role = Role.EDITOR) -> dict[str, str]:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug=slug)
        key = await issue_api_key(tx.session, workspace_id=workspace.id, name="CMS", role=role, created_by=None)
    return {"Authorization": f"Bearer {key.key}"}


async def post(client: Client, path: str, body: Json, headers: dict[str, str], status: int = 201) -> Json:
    response = await client.post(path, json=body, headers=headers)
    assert response.status == status, await response.text()
    data: Json = await response.json()
    return data


async def test_an_api_key_creates_articles_published_unless_drafts(client: Client, db: Database) -> None:
    bearer = await api_key_headers(db, "acme")
    faq = await post(client, f"{BASE}/categories", {"name": "FAQ"}, bearer)
    article = await post(
        client,
        f"{BASE}/articles",
        {"title": "Refunds", "body": "Within **14 days**.", "locale": "en", "visibility": "public", "category": "faq"},
        bearer,
    )
    assert isinstance(article["id"], int)
    assert (article["status"], article["category_id"], article["slug"]) == ("published", faq["id"], "refunds")
    assert article["published"]["number"] == 1 and article["url"] == "/help/acme/articles/refunds"
    draft = await post(
        client,
        f"{BASE}/articles",
        {"title": "Возврат", "body": "В течение 14 дней.", "locale": "ru", "visibility": "bot_only", "status": "draft"},
        bearer,
    )
    assert (draft["status"], draft["published"], draft["revisions"]) == ("draft", None, [])

    listing = await (await client.get(f"{BASE}/articles?locale=ru", headers=bearer)).json()
    assert [a["title"] for a in listing["articles"]] == ["Возврат"]
    listing = await (await client.get(f"{BASE}/articles?visibility=public&category={faq['id']}", headers=bearer)).json()
    assert [a["id"] for a in listing["articles"]] == [article["id"]]
    bad = await client.get(f"{BASE}/articles?visibility=secret", headers=bearer)
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "invalid_input"


async def test_bad_bodies_get_a_clear_error_and_nothing_is_stored(client: Client, db: Database) -> None:
    bearer = await api_key_headers(db, "acme")
    for body in (
        {"title": "Refunds", "body": "x", "locale": "de", "visibility": "public"},
        {"title": "", "body": "x", "locale": "en"},
        {"title": "Refunds", "body": "", "locale": "en"},  # published at once: empty refused
        {"title": "Refunds", "body": "x", "locale": "en", "category": 999},
        {"title": "Refunds", "body": "x", "locale": "en", "surprise": True},
    ):
        response = await client.post(f"{BASE}/articles", json=body, headers=bearer)
        assert response.status in {400, 404}, body
        error = (await response.json())["error"]
        assert error["code"] in {"invalid_input", "not_found"} and error["message"]
    listing = await (await client.get(f"{BASE}/articles", headers=bearer)).json()
    assert listing["articles"] == []


async def test_an_editor_saves_publishes_and_restores_through_the_api(client: Client, db: Database) -> None:
    headers = await editor_headers(client, db)
    created = await post(client, f"{BASE}/articles", {"title": "Refunds", "locale": "en", "status": "draft"}, headers)
    article = f"{BASE}/articles/{created['id']}"
    saved = await client.put(f"{article}/draft", json={"title": "Refunds", "body": "One."}, headers=headers)
    assert saved.status == 200
    first = await post(client, f"{article}/publish", {}, headers, status=200)
    assert first["revision"]["number"] == 1
    changed = await client.patch(
        article, json={"body": "Two.", "visibility": "internal", "status": "published"}, headers=headers
    )
    view: Json = await changed.json()
    assert (view["body"], view["visibility"], view["published"]["number"]) == ("Two.", "internal", 2)

    revisions = await (await client.get(f"{article}/revisions", headers=headers)).json()
    assert [r["number"] for r in revisions["revisions"]] == [2, 1]
    one = await (await client.get(f"{article}/revisions/1", headers=headers)).json()
    assert one["revision"]["body"] == "One."
    restored = await post(client, f"{article}/restore", {"number": 1}, headers, status=200)
    assert (restored["body"], restored["published"]["number"], restored["published"]["body"]) == ("One.", 3, "One.")

    preview = await post(client, f"{BASE}/preview", {"body": "**Hi** <script>x()</script>"}, headers, status=200)
    assert preview["html"] == "<p><strong>Hi</strong> </p>\n"
    assert (await client.delete(article, headers=headers)).status == 204
    assert (await client.get(article, headers=headers)).status == 404


async def test_categories_are_managed_through_the_api(client: Client, db: Database) -> None:
    headers = await editor_headers(client, db, role=Role.ADMIN)
    category = await post(client, f"{BASE}/categories", {"name": "Billing"}, headers)
    path = f"{BASE}/categories/{category['id']}"
    renamed = await (await client.patch(path, json={"name": "Payments", "position": 5}, headers=headers)).json()
    assert (renamed["name"], renamed["slug"], renamed["position"]) == ("Payments", "billing", 5)
    assert (await client.delete(path, headers=headers)).status == 204
    assert (await (await client.get(f"{BASE}/categories", headers=headers)).json())["categories"] == []


async def test_operators_are_forbidden_and_other_workspaces_not_found(client: Client, db: Database) -> None:
    theirs = await api_key_headers(db, "rival")
    their_article = await post(client, f"{BASE}/articles", {"title": "Secret", "body": "Ours.", "locale": "en"}, theirs)
    their_category = await post(client, f"{BASE}/categories", {"name": "Theirs"}, theirs)
    operator_key = await api_key_headers(db, "helpdesk", role=Role.OPERATOR)
    response = await client.get(f"{BASE}/articles", headers=operator_key)
    assert response.status == 403 and (await response.json())["error"]["code"] == "forbidden"
    assert (await client.post(f"{BASE}/preview", json={"body": "x"}, headers=operator_key)).status == 403

    mine = await api_key_headers(db, "acme")
    article = f"{BASE}/articles/{their_article['id']}"
    for method, path, body in (
        ("GET", article, None),
        ("PATCH", article, {"title": "Mine"}),
        ("PUT", f"{article}/draft", {"title": "Mine", "body": "Now."}),
        ("POST", f"{article}/publish", None),
        ("GET", f"{article}/revisions", None),
        ("GET", f"{article}/revisions/1", None),
        ("POST", f"{article}/restore", {"number": 1}),
        ("DELETE", article, None),
        ("PATCH", f"{BASE}/categories/{their_category['id']}", {"name": "Mine"}),
        ("DELETE", f"{BASE}/categories/{their_category['id']}", None),
    ):
        response = await client.request(method, path, json=body, headers=mine)
        assert response.status == 404, (method, path)
        assert (await response.json())["error"]["code"] == "not_found"
    listing = await (await client.get(f"{BASE}/articles", headers=mine)).json()
    assert listing["articles"] == []
    still = await (await client.get(article, headers=theirs)).json()
    assert (still["title"], still["body"]) == ("Secret", "Ours.")
