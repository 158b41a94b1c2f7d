"""`GET /api/v1/knowledge-base/search`: published public articles of the caller's workspace, best
first, `{article_id, title, url, score, snippet}`; indexed after the publish commits; bad queries
get a clear 400; other workspaces' articles are never found."""

from typing import Any

from core.db import Database
from tests.admin.test_knowledge_base_api import api_key_headers, editor_headers, post
from tests.factories import Client

SEARCH = "/api/v1/knowledge-base/search"
ARTICLES = "/api/v1/knowledge-base/articles"


async def search(client: Client, headers: dict[str, str], query: str, status: int = 200) -> Any:
    response = await client.get(SEARCH, params={"q": query}, headers=headers)
    assert response.status == status, await response.text()
    return await response.json()


async def test_published_public_articles_are_found_after_publishing(client: Client, db: Database) -> None:
    bearer = await api_key_headers(db, "acme")
    refunds = await post(
        client, ARTICLES, {"title": "Refunds", "body": "Money back within **14 days**.", "locale": "en"}, bearer
    )
    await post(
        client,
        ARTICLES,
        {"title": "Refund exceptions", "body": "Gift cards: no refund.", "locale": "en", "visibility": "bot_only"},
        bearer,
    )
    await post(
        client, ARTICLES, {"title": "Refund drafts", "body": "Refund.", "locale": "en", "status": "draft"}, bearer
    )
    found = await search(client, bearer, "how do I get a refund?")
    assert [hit["article_id"] for hit in found["results"]] == [refunds["id"]]
    [hit] = found["results"]
    assert hit["title"] == "Refunds" and hit["url"] == "/help/acme/articles/refunds"
    assert hit["snippet"] == "Money back within 14 days." and hit["score"] > 0

    russian = await client.get(SEARCH, params={"q": "refund", "locale": "ru"}, headers=bearer)
    assert (await russian.json())["results"] == []

    changed = await client.patch(f"{ARTICLES}/{refunds['id']}", json={"visibility": "internal"}, headers=bearer)
    assert changed.status == 200
    assert (await search(client, bearer, "refund"))["results"] == []

    other = await api_key_headers(db, "other")
    assert (await search(client, other, "refund"))["results"] == []


async def test_edits_reach_search_when_published_and_deleted_articles_leave_it(client: Client, db: Database) -> None:
    bearer = await api_key_headers(db, "acme")
    article = await post(client, ARTICLES, {"title": "Shipping", "body": "We ship by courier.", "locale": "en"}, bearer)
    path = f"{ARTICLES}/{article['id']}"
    await client.put(f"{path}/draft", json={"title": "Shipping", "body": "We ship by drone."}, headers=bearer)
    assert [h["snippet"] for h in (await search(client, bearer, "shipping"))["results"]] == ["We ship by courier."]
    assert (await client.post(f"{path}/publish", headers=bearer)).status == 200
    assert [h["snippet"] for h in (await search(client, bearer, "shipping"))["results"]] == ["We ship by drone."]
    restored = await client.post(f"{path}/restore", json={"number": 1}, headers=bearer)
    assert restored.status == 200
    assert [h["snippet"] for h in (await search(client, bearer, "shipping"))["results"]] == ["We ship by courier."]
    assert (await client.delete(path, headers=bearer)).status == 204
    assert (await search(client, bearer, "shipping"))["results"] == []


async def test_bad_queries_get_a_clear_error(client: Client, db: Database) -> None:
    headers = await editor_headers(client, db)  # by session, too
    for params in ({}, {"q": "   "}, {"q": "x" * 1001}, {"q": "refund", "limit": "0"}, {"q": "a", "locale": "de"}):
        response = await client.get(SEARCH, params=params, headers=headers)
        assert response.status == 400, params
        error = (await response.json())["error"]
        assert error["code"] == "invalid_input" and error["message"]
    assert (await client.get(SEARCH, params={"q": "x" * 1000}, headers=headers)).status == 200
    refused = await client.get(SEARCH, params={"q": "refund"}, headers={"Authorization": "Bearer nope"})
    assert refused.status == 401
