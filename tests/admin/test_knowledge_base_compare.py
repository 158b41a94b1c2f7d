"""Comparing an article's texts: two revisions, or a revision and the draft, as a highlighted diff
on the editor's compare page (text escaped) and as JSON with the unified diff and its hunks;
another workspace's article is 404."""

from typing import Any

from accounts.roles import Role
from core.db import Database
from tests.factories import Client, log_in, make_operator, make_workspace

Json = dict[str, Any]
API = "/api/v1/knowledge-base"


async def article_with_two_revisions(client: Client, db: Database) -> tuple[int, dict[str, str]]:
    """Revision 1, revision 2 (live) with a <script> in it, and a draft that moved on."""
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme", name="Acme")
        await make_operator(tx.session, workspace=workspace, role=Role.EDITOR, email="eve@example.com")
    token = await log_in(client, "eve@example.com")
    headers = {"X-CSRF-Token": token, "X-Workspace": "acme"}
    body = {"title": "Refunds", "body": "Within 14 days.\n\nKeep the receipt.\n", "locale": "en"}
    article: Json = await (await client.post(f"{API}/articles", json=body, headers=headers)).json()
    changed = {"body": "Within 30 days.\n\nKeep the receipt.\n<script>alert(1)</script>\n", "status": "published"}
    assert (await client.patch(f"{API}/articles/{article['id']}", json=changed, headers=headers)).status == 200
    draft = {"title": "Refunds and returns", "body": changed["body"]}
    assert (await client.put(f"{API}/articles/{article['id']}/draft", json=draft, headers=headers)).status == 200
    return article["id"], headers


async def test_the_api_compares_two_revisions(client: Client, db: Database) -> None:
    article_id, headers = await article_with_two_revisions(client, db)
    response = await client.get(f"{API}/articles/{article_id}/revisions/1/compare/2", headers=headers)
    assert response.status == 200
    diff: Json = await response.json()
    assert (diff["from"], diff["to"], diff["identical"], diff["added"], diff["removed"]) == (1, 2, False, 2, 1)
    assert diff["unified"] == (
        "--- revision 1\n+++ revision 2\n@@ -1,5 +1,6 @@\n # Refunds\n \n-Within 14 days.\n+Within 30 days.\n"
        " \n Keep the receipt.\n+<script>alert(1)</script>\n"
    )
    [hunk] = diff["hunks"]
    assert (hunk["header"], hunk["old_start"], hunk["new_count"]) == ("@@ -1,5 +1,6 @@", 1, 6)
    assert hunk["lines"][2] == {"kind": "removed", "text": "Within 14 days.", "old_number": 3, "new_number": None}

    to_draft: Json = await (
        await client.get(f"{API}/articles/{article_id}/revisions/2/compare/draft", headers=headers)
    ).json()
    assert (to_draft["to"], to_draft["added"], to_draft["removed"]) == ("draft", 1, 1)
    assert "+# Refunds and returns\n" in to_draft["unified"]
    same: Json = await (await client.get(f"{API}/articles/{article_id}/revisions/2/compare/2", headers=headers)).json()
    assert (same["identical"], same["unified"], same["hunks"]) == (True, "", [])
    missing = await client.get(f"{API}/articles/{article_id}/revisions/1/compare/9", headers=headers)
    assert missing.status == 404
    assert (await missing.json())["error"]["message"] == "This article has no revision 9."


async def test_the_compare_page_highlights_changes_and_escapes_them(client: Client, db: Database) -> None:
    article_id, _ = await article_with_two_revisions(client, db)
    page = await (await client.get(f"/w/acme/knowledge-base/articles/{article_id}/compare?from=1&to=2")).text()
    assert '<tr class="diff-removed"' in page and "<del>Within 14 days.</del>" in page
    assert "<ins>Within 30 days.</ins>" in page
    assert "<ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins>" in page and "<script>alert(1)" not in page
    assert '<option value="1" selected>' in page

    default = await (await client.get(f"/w/acme/knowledge-base/articles/{article_id}/compare")).text()
    assert '<option value="2" selected>' in default  # the live revision…
    assert '<option value="draft" selected>' in default  # …against the draft
    assert "<ins># Refunds and returns</ins>" in default
    same = await (await client.get(f"/w/acme/knowledge-base/articles/{article_id}/compare?from=1&to=1")).text()
    assert "The two texts are the same." in same
    bad = await client.get(f"/w/acme/knowledge-base/articles/{article_id}/compare?from=latest")
    assert bad.status == 400 and "Compare a revision number or draft." in await bad.text()
    editor = await (await client.get(f"/w/acme/knowledge-base/articles/{article_id}")).text()
    assert f'data-compare-url="/w/acme/knowledge-base/articles/{article_id}/compare"' in editor


async def test_another_workspace_cannot_compare(client: Client, db: Database) -> None:
    article_id, editor = await article_with_two_revisions(client, db)
    token = editor["X-CSRF-Token"]
    async with db.transaction() as tx:
        other = await make_workspace(tx.session, slug="other", name="Other")
        await make_operator(tx.session, workspace=other, role=Role.ADMIN, email="oscar@example.com")
    assert (await client.post("/logout", data={"_csrf": token})).status == 200
    token = await log_in(client, "oscar@example.com")
    headers = {"X-CSRF-Token": token, "X-Workspace": "other"}
    api = await client.get(f"{API}/articles/{article_id}/revisions/1/compare/2", headers=headers)
    assert api.status == 404
    assert (await client.get(f"/w/other/knowledge-base/articles/{article_id}/compare")).status == 404
