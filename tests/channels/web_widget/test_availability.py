"""The widget socket tells a visitor waiting in the queue that nobody can answer now — nobody online,
or outside working hours and when they are back, in the visitor's language — and takes their email
(`availability`, `leave_email`, `email_saved`; docs/widget-protocol.md). Real socket, committing
database, a frozen clock."""

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select

from accounts.actors import Actor
from accounts.api_keys import issue_api_key
from accounts.presence import Presence, set_presence
from accounts.roles import Role
from accounts.working_hours import parse_hours
from accounts.workspaces import set_working_hours
from conversations.models import Contact, Conversation
from core.app import build_app
from core.clock import FrozenClock
from core.config import DatabaseSettings
from core.db import Database
from core.keys import hub_key
from tests.channels.web_widget.widget_client import Frame, WidgetVisitor
from tests.factories import Client, make_actor, make_settings, make_workspace

FRIDAY_EVENING = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # 19:00 in Moscow
OFFICE = {
    "timezone": "Europe/Moscow",
    "days": {day: [{"opens": "09:00", "closes": "18:00"}] for day in ("mon", "tue", "wed", "thu", "fri")},
}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(FRIDAY_EVENING)


@pytest.fixture
async def client(
    committed_db: Database, committed_url: str, tmp_path: Path, aiohttp_client: AiohttpClient, clock: FrozenClock
) -> Client:
    settings = make_settings(database=DatabaseSettings(url=committed_url), data_dir=tmp_path)
    app = build_app(settings, database=committed_db, clock=clock)
    client = await aiohttp_client(app)
    await asyncio.wait_for(app[hub_key].connected.wait(), timeout=10)
    return client


@pytest.fixture
async def admin(committed_db: Database) -> Actor:
    """The only operator of workspace acme: offline until a test says otherwise."""
    async with committed_db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        return await make_actor(tx.session, workspace=workspace)


async def go_online(db: Database, operator: Actor) -> None:
    async with db.transaction() as tx:
        await set_presence(tx.session, operator, Presence.ONLINE, now=FRIDAY_EVENING)


async def visitor(client: Client, language: str = "en-US") -> WidgetVisitor:
    widget = WidgetVisitor(client, "acme")
    await widget.start_session(language=language)
    await widget.connect()
    return widget


def availability(frame: Frame) -> bool:
    return bool(frame["type"] == "availability")


async def frames_until_pong(widget: WidgetVisitor) -> list[Frame]:
    """Everything the server sends before it answers a ping: what it had to say until now."""
    assert widget.socket is not None
    await widget.socket.send_json({"type": "ping"})
    seen: list[Frame] = []

    def remember_until_pong(frame: Frame) -> bool:
        seen.append(frame)
        return bool(frame["type"] == "pong")

    await widget.receive(remember_until_pong)
    return seen[:-1]


async def say_and_hear_availability(widget: WidgetVisitor, text: str) -> Frame:
    """The first `availability` frame from the moment `text` is sent: a conversation event (the widget
    hears those on two topics, so sometimes late and twice) may have the socket look before the ack."""
    client_id = await widget.send(text)
    heard: list[Frame] = []

    def remember_until_ack(frame: Frame) -> bool:
        heard.append(frame)
        return bool(frame["type"] == "ack" and frame["client_id"] == client_id)

    await widget.receive(remember_until_ack)
    told = [frame for frame in heard if availability(frame)]
    return told[0] if told else await widget.receive(availability)


async def the_contact(db: Database) -> Contact:
    async with db.transaction() as tx:
        return (await tx.session.execute(select(Contact))).scalar_one()


