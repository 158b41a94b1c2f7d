"""The widget over a real socket on a committing database, with operators on the API and their
live socket: the story of issue 3, message by message."""

import asyncio
import uuid

import pytest
from sqlalchemy import func, select

from accounts.api_keys import issue_api_key
from accounts.roles import Role
from conversations.models import Message
from core.db import Database
from tests.channels.web_widget.widget_client import Frame, WidgetVisitor, next_message
from tests.factories import Client, make_operator, make_workspace


@pytest.fixture
async def operator_headers(committed_db: Database) -> dict[str, str]:
    async with committed_db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        await make_operator(tx.session, workspace=workspace, role=Role.ADMIN, email="olga@example.com")
        key = await issue_api_key(tx.session, workspace_id=workspace.id, name="test", role=Role.ADMIN, created_by=None)
    return {"Authorization": f"Bearer {key.key}"}


async def visitor(client: Client) -> WidgetVisitor:
    widget = WidgetVisitor(client, "acme")
    await widget.start_session(page_url="https://acme.example/pricing", utm={"source": "newsletter"})
    await widget.connect()
    return widget


async def stored_messages(db: Database, text: str) -> int:
    async with db.transaction() as tx:
        return int(await tx.session.scalar(select(func.count()).where(Message.body == text)) or 0)


async def test_a_message_is_acknowledged_stored_once_and_reaches_operators_live(
    live_client: Client, committed_db: Database, operator_headers: dict[str, str]
) -> None:
    operators = await live_client.ws_connect("/api/v1/socket", headers=operator_headers)
    widget = await visitor(live_client)
    client_id = str(uuid.uuid4())
    first = await widget.say("Hello", client_id=client_id)
    again = await widget.say("Hello", client_id=client_id)  # a retry after a lost ack
    assert first["id"] == again["id"]
    assert (first["author"], first["seq"], first["client_id"]) == ("visitor", 1, client_id)
    async with asyncio.timeout(10):
        frame = await operators.receive_json()
    assert frame["type"] == "message"
    assert frame["message"]["text"] == "Hello"
    assert await stored_messages(committed_db, "Hello") == 1
    listing = await (await live_client.get("/api/v1/conversations", headers=operator_headers)).json()
    assert [c["preview"] for c in listing["conversations"]] == ["Hello"]
    assert listing["conversations"][0]["status"] == "open"


async def test_later_messages_reach_operators_and_the_visitors_other_tab_with_their_stored_ids(
    live_client: Client, operator_headers: dict[str, str]
) -> None:
    operators = await live_client.ws_connect("/api/v1/socket", headers=operator_headers)
    widget = await visitor(live_client)
    await widget.say("Opening the dialog")
    other_tab = WidgetVisitor(live_client, "acme", token=widget.token)
    await other_tab.connect(last_seq=1)
    acked = [await widget.say(f"Later {n}") for n in range(3)]
    frames: list[Frame] = []
    async with asyncio.timeout(10):
        while len(frames) < 4:
            frame = await operators.receive_json()
            frames += [frame["message"]] if frame["type"] == "message" else []
    at_operators = frames[1:]
    assert [(m["id"], m["seq"], m["text"]) for m in at_operators] == [(m["id"], m["seq"], m["text"]) for m in acked]
    assert {m["conversation_id"] for m in at_operators} == {frames[0]["conversation_id"]}
    in_other_tab = [await next_message(other_tab) for _ in range(3)]
    assert [(m["id"], m["seq"]) for m in in_other_tab] == [(m["id"], m["seq"]) for m in acked]


async def test_an_operator_reply_arrives_live_after_a_typing_indicator(
    live_client: Client, operator_headers: dict[str, str]
) -> None:
    widget = await visitor(live_client)
    hello = await widget.say("Hello")
    conversation = f"/api/v1/conversations/{await conversation_id(live_client, operator_headers)}"
    await live_client.post(f"{conversation}/typing", json={"on": True}, headers=operator_headers)
    typing = await widget.receive(lambda frame: frame["type"] == "typing")
    assert typing["on"] is True and typing["name"] == "Support"
    response = await live_client.post(
        f"{conversation}/messages", json={"text": "Hi! How can I help?"}, headers=operator_headers
    )
    assert response.status == 201
    reply = await next_message(widget)
    assert (reply["author"], reply["text"], reply["seq"]) == (
        "operator",
        "Hi! How can I help?",
        int(str(hello["seq"])) + 1,
    )
    detail = await (await live_client.get(conversation, headers=operator_headers)).json()
    assert [m["status"] for m in detail["messages"]] == ["received", "sent"]
    assert detail["conversation"]["owner"] == "operator"


