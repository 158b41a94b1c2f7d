"""Importing articles: Markdown files uploaded through the Knowledge base page or the API (valid files
are created even when others are refused, each refusal readable), and an HTML page by URL from a
server on loopback, refused unless the workspace allows private addresses, never from a non-HTML
answer; imports stay in the importing workspace."""

import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestServer
from sqlalchemy import update

from accounts.api_keys import issue_api_key
from accounts.models import Workspace
from accounts.roles import Role
from core.db import Database
from knowledge_base.importing import MAX_PAGE_BYTES
from tests.factories import Client, log_in, make_operator, make_workspace

Json = dict[str, Any]
API = "/api/v1/knowledge-base"
PAGE = """<html><head><title>Shipping | Acme</title></head><body>
<nav><a href="/">Home</a></nav>
<main><h1>Shipping times</h1><p>Orders ship in <strong>two days</strong>, see <a href="/rates">rates</a>.</p>
<ul><li>Europe: 3 days</li><li>Elsewhere: 7 days</li></ul><script>alert(1)</script></main>
</body></html>"""


@pytest.fixture
async def site() -> AsyncIterator[TestServer]:
    """A web site on loopback: /shipping is HTML, /data JSON, /huge too big, /moved redirects."""

    async def shipping(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def data(request: web.Request) -> web.Response:
        return web.json_response({"shipping": "two days"})

    async def huge(request: web.Request) -> web.Response:
        return web.Response(body=b"<p>" + b"x" * MAX_PAGE_BYTES + b"</p>", content_type="text/html")

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/shipping")

    app = web.Application()
    app.add_routes([web.get("/shipping", shipping), web.get("/data", data), web.get("/huge", huge)])
    app.add_routes([web.get("/moved", moved)])
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


async def editor(client: Client, db: Database) -> str:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme", name="Acme")
        await make_operator(tx.session, workspace=workspace, role=Role.EDITOR, email="eve@example.com")
    return await log_in(client, "eve@example.com")


async def api_key(db: Database, slug: str, *, allow_private: bool = False) -> dict[str, str]:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug=slug)
        key = await issue_api_key(tx.session, workspace_id=workspace.id, name="CMS", role=Role.EDITOR, created_by=None)
        if allow_private:
            await tx.session.execute(
                update(Workspace).where(Workspace.id == workspace.id).values(allow_private_webhooks=True)
            )
    return {"Authorization": f"Bearer {key.key}"}


def markdown_files(*files: tuple[str, bytes], **fields: str) -> FormData:
    form = FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for file_name, data in files:
        form.add_field("files", data, filename=file_name, content_type="text/markdown")
    return form


async def articles(client: Client, headers: dict[str, str]) -> list[Json]:
    listing: Json = await (await client.get(f"{API}/articles", headers=headers)).json()
    found: list[Json] = listing["articles"]
    return found


THREE_FILES = (
    ("refunds.md", b"# Refunds\n\nWithin **14 days**.\n"),
    ("broken.md", "Café au lait".encode("latin-1")),
    ("shipping-times.md", b"Two days.\n"),
)


async def test_an_editor_uploads_three_files_and_one_is_refused(client: Client, db: Database) -> None:
    token = await editor(client, db)
    form = markdown_files(*THREE_FILES, _csrf=token, locale="en", visibility="public", publish="1")
    response = await client.post("/w/acme/knowledge-base/import/markdown", data=form)
    assert response.status == 200
    page = await response.text()
    assert "Imported 2 of 3 files." in page
    assert page.count('data-testid="import-created"') == 2
    assert "Not imported: The file is not UTF-8 text." in page
    assert ">Refunds</a>" in page and ">Shipping times</a>" in page

    listing = await (await client.get("/w/acme/knowledge-base")).text()
    assert "Refunds" in listing and "Shipping times" in listing and "broken" not in listing.lower()
    session = {"X-CSRF-Token": token, "X-Workspace": "acme"}
    found = {a["title"]: a for a in await articles(client, session)}
    assert found.keys() == {"Refunds", "Shipping times"}
    assert found["Refunds"]["published_number"] == 1 and found["Refunds"]["slug"] == "refunds"

    again = markdown_files(("refunds.md", b"# Refunds\n\nA second copy.\n"), _csrf=token, locale="en")
    assert (
        "Imported 1 of 1 files."
        in await (await client.post("/w/acme/knowledge-base/import/markdown", data=again)).text()
    )
    slugs = sorted(a["slug"] for a in await articles(client, session) if a["title"] == "Refunds")
    assert slugs == ["refunds", "refunds-2"]
    copy = next(a for a in await articles(client, session) if a["slug"] == "refunds-2")
    assert copy["status"] == "draft"  # "publish at once" was not ticked


