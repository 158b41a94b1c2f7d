"""What the widget edge refuses, and that refusing loses nothing already accepted."""

import asyncio
import uuid

import pytest
from aiohttp import WSMsgType
from sqlalchemy import func, select, update

from channels.web_widget.models import WidgetSettings
from conversations.models import Message
from core.db import Database
from tests.channels.web_widget.widget_client import WidgetVisitor
from tests.factories import Client, make_workspace


@pytest.fixture
async def acme(committed_db: Database) -> None:
    async with committed_db.transaction() as tx:
        await make_workspace(tx.session, slug="acme")


async def connected(client: Client) -> WidgetVisitor:
    widget = WidgetVisitor(client, "acme")
    await widget.start_session()
    await widget.connect()
    return widget


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "invalid_frame"),
        ("[1, 2]", "invalid_frame"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "message", "client_id": "short", "text": "x"}', "invalid_frame"),
        ('{"type": "message", "client_id": "abcdefgh-1234", "text": "' + "x" * 4001 + '"}', "too_large"),
        ('{"type": "message", "client_id": "abcdefgh-1234", "text": "   "}', "invalid_frame"),
        ('{"type": "read", "seq": -1}', "invalid_frame"),
    ],
)
async def test_bad_frames_get_an_error_frame_and_the_socket_stays_open(
    live_client: Client, acme: None, raw: str, code: str
) -> None:
    widget = await connected(live_client)
    assert widget.socket is not None
    await widget.socket.send_str(raw)
    error = await widget.receive(lambda frame: frame["type"] == "error")
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    await widget.say("still here")


async def test_binary_frames_are_refused(live_client: Client, acme: None) -> None:
    widget = await connected(live_client)
    assert widget.socket is not None
    await widget.socket.send_bytes(b"\x00\x01")
    assert (await widget.receive(lambda frame: frame["type"] == "error"))["code"] == "invalid_frame"


async def test_a_forged_token_is_refused_and_the_socket_closed(live_client: Client, acme: None) -> None:
    widget = WidgetVisitor(live_client, "acme", token="forged.token.value")
    socket = await live_client.ws_connect("/widget/v1/acme/socket")
    await socket.send_json({"type": "hello", "v": 1, "token": widget.token, "last_seq": 0})
    error = await socket.receive_json()
    assert error["code"] == "invalid_token"
    closing = await socket.receive()
    assert closing.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)
    assert socket.close_code == 4001


async def test_a_token_of_another_workspace_is_refused(live_client: Client, committed_db: Database, acme: None) -> None:
    async with committed_db.transaction() as tx:
        await make_workspace(tx.session, slug="other")
    theirs = WidgetVisitor(live_client, "other")
    await theirs.start_session()
    mine = WidgetVisitor(live_client, "acme", token=theirs.token)
    socket = await live_client.ws_connect("/widget/v1/acme/socket")
    await socket.send_json({"type": "hello", "token": mine.token})
    assert (await socket.receive_json())["code"] == "invalid_token"


async def test_a_page_of_a_site_that_is_not_allowed_cannot_open_the_chat(
    live_client: Client, committed_db: Database, acme: None
) -> None:
    widget = WidgetVisitor(live_client, "acme")
    await widget.start_session()  # no restriction yet
    async with committed_db.transaction() as tx:
        await tx.session.execute(update(WidgetSettings).values(allowed_origins=["https://acme.example"]))
    evil = {"Origin": "https://evil.example"}
    session = await live_client.post("/widget/v1/acme/session", json={}, headers=evil)
    assert session.status == 403
    assert (await session.json())["error"]["code"] == "origin_not_allowed"
    handshake = await live_client.get(
        "/widget/v1/acme/socket", headers={**evil, "Connection": "Upgrade", "Upgrade": "websocket"}
    )
    assert handshake.status == 403
    fine = await live_client.post("/widget/v1/acme/session", json={}, headers={"Origin": "https://acme.example"})
    assert fine.status == 200


async def test_a_flood_is_rate_limited_with_a_clear_frame_and_every_accepted_message_is_kept(
    live_client: Client, committed_db: Database, acme: None
) -> None:
    widget = await connected(live_client)
    sent = [await widget.send(f"flood {n}") for n in range(20)]
    acked: set[str] = set()
    limited = 0
    async with asyncio.timeout(10):
        while len(acked) + limited < len(sent):
            frame = await widget.receive(lambda f: f["type"] in ("ack", "error"))
            if frame["type"] == "ack":
                acked.add(str(frame["client_id"]))
            else:
                assert frame["code"] == "rate_limited" and int(str(frame["retry_after"])) >= 1
                limited += 1
    assert limited > 0 and acked
    async with committed_db.transaction() as tx:
        stored = await tx.session.scalar(select(func.count()).where(Message.body.like("flood %")))
    assert stored == len(acked)


async def test_html_in_a_message_is_stored_and_returned_as_plain_text(live_client: Client, acme: None) -> None:
    widget = await connected(live_client)
    message = await widget.say('<img src=x onerror="alert(1)"><b>hi</b>')
    assert message["text"] == '<img src=x onerror="alert(1)"><b>hi</b>'


async def test_a_visitor_cannot_reach_another_visitors_conversation(live_client: Client, acme: None) -> None:
    ann = await connected(live_client)
    await ann.say("Ann's secret")
    bob = await connected(live_client)
    assert bob.ready["conversation"] is None and bob.ready["messages"] == []
    assert bob.socket is not None
    await bob.socket.send_json({"type": "hello", "token": ann.token})  # hello twice: refused
    assert (await bob.receive(lambda frame: frame["type"] == "error"))["code"] == "invalid_frame"
    stranger = WidgetVisitor(live_client, "acme", token=bob.token)
    ready = await stranger.connect(last_seq=0)
    assert "Ann's secret" not in str(ready)


async def test_unknown_workspace_is_a_json_404(live_client: Client) -> None:
    response = await live_client.post("/widget/v1/nowhere/session", json={})
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


async def test_a_client_id_reused_by_another_visitor_is_a_different_message(live_client: Client, acme: None) -> None:
    shared = str(uuid.uuid4())
    ann, bob = await connected(live_client), await connected(live_client)
    first = await ann.say("from ann", client_id=shared)
    second = await bob.say("from bob", client_id=shared)
    assert first["id"] != second["id"]
    assert second["text"] == "from bob"


async def test_refusals_name_the_refused_message(live_client: Client, acme: None) -> None:
    widget = await connected(live_client)
    assert widget.socket is not None
    await widget.socket.send_json({"type": "message", "client_id": "refused-123456", "text": "x" * 5000})
    error = await widget.receive(lambda frame: frame["type"] == "error")
    assert (error["code"], error["client_id"]) == ("too_large", "refused-123456")


async def test_another_site_may_call_the_widget_endpoints_cross_origin(
    live_client: Client, committed_db: Database, acme: None
) -> None:
    site = {"Origin": "https://shop.example"}
    preflight = await live_client.options(
        "/widget/v1/acme/session",
        headers={**site, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "X-Visitor-Token" in preflight.headers["Access-Control-Allow-Headers"]
    session = await live_client.post("/widget/v1/acme/session", json={}, headers=site)
    assert session.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    async with committed_db.transaction() as tx:
        await tx.session.execute(update(WidgetSettings).values(allowed_origins=["https://acme.example"]))
    refused = await live_client.post("/widget/v1/acme/session", json={}, headers=site)
    assert refused.status == 403  # readable by the widget, which can then say why
    assert refused.headers["Access-Control-Allow-Origin"] == "https://shop.example"
