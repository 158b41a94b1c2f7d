"""Files in the chat: limits, types checked by content, and who may download them."""

import io

import pytest
from aiohttp import FormData

from accounts.api_keys import issue_api_key
from accounts.roles import Role
from core.db import Database
from tests.channels.web_widget.widget_client import Frame, WidgetVisitor, next_message
from tests.factories import Client, make_workspace

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
async def operator_headers(committed_db: Database) -> dict[str, str]:
    async with committed_db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        key = await issue_api_key(tx.session, workspace_id=workspace.id, name="t", role=Role.ADMIN, created_by=None)
    return {"Authorization": f"Bearer {key.key}"}


async def upload(client: Client, token: str, name: str, data: bytes, content_type: str) -> tuple[int, Frame]:
    form = FormData()
    form.add_field("file", io.BytesIO(data), filename=name, content_type=content_type)
    response = await client.post("/widget/v1/acme/attachments", data=form, headers={"X-Visitor-Token": token})
    return response.status, await response.json()


async def test_a_screenshot_is_attached_sent_and_readable_by_its_visitor_and_operators_only(
    live_client: Client, operator_headers: dict[str, str]
) -> None:
    ann = WidgetVisitor(live_client, "acme")
    await ann.start_session()
    await ann.connect()
    status, attachment = await upload(live_client, ann.token, "shot.png", PNG, "image/png")
    assert status == 201
    assert (attachment["name"], attachment["content_type"], attachment["size"]) == ("shot.png", "image/png", len(PNG))
    message = await ann.say("See this", attachments=[str(attachment["id"])])
    assert message["attachments"] == [attachment]
    url = str(attachment["url"])
    mine = await live_client.get(f"{url}?token={ann.token}")
    assert mine.status == 200 and await mine.read() == PNG
    assert mine.headers["X-Content-Type-Options"] == "nosniff"
    assert (await live_client.get(url, headers=operator_headers)).status == 404  # a key is not a session
    bob = WidgetVisitor(live_client, "acme")
    await bob.start_session()
    assert (await live_client.get(f"{url}?token={bob.token}")).status == 404
    assert (await live_client.get(url)).status == 404


async def test_an_operator_file_reaches_the_visitor(live_client: Client, operator_headers: dict[str, str]) -> None:
    ann = WidgetVisitor(live_client, "acme")
    await ann.start_session()
    await ann.connect()
    await ann.say("Send me the invoice")
    form = FormData()
    form.add_field("file", b"%PDF-1.7 invoice", filename="invoice.pdf", content_type="application/pdf")
    uploaded = await (await live_client.post("/api/v1/attachments", data=form, headers=operator_headers)).json()
    listing = await (await live_client.get("/api/v1/conversations", headers=operator_headers)).json()
    path = f"/api/v1/conversations/{listing['conversations'][0]['id']}/messages"
    await live_client.post(path, json={"text": "Here", "attachments": [uploaded["id"]]}, headers=operator_headers)
    reply = await next_message(ann)
    [file] = reply["attachments"]
    download = await live_client.get(f"{file['url']}?token={ann.token}")
    assert download.status == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("page.html", b"<html><script>alert(1)</script></html>", 415, "unsupported_type"),
        ("logo.svg", b"<svg onload=alert(1)></svg>", 415, "unsupported_type"),
        ("fake.png", b"MZ\x90\x00 not a png", 415, "unsupported_type"),
        ("empty.txt", b"", 400, "invalid_input"),
        ("big.png", PNG + b"\x00" * (10 * 1024 * 1024), 413, "payload_too_large"),
    ],
)
async def test_unacceptable_files_are_refused_with_a_clear_code(
    live_client: Client, operator_headers: dict[str, str], name: str, data: bytes, status: int, code: str
) -> None:
    ann = WidgetVisitor(live_client, "acme")
    await ann.start_session()
    got_status, body = await upload(live_client, ann.token, name, data, "image/png")
    assert got_status == status
    assert body["error"]["code"] == code


async def test_uploading_needs_a_genuine_visitor_token(live_client: Client, operator_headers: dict[str, str]) -> None:
    status, _ = await upload(live_client, "forged", "shot.png", PNG, "image/png")
    assert status == 401


async def test_a_visitor_cannot_send_another_visitors_file(
    live_client: Client, operator_headers: dict[str, str]
) -> None:
    ann, bob = WidgetVisitor(live_client, "acme"), WidgetVisitor(live_client, "acme")
    await ann.start_session()
    await bob.start_session()
    await bob.connect()
    _, attachment = await upload(live_client, ann.token, "shot.png", PNG, "image/png")
    await bob.send("look", attachments=[str(attachment["id"])])
    assert (await bob.receive(lambda frame: frame["type"] == "error"))["code"] == "not_found"