async def test_form_errors_go_back_to_the_knowledge_base_page(client: Client, db: Database) -> None:
    token = await editor(client, db)
    too_many = markdown_files(*[(f"a{n}.md", b"text") for n in range(51)], _csrf=token, locale="en")
    response = await client.post("/w/acme/knowledge-base/import/markdown", data=too_many)
    assert response.url.path == "/w/acme/knowledge-base"
    assert "Import at most 50 files at once." in await response.text()
    no_files = markdown_files(_csrf=token, locale="en")
    no_files.add_field("files", b"", filename="", content_type="application/octet-stream")
    response = await client.post("/w/acme/knowledge-base/import/markdown", data=no_files)
    assert "Choose one or more .md files to import." in await response.text()


async def test_the_api_imports_files_and_reports_the_refused(client: Client, db: Database) -> None:
    bearer = await api_key(db, "acme")
    await client.post(f"{API}/categories", json={"name": "FAQ"}, headers=bearer)
    form = markdown_files(*THREE_FILES, locale="ru", visibility="internal", category="faq", publish="true")
    response = await client.post(f"{API}/import/markdown", data=form, headers=bearer)
    assert response.status == 201, await response.text()
    body = await response.json()
    assert [a["title"] for a in body["articles"]] == ["Refunds", "Shipping times"]
    assert {(a["locale"], a["visibility"], a["status"]) for a in body["articles"]} == {("ru", "internal", "published")}
    assert body["refused"] == [{"file": "broken.md", "code": "invalid_input", "message": "The file is not UTF-8 text."}]

    all_bad = markdown_files(("empty.md", b"\n"), ("notes.txt", b"# Notes"), locale="en")
    response = await client.post(f"{API}/import/markdown", data=all_bad, headers=bearer)
    assert response.status == 400
    error = (await response.json())["error"]
    assert (error["code"], error["message"]) == ("invalid_input", "None of the files could be imported.")
    assert [r["message"] for r in error["details"]["refused"]] == [
        "The file is empty.",
        "Only Markdown files (.md) can be imported.",
    ]

    too_big = FormData({"locale": "en"})
    # A file object: aiohttp warns about (and, under pytest's warnings-as-errors, refuses) big raw bytes.
    too_big.add_field("files", io.BytesIO(b"x" * (1024 * 1024 + 1)), filename="big.md")
    response = await client.post(f"{API}/import/markdown", data=too_big, headers=bearer)
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "payload_too_large"
    not_multipart = await client.post(f"{API}/import/markdown", json={"files": []}, headers=bearer)
    assert not_multipart.status == 400
    assert len(await articles(client, bearer)) == 2


async def test_a_page_on_a_private_address_is_refused_unless_the_workspace_allows_it(
    client: Client, db: Database, site: TestServer
) -> None:
    strict = await api_key(db, "strict")
    url = str(site.make_url("/shipping"))
    response = await client.post(f"{API}/import/url", json={"url": url, "locale": "en"}, headers=strict)
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["message"] == "127.0.0.1 is a private or local address; this workspace imports only from public ones."
    assert await articles(client, strict) == []

    relaxed = await api_key(db, "relaxed", allow_private=True)
    response = await client.post(
        f"{API}/import/url", json={"url": url, "locale": "en", "visibility": "bot_only"}, headers=relaxed
    )
    assert response.status == 201, await response.text()
    article = await response.json()
    assert (article["title"], article["status"], article["visibility"]) == ("Shipping times", "draft", "bot_only")
    assert article["body"].startswith("Orders ship in **two days**, see [rates](http://127.0.0.1:")
    assert "- Europe: 3 days\n- Elsewhere: 7 days" in article["body"]
    assert "alert" not in article["body"] and "Home" not in article["body"]
    moved = await client.post(
        f"{API}/import/url", json={"url": str(site.make_url("/moved")), "locale": "en"}, headers=relaxed
    )
    assert moved.status == 201 and (await moved.json())["slug"] == "shipping-times-2"


