"""The Inbox's knowledge panel API (docs/inbox-api.md, Knowledge): operators and editors find the
workspace's published articles of every visibility, internal ones included (which the public search
never returns), each with its badge and a help-center link for public ones only; an article reads as
its live revision, sanitised; drafts and other workspaces' articles are never found; strangers 401."""

import json
import re
from datetime import UTC, datetime
from typing import Any

from accounts.actors import Actor
from accounts.api_keys import issue_api_key
from accounts.roles import Role
from core.db import Database
from core.ids import ArticleId
from knowledge_base.articles import create_article, publish_article, save_draft
from knowledge_base.indexing import index_article
from knowledge_base.validation import Locale, Visibility
from tests.factories import Client, log_in, make_actor, make_operator, make_workspace
from tests.fakes.embedders import HashingEmbedder

SEARCH = "/api/v1/inbox/knowledge"
PUBLIC_SEARCH = "/api/v1/knowledge-base/search"
BASE_URL = "http://127.0.0.1:0"  # make_settings(): port 0, no public URL configured
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def write_article(
    db: Database,
    actor: Actor,
    title: str,
    body: str,
    visibility: Visibility = Visibility.PUBLIC,
    *,
    publish: bool = True,
) -> ArticleId:
    """An article as an editor writes it, published and indexed (with the client's fake embedder)."""
    async with db.transaction() as tx:
        article = await create_article(
            tx.session, actor, title=title, body=body, locale=Locale.EN, visibility=visibility, category_id=None, at=NOW
        )
        await tx.session.flush()
        if publish:
            await publish_article(tx.session, actor, article.id, at=NOW)
            await index_article(tx.session, article.id, HashingEmbedder())
    return article.id


async def acme(db: Database, *, role: Role = Role.OPERATOR) -> Actor:
    """Workspace acme with an editor (returned) and a person of `role` who logs in as me@acme.test."""
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme", name="Acme")
        await make_operator(tx.session, workspace=workspace, role=role, email="me@acme.test")
        return await make_actor(tx.session, role=Role.EDITOR, workspace=workspace)


async def logged_in(client: Client) -> dict[str, str]:
    await log_in(client, "me@acme.test")
    return {"X-Workspace": "acme"}


async def found(client: Client, headers: dict[str, str], query: str, status: int = 200) -> Any:
    response = await client.get(SEARCH, params={"q": query}, headers=headers)
    assert response.status == status, await response.text()
    return await response.json()


async def test_an_operator_finds_internal_articles_that_the_public_search_does_not(
    client: Client, db: Database
) -> None:
    editor = await acme(db)
    public = await write_article(db, editor, "Refunds", "Money back within **14 days** of delivery.")
    internal = await write_article(
        db, editor, "Refund exceptions", "Gift cards are never refunded; escalate to billing.", Visibility.INTERNAL
    )
    bot_only = await write_article(db, editor, "Refund wording", "Say refund, not reimbursement.", Visibility.BOT_ONLY)
    await write_article(db, editor, "Refund drafts", "A refund plan not yet decided.", publish=False)
    headers = await logged_in(client)

    hits = await found(client, headers, "refund gift cards")
    assert hits[0]["article_id"] == internal  # the best match is the one only operators may read
    by_id = {hit["article_id"]: hit for hit in hits}
    assert set(by_id) == {public, internal, bot_only}  # never the draft
    assert hits[0] == {
        "article_id": internal,
        "title": "Refund exceptions",
        "visibility": "internal",
        "snippet": "Gift cards are never refunded; escalate to billing.",
        "url": None,
    }
    assert by_id[public]["visibility"] == "public"
    assert by_id[public]["url"] == f"{BASE_URL}/help/acme/articles/refunds"
    assert (by_id[bot_only]["visibility"], by_id[bot_only]["url"]) == ("bot_only", None)
    limited = await client.get(SEARCH, params={"q": "refund", "limit": "1"}, headers=headers)
    assert len(await limited.json()) == 1

    async with db.transaction() as tx:
        key = await issue_api_key(
            tx.session, workspace_id=editor.workspace_id, name="CMS", role=Role.EDITOR, created_by=None
        )
    public_search = await client.get(
        PUBLIC_SEARCH, params={"q": "refund gift cards"}, headers={"Authorization": f"Bearer {key.key}"}
    )
    assert [hit["article_id"] for hit in (await public_search.json())["results"]] == [public]