async def test_internal_notes_never_reach_the_widget(live_client: Client, operator_headers: dict[str, str]) -> None:
    widget = await visitor(live_client)
    await widget.say("Hello")
    conversation = f"/api/v1/conversations/{await conversation_id(live_client, operator_headers)}"
    await live_client.post(f"{conversation}/notes", json={"text": "VIP customer, be nice"}, headers=operator_headers)
    await live_client.post(f"{conversation}/messages", json={"text": "Welcome!"}, headers=operator_headers)
    seen: list[Frame] = []

    def remember(frame: Frame) -> bool:
        seen.append(frame)
        return bool(frame["type"] == "message")

    await widget.receive(remember)
    assert [frame["message"]["text"] for frame in seen if frame["type"] == "message"] == ["Welcome!"]
    assert "VIP" not in str(seen)
    await widget.close()
    again = WidgetVisitor(live_client, "acme", token=widget.token)
    ready = await again.connect(last_seq=0)
    assert [m["text"] for m in ready["messages"]] == ["Hello", "Welcome!"]


async def test_reconnecting_with_the_last_seq_gets_exactly_what_was_missed_in_order(
    live_client: Client, operator_headers: dict[str, str]
) -> None:
    widget = await visitor(live_client)
    hello = await widget.say("Hello")
    await widget.close()
    conversation = f"/api/v1/conversations/{await conversation_id(live_client, operator_headers)}"
    for text in ("One", "Two", "Three"):
        await live_client.post(f"{conversation}/messages", json={"text": text}, headers=operator_headers)
    back = WidgetVisitor(live_client, "acme", token=widget.token)
    ready = await back.connect(last_seq=int(str(hello["seq"])))
    assert [(m["seq"], m["text"]) for m in ready["messages"]] == [(2, "One"), (3, "Two"), (4, "Three")]


async def test_writing_into_a_closed_dialog_reopens_it_as_a_new_episode(
    live_client: Client, operator_headers: dict[str, str]
) -> None:
    widget = await visitor(live_client)
    await widget.say("Hello")
    conversation_path = f"/api/v1/conversations/{await conversation_id(live_client, operator_headers)}"
    await live_client.post(f"{conversation_path}/close", headers=operator_headers)
    await widget.receive(lambda frame: frame["type"] == "conversation" and "'closed'" in str(frame))
    await widget.say("Me again")
    detail = await (await live_client.get(conversation_path, headers=operator_headers)).json()
    assert (detail["conversation"]["status"], detail["conversation"]["episode"]) == ("open", 2)
    assert [m["text"] for m in detail["messages"]] == ["Hello", "Me again"]


async def test_read_receipts_travel_both_ways(live_client: Client, operator_headers: dict[str, str]) -> None:
    operators = await live_client.ws_connect("/api/v1/socket", headers=operator_headers)
    widget = await visitor(live_client)
    hello = await widget.say("Hello")
    conversation = f"/api/v1/conversations/{await conversation_id(live_client, operator_headers)}"
    await live_client.post(f"{conversation}/read", json={"seq": hello["seq"]}, headers=operator_headers)
    read = await widget.receive(lambda frame: frame["type"] == "read")
    assert read["seq"] == hello["seq"]
    await live_client.post(f"{conversation}/messages", json={"text": "Hi"}, headers=operator_headers)
    reply = await next_message(widget)
    assert widget.socket is not None
    await widget.socket.send_json({"type": "read", "seq": reply["seq"]})
    async with asyncio.timeout(10):
        while (frame := await operators.receive_json())["type"] != "read" or frame["by"] != "visitor":
            pass
    assert frame["seq"] == reply["seq"]


async def conversation_id(client: Client, headers: dict[str, str]) -> int:
    listing = await (await client.get("/api/v1/conversations?status=all", headers=headers)).json()
    return int(listing["conversations"][0]["id"])