@pytest.mark.parametrize(
    ("path", "status", "code", "message"),
    [
        ("/data", 415, "unsupported_type", "This address is not an HTML page (it is application/json)."),
        ("/huge", 413, "payload_too_large", "The page is larger than 2 MB."),
        ("/missing", 400, "invalid_input", "The page answered with HTTP status 404."),
    ],
)
async def test_what_is_not_an_html_page_is_refused(
    client: Client, db: Database, site: TestServer, path: str, status: int, code: str, message: str
) -> None:
    relaxed = await api_key(db, "relaxed", allow_private=True)
    response = await client.post(
        f"{API}/import/url", json={"url": str(site.make_url(path)), "locale": "en"}, headers=relaxed
    )
    assert response.status == status
    error = (await response.json())["error"]
    assert (error["code"], error["message"]) == (code, message)
    assert await articles(client, relaxed) == []


async def test_bad_addresses_are_refused_before_anything_is_fetched(client: Client, db: Database) -> None:
    relaxed = await api_key(db, "relaxed", allow_private=True)
    for url in ("ftp://example.com/a", "example.com", "file:///etc/passwd"):
        response = await client.post(f"{API}/import/url", json={"url": url, "locale": "en"}, headers=relaxed)
        assert response.status == 400
        assert (await response.json())["error"]["message"].startswith("Give the page's address")
    closed = await client.post(
        f"{API}/import/url", json={"url": "http://127.0.0.1:9/", "locale": "en"}, headers=relaxed
    )
    assert (await closed.json())["error"]["message"] == "Could not reach 127.0.0.1: check the address."


async def test_the_page_form_lands_on_the_new_draft_or_shows_the_error(
    client: Client, db: Database, site: TestServer
) -> None:
    token = await editor(client, db)
    url = str(site.make_url("/shipping"))
    form = {"_csrf": token, "url": url, "locale": "en", "visibility": "public", "category": ""}
    refused = await client.post("/w/acme/knowledge-base/import/url", data=form)
    assert refused.url.path == "/w/acme/knowledge-base"
    assert "127.0.0.1 is a private or local address" in await refused.text()
    async with db.transaction() as tx:
        await tx.session.execute(update(Workspace).where(Workspace.slug == "acme").values(allow_private_webhooks=True))
    created = await client.post("/w/acme/knowledge-base/import/url", data=form, allow_redirects=False)
    assert created.status == 303
    assert created.headers["Location"].startswith("/w/acme/knowledge-base/articles/")
    editor_page = await (await client.get(created.headers["Location"])).text()
    assert "Shipping times" in editor_page


async def test_imports_stay_in_the_importing_workspace(client: Client, db: Database, site: TestServer) -> None:
    acme = await api_key(db, "acme", allow_private=True)
    other = await api_key(db, "other", allow_private=True)
    faq = await (await client.post(f"{API}/categories", json={"name": "FAQ"}, headers=acme)).json()
    form = markdown_files(("a.md", b"# A\n\ntext"), locale="en", category=str(faq["id"]))
    foreign = await client.post(f"{API}/import/markdown", data=form, headers=other)
    assert foreign.status == 404
    url_body = {"url": str(site.make_url("/shipping")), "locale": "en", "category": faq["id"]}
    assert (await client.post(f"{API}/import/url", json=url_body, headers=other)).status == 404
    assert await articles(client, other) == []

    mine = await client.post(
        f"{API}/import/markdown", data=markdown_files(("a.md", b"# A\n\ntext"), locale="en"), headers=acme
    )
    assert mine.status == 201
    assert [a["title"] for a in await articles(client, acme)] == ["A"]
    assert await articles(client, other) == []


async def test_operators_may_not_import(client: Client, db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        await make_operator(tx.session, workspace=workspace, role=Role.OPERATOR, email="op@example.com")
    token = await log_in(client, "op@example.com")
    form = markdown_files(("a.md", b"# A\n\ntext"), _csrf=token, locale="en")
    assert (await client.post("/w/acme/knowledge-base/import/markdown", data=form)).status == 403
