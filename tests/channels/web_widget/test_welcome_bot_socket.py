"""The welcome bot over the widget's socket: `open` starts it once (repeated opens change nothing),
a pressed button is answered at once in the visitor's socket, and a typed number works the same."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from accounts.roles import Role
from conversations.models import Conversation, Message
from core.db import Database
from flows.samples import welcome_flow
from flows.store import create_flow, publish
from tests.channels.web_widget.widget_client import WidgetVisitor, next_message
from tests.factories import Client, make_actor, make_workspace


async def test_open_greets_once_and_buttons_are_answered_at_once(live_client: Client, committed_db: Database) -> None:
    async with committed_db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        admin = await make_actor(tx.session, role=Role.ADMIN, workspace=workspace)
        flow = await create_flow(tx.session, admin, "Welcome", welcome_flow("en"))
        await publish(tx.session, admin, flow.id, at=datetime.now(UTC))
    widget = WidgetVisitor(live_client, "acme")
    await widget.start_session()
    await widget.connect()
    assert widget.socket is not None
    for _ in range(12):  # a widget opened and closed in a hurry, or a script
        await widget.socket.send_json({"type": "open"})
    greeting = await next_message(widget)
    assert (greeting["author"], greeting["text"]) == ("bot", "How can we help?")
    pricing = next(button for button in greeting["buttons"] if button["label"] == "Pricing")

    await widget.socket.send_json(
        {"type": "message", "client_id": "press-pricing-1", "text": "Pricing", "button_id": pricing["id"]}
    )
    answer = await widget.receive(lambda frame: frame["type"] == "message" and frame["message"]["author"] == "bot")
    assert answer["message"]["text"].startswith("Start is free")
    assert [button["label"] for button in answer["message"]["buttons"]] == ["Ask a question", "Talk to a person"]

    await widget.say("2")  # typed instead of pressed: "Talk to a person"
    asked = await next_message(widget)
    assert asked["text"].startswith("What is your email?")
    async with committed_db.transaction() as tx:
        conversations = await tx.session.scalar(select(func.count()).select_from(Conversation))
        greetings = await tx.session.scalar(
            select(func.count()).select_from(Message).where(Message.body == "How can we help?")
        )
    assert (conversations, greetings) == (1, 1)
    await widget.close()