async def test_editors_search_too_and_bad_queries_are_named(client: Client, db: Database) -> None:
    editor = await acme(db, role=Role.EDITOR)
    internal = await write_article(db, editor, "Escalations", "Call the duty manager.", Visibility.INTERNAL)
    headers = await logged_in(client)
    assert [hit["article_id"] for hit in await found(client, headers, "duty manager")] == [internal]
    for params in ({}, {"q": "   "}, {"q": "x" * 1001}, {"q": "duty", "limit": "0"}, {"q": "duty", "limit": "51"}):
        response = await client.get(SEARCH, params=params, headers=headers)
        assert response.status == 400, params
        error = (await response.json())["error"]
        assert error["code"] == "invalid_input" and error["details"]["field"] in {"q", "limit"}


async def test_an_article_reads_as_its_live_revision_sanitised(client: Client, db: Database) -> None:
    editor = await acme(db)
    body = (
        "# Gift cards\n\nNever refunded. <script>alert('owned')</script>\n\n"
        "1. Check the order\n2. Escalate to [billing](https://billing.example.com)\n\n"
        '<img src="x" alt="" onerror="alert(1)"> <a href="javascript:alert(1)">click</a>'
    )
    internal = await write_article(db, editor, "Refund exceptions", body, Visibility.INTERNAL)
    public = await write_article(db, editor, "Refunds", "Money back within **14 days**.")
    async with db.transaction() as tx:  # edited, not published: readers still see revision 1
        await save_draft(tx.session, editor, public, title="Refunds (new)", body="Money back never.", at=NOW)
    headers = await logged_in(client)

    response = await client.get(f"{SEARCH}/{internal}", headers=headers)
    assert response.status == 200
    article = await response.json()
    assert article["article_id"] == internal and article["title"] == "Refund exceptions"
    assert article["visibility"] == "internal"
    assert article["url"] is None and article["locale"] == "en"
    html = article["html"]
    assert "<h1>Gift cards</h1>" in html and "<ol>" in html
    assert "<script" not in html and "alert('owned')" not in html
    assert "onerror" not in html and "javascript:" not in html
    assert article["text"] == (
        "Gift cards\n\nNever refunded.\n\n"
        "1. Check the order\n2. Escalate to billing (https://billing.example.com)\n\n"
        "click"
    )

    live = await (await client.get(f"{SEARCH}/{public}", headers=headers)).json()
    assert (live["title"], live["text"]) == ("Refunds", "Money back within 14 days.")
    assert live["url"] == f"{BASE_URL}/help/acme/articles/refunds"
    assert [hit["title"] for hit in await found(client, headers, "refunds money")][:1] == ["Refunds"]


async def test_drafts_and_other_workspaces_articles_are_never_found(client: Client, db: Database) -> None:
    editor = await acme(db)
    draft = await write_article(db, editor, "Refund plans", "Refund plans for next year.", publish=False)
    async with db.transaction() as tx:
        theirs = await make_actor(tx.session, role=Role.EDITOR)
    their_public = await write_article(db, theirs, "Refunds", "Their refund rules.")
    their_internal = await write_article(db, theirs, "Refund tricks", "Their refund secrets.", Visibility.INTERNAL)
    headers = await logged_in(client)

    assert await found(client, headers, "refund rules secrets plans") == []
    for article_id in (draft, their_public, their_internal, 999_999):
        response = await client.get(f"{SEARCH}/{article_id}", headers=headers)
        assert response.status == 404, article_id
        assert (await response.json())["error"]["code"] == "not_found"


async def test_strangers_are_asked_to_log_in(client: Client, db: Database) -> None:
    editor = await acme(db)
    internal = await write_article(db, editor, "Escalations", "Call the duty manager.", Visibility.INTERNAL)
    for path, params in ((SEARCH, {"q": "duty"}), (f"{SEARCH}/{internal}", {})):
        response = await client.get(path, params=params, headers={"X-Workspace": "acme"})
        assert response.status == 401, path
        assert (await response.json())["error"]["code"] == "unauthenticated"
        assert "duty" not in await response.text()


async def test_the_inbox_page_carries_the_panel_in_the_operators_language(client: Client, db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        await make_operator(tx.session, workspace=workspace, role=Role.OPERATOR, email="me@acme.test", locale="ru")
    await log_in(client, "me@acme.test")
    page = await (await client.get("/w/acme/inbox")).text()
    assert 'data-testid="knowledge-toggle"' in page and 'id="knowledge-pane"' in page
    assert '<script src="/static/inbox_knowledge.js"></script>' in page
    config = re.search(r'<script type="application/json" id="knowledge-config">(.*?)</script>', page, re.S)
    assert config is not None
    strings = json.loads(config.group(1))["strings"]
    assert (strings["public"], strings["bot_only"], strings["internal"]) == (
        "Публичная",
        "Только для бота",
        "Внутренняя",
    )
    assert "Вставить ссылку" in page