async def test_with_nobody_online_the_visitor_is_told_and_leaves_an_email(
    client: Client, committed_db: Database, admin: Actor
) -> None:
    widget = await visitor(client)
    await widget.say("Hello?")
    told = await widget.receive(availability)
    assert told == {
        "type": "availability",
        "notice": "busy",
        "online": False,
        "within_hours": True,
        "back_at": None,
        "when": None,
        "needs_email": True,
    }
    assert widget.socket is not None
    await widget.socket.send_json({"type": "leave_email", "email": "ann at example"})
    refused = await widget.receive(lambda frame: frame["type"] in ("error", "email_saved"))
    assert (refused["type"], refused["code"]) == ("error", "invalid_email")
    assert refused["message"] == "Enter a valid email address."
    assert (await the_contact(committed_db)).email is None

    await widget.socket.send_json({"type": "leave_email", "email": " Ann@Example.com "})
    saved = await widget.receive(lambda frame: frame["type"] in ("error", "email_saved"))
    assert saved == {"type": "email_saved", "email": "ann@example.com"}
    assert (await the_contact(committed_db)).email == "ann@example.com"
    async with committed_db.transaction() as tx:
        conversation = (await tx.session.execute(select(Conversation))).scalar_one()
    assert (conversation.owner, conversation.status) == ("queue", "open")  # still waiting for an operator

    # Within half a minute of the last look, more messages cost no look-up and say nothing new.
    await widget.say("Anyone?")
    assert [frame for frame in await frames_until_pong(widget) if availability(frame)] == []
    # A new connection (another tab, a reload) hears it at once, and no longer asks for the email.
    again = WidgetVisitor(client, "acme", token=widget.token)
    await again.connect()
    reconnected = await again.receive(availability)
    assert (reconnected["notice"], reconnected["needs_email"]) == ("busy", False)


async def test_outside_working_hours_the_visitor_learns_when_they_are_back_in_their_language(
    client: Client, committed_db: Database, admin: Actor
) -> None:
    async with committed_db.transaction() as tx:
        await set_working_hours(tx.session, admin, parse_hours(OFFICE))
    await go_online(committed_db, admin)  # online, but it is Friday 19:00 in Moscow
    russian = await visitor(client, "ru-RU,ru;q=0.9")
    await russian.say("Здравствуйте")
    told = await russian.receive(availability)
    assert (told["notice"], told["online"], told["within_hours"]) == ("away", True, False)
    assert told["back_at"] == "2026-11-23T06:00:00+00:00"
    assert told["when"] == "23 ноября в 09:00"
    english = await visitor(client)
    await english.say("Hello")
    assert re.fullmatch(r"on November 23 at 9:00\sAM", (await english.receive(availability))["when"])


async def test_with_an_operator_online_within_hours_nothing_is_said(
    client: Client, committed_db: Database, admin: Actor
) -> None:
    await go_online(committed_db, admin)
    widget = await visitor(client)
    await widget.say("Hello")
    assert [frame for frame in await frames_until_pong(widget) if availability(frame)] == []


async def test_the_notice_goes_when_someone_can_answer_or_the_dialog_is_closed(
    client: Client, committed_db: Database, admin: Actor, clock: FrozenClock
) -> None:
    widget = await visitor(client)
    await widget.say("Hello?")
    assert (await widget.receive(availability))["notice"] == "busy"
    await go_online(committed_db, admin)
    clock.advance(timedelta(seconds=31))
    cleared = await say_and_hear_availability(widget, "Still there?")
    assert (cleared["notice"], cleared["online"]) == (None, True)

    async with committed_db.transaction() as tx:
        await set_presence(tx.session, admin, Presence.OFFLINE, now=FRIDAY_EVENING)
        key = await issue_api_key(
            tx.session, workspace_id=admin.workspace_id, name="t", role=Role.ADMIN, created_by=None
        )
        conversation_id = await tx.session.scalar(select(Conversation.id))
    clock.advance(timedelta(seconds=31))
    assert (await say_and_hear_availability(widget, "Hello again?"))["notice"] == "busy"
    closed = await client.post(
        f"/api/v1/conversations/{conversation_id}/close", headers={"Authorization": f"Bearer {key.key}"}
    )
    assert closed.status == 200, await closed.text()
    after_close = await widget.receive(availability)
    assert after_close["notice"] is None  # a closed dialog waits for nobody
