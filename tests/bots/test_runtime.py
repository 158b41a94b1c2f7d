"""The bot runtime on real PostgreSQL: the welcome bot greets when the chat opens, buttons pressed or
typed, the email asked and validated, the handoff to Support with a summary; an operator who takes
over silences it; a restart mid-ask resumes; a flow that will not stop talking is handed off."""

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import select, update

from accounts.actors import Actor
from accounts.groups import configure_group, create_group
from accounts.models import Workspace
from bots.service import BotService
from channels.base import ChannelKind, InboundMessage
from conversations.contacts import contact_for_address
from conversations.inbound import receive_message
from conversations.models import Contact, Conversation, Message
from conversations.outbound import reply_as_operator
from conversations.routing import return_to_bot
from core.clock import FrozenClock
from core.db import Database
from core.ids import ContactId, ConversationId
from flows.events import flow_button_id
from flows.samples import welcome_flow
from flows.store import create_flow, publish
from tests.bots import bot_service
from tests.factories import make_actor

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday morning


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def publish_flow(db: Database, admin: Actor, document: Mapping[str, object], name: str = "Welcome") -> None:
    async with db.transaction() as tx:
        flow = await create_flow(tx.session, admin, name, document)
        await publish(tx.session, admin, flow.id, at=T0)


async def workspace_with_welcome_bot(db: Database) -> Actor:
    async with db.transaction() as tx:
        admin = await make_actor(tx.session)
        group = await create_group(tx.session, admin, "Support")
        await configure_group(
            tx.session, admin, group.id, policy="round_robin", requeue_on_offline=True, is_default=True
        )
    await publish_flow(db, admin, welcome_flow("en"))
    return admin


async def visitor(db: Database, admin: Actor, address: str = "visitor-1") -> ContactId:
    async with db.transaction() as tx:
        contact = await contact_for_address(
            tx.session, workspace_id=admin.workspace_id, channel=ChannelKind.WEB, address=address, lock=True
        )
        return contact.id


async def write(
    db: Database, admin: Actor, text: str, key: str, *, button_id: str | None = None, address: str = "visitor-1"
) -> ConversationId:
    async with db.transaction() as tx:
        received = await receive_message(
            tx.session,
            InboundMessage(
                workspace_id=admin.workspace_id,
                channel=ChannelKind.WEB,
                address=address,
                channel_key=f"{address}:{key}",
                text=text,
                occurred_at=T0,
                button_id=button_id,
            ),
        )
        return received.conversation_id


async def bot_messages(db: Database, conversation_id: ConversationId) -> list[Message]:
    async with db.transaction() as tx:
        rows = await tx.session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.author.in_(("bot", "note")))
            .order_by(Message.seq)
        )
        return list(rows)


async def greeted(db: Database, admin: Actor, http: aiohttp.ClientSession) -> tuple[BotService, ConversationId]:
    """A visitor opened the chat and the welcome bot greeted them: the bot and the dialog."""
    bots = bot_service(db, FrozenClock(T0), http)
    conversation_id = await bots.chat_opened(admin.workspace_id, await visitor(db, admin), "web")
    assert conversation_id is not None
    return bots, conversation_id


async def conversation_of(db: Database, conversation_id: ConversationId) -> Conversation:
    async with db.transaction() as tx:
        return await tx.session.get_one(Conversation, conversation_id)


async def test_the_welcome_bot_greets_then_hands_a_visitor_to_support_after_asking_their_email(
    db: Database, http: aiohttp.ClientSession
) -> None:
    admin = await workspace_with_welcome_bot(db)
    contact_id = await visitor(db, admin)
    bots = bot_service(db, FrozenClock(T0), http)

    conversation_id = await bots.chat_opened(admin.workspace_id, contact_id, "web")
    assert conversation_id is not None
    assert (await conversation_of(db, conversation_id)).owner == "bot"
    greeting = await bot_messages(db, conversation_id)
    assert greeting[-1].body == "How can we help?"
    labels = [button["label"] for button in greeting[-1].buttons]
    assert labels == ["Ask a question", "Talk to a person", "Pricing"]
    assert await bots.chat_opened(admin.workspace_id, contact_id, "web") is None  # no second greeting

    person = greeting[-1].buttons[1]
    await write(db, admin, person["label"], "c1", button_id=person["id"])
    await write(db, admin, person["label"], "c2", button_id=person["id"])  # a second click of the same button
    await bots.messages_arrived(conversation_id)
    asked = await bot_messages(db, conversation_id)
    assert asked[-1].body.startswith("What is your email?")
    assert len(asked) == len(greeting) + 1  # the repeated click changed nothing

    await write(db, admin, "not an email", "c3")
    await bots.messages_arrived(conversation_id)
    assert (await bot_messages(db, conversation_id))[-1].body.startswith("That doesn't look like an email")

    await write(db, admin, "ann@example.com", "c4")
    await bots.messages_arrived(conversation_id)
    conversation = await conversation_of(db, conversation_id)
    assert conversation.owner == "queue"
    assert conversation.group_id is not None
    async with db.transaction() as tx:
        contact = await tx.session.get_one(Contact, contact_id)
    assert contact.email == "ann@example.com"
    notes = [message.body for message in await bot_messages(db, conversation_id) if message.author == "note"]
    assert any("ann@example.com" in note and "asked for a person" in note for note in notes)


async def test_a_typed_number_picks_the_button_and_an_operator_silences_the_bot(
    db: Database, http: aiohttp.ClientSession
) -> None:
    admin = await workspace_with_welcome_bot(db)
    bots, conversation_id = await greeted(db, admin, http)

    await write(db, admin, "3", "t1")  # "Pricing"
    await bots.messages_arrived(conversation_id)
    assert (await bot_messages(db, conversation_id))[-1].body.startswith("Start is free")

    async with db.transaction() as tx:
        await reply_as_operator(tx.session, admin, conversation_id, text="Hi, I'm here", at=T0)
    before = len(await bot_messages(db, conversation_id))
    await write(db, admin, "1", "t2")
    await bots.messages_arrived(conversation_id)
    assert len(await bot_messages(db, conversation_id)) == before
    assert (await conversation_of(db, conversation_id)).owner == "operator"


async def test_a_restarted_bot_resumes_the_ask_where_it_was(db: Database, http: aiohttp.ClientSession) -> None:
    admin = await workspace_with_welcome_bot(db)
    contact_id = await visitor(db, admin)
    conversation_id = await bot_service(db, FrozenClock(T0), http).chat_opened(admin.workspace_id, contact_id, "web")
    assert conversation_id is not None
    person = (await bot_messages(db, conversation_id))[-1].buttons[1]
    await write(db, admin, person["label"], "r1", button_id=person["id"])
    await bot_service(db, FrozenClock(T0), http).messages_arrived(conversation_id)

    restarted = bot_service(db, FrozenClock(T0 + timedelta(minutes=1)), http)  # a new process: state from the row
    await write(db, admin, "bob@example.com", "r2")
    await restarted.messages_arrived(conversation_id)
    assert (await conversation_of(db, conversation_id)).owner == "queue"


async def test_new_dialogs_start_with_the_bot_only_while_a_greeting_flow_is_live(
    db: Database, http: aiohttp.ClientSession
) -> None:
    async with db.transaction() as tx:
        admin = await make_actor(tx.session)
    first = await write(db, admin, "hello", "n1", address="early")
    assert (await conversation_of(db, first)).owner == "queue"

    await publish_flow(db, admin, {**welcome_flow("en"), "triggers": [{"type": "first_message"}]})
    second = await write(db, admin, "hello", "n2", address="later")
    assert (await conversation_of(db, second)).owner == "bot"
    await bot_service(db, FrozenClock(T0), http).messages_arrived(second)
    assert (await bot_messages(db, second))[-1].body == "How can we help?"


async def test_a_flow_that_keeps_talking_is_stopped_and_handed_off(db: Database, http: aiohttp.ClientSession) -> None:
    async with db.transaction() as tx:
        admin = await make_actor(tx.session)
    chatter = {
        "schema": 1,
        "start": "a",
        "triggers": [{"type": "chat_opened"}],
        "nodes": [
            {"kind": "message", "id": "a", "text": "one", "next": "w"},
            {"kind": "wait", "id": "w", "seconds": 1, "next": "a"},
        ],
    }
    await publish_flow(db, admin, chatter, name="Chatter")
    contact_id = await visitor(db, admin)
    clock = FrozenClock(T0)
    bots = bot_service(db, clock, http)
    conversation_id = await bots.chat_opened(admin.workspace_id, contact_id, "web")
    assert conversation_id is not None
    for _ in range(12):
        clock.advance(timedelta(seconds=2))
        await bots.fire_due_timers()
    sent = [m for m in await bot_messages(db, conversation_id) if m.author == "bot"]
    assert len(sent) == 10
    assert (await conversation_of(db, conversation_id)).owner == "queue"
    notes = [m.body for m in await bot_messages(db, conversation_id) if m.author == "note"]
    assert any("flow-runaway" in note for note in notes)


async def test_an_operator_gives_the_dialog_back_to_the_bot_and_it_answers_again(
    db: Database, http: aiohttp.ClientSession
) -> None:
    admin = await workspace_with_welcome_bot(db)
    bots, conversation_id = await greeted(db, admin, http)
    async with db.transaction() as tx:
        await reply_as_operator(tx.session, admin, conversation_id, text="Let me help", at=T0)
        await return_to_bot(tx.session, admin, conversation_id)
    assert (await conversation_of(db, conversation_id)).owner == "bot"

    await write(db, admin, "Pricing", "b1")  # the menu is still on offer: the run resumes there
    await bots.messages_arrived(conversation_id)
    assert (await bot_messages(db, conversation_id))[-1].body.startswith("Start is free")


async def test_a_goto_starts_the_other_flow(db: Database, http: aiohttp.ClientSession) -> None:
    async with db.transaction() as tx:
        admin = await make_actor(tx.session)
    second = {
        "schema": 1,
        "start": "hi",
        "triggers": [],
        "nodes": [{"kind": "message", "id": "hi", "text": "This is the second flow."}],
    }
    async with db.transaction() as tx:
        target = await create_flow(tx.session, admin, "Second", second)
        await publish(tx.session, admin, target.id, at=T0)
    first = {
        "schema": 1,
        "start": "jump",
        "triggers": [{"type": "chat_opened"}],
        "nodes": [{"kind": "goto", "id": "jump", "flow_id": target.id}],
    }
    await publish_flow(db, admin, first, name="First")
    contact_id = await visitor(db, admin)
    conversation_id = await bot_service(db, FrozenClock(T0), http).chat_opened(admin.workspace_id, contact_id, "web")
    assert conversation_id is not None
    assert [m.body for m in await bot_messages(db, conversation_id)] == ["This is the second flow."]


async def test_the_sweep_answers_a_message_no_process_answered_and_only_that(
    db: Database, http: aiohttp.ClientSession
) -> None:
    admin = await workspace_with_welcome_bot(db)
    _, conversation_id = await greeted(db, admin, http)
    await write(db, admin, "3", "s1")  # stored, then the process died before the bot answered
    later = bot_service(db, FrozenClock(T0 + timedelta(seconds=10)), http)
    assert await later.sweep_missed() == 1
    assert (await bot_messages(db, conversation_id))[-1].body.startswith("Start is free")
    assert await later.sweep_missed() == 0  # answered: nothing left, though the bot spoke last


async def test_with_no_flow_for_the_message_the_bot_passes_the_dialog_on_in_the_workspaces_language(
    db: Database, http: aiohttp.ClientSession
) -> None:
    async with db.transaction() as tx:
        admin = await make_actor(tx.session)
        await tx.session.execute(
            update(Workspace).where(Workspace.id == admin.workspace_id).values(default_locale="ru")
        )
    pricing_only = {
        "schema": 1,
        "start": "price",
        "triggers": [{"type": "keyword", "keywords": ["цена"]}],
        "nodes": [{"kind": "message", "id": "price", "text": "Тариф Start бесплатный."}],
    }
    await publish_flow(db, admin, pricing_only, name="Цены")
    conversation_id = await write(db, admin, "Здравствуйте", "n1", address="ru-visitor")
    await bot_service(db, FrozenClock(T0), http).messages_arrived(conversation_id)
    assert (await conversation_of(db, conversation_id)).owner == "queue"
    notes = [m.body for m in await bot_messages(db, conversation_id) if m.author == "note"]
    assert notes == ["У бота нет сценария для этого сообщения, и он передал диалог дальше."]


async def test_a_flow_button_pressed_outside_any_run_starts_that_flow(
    db: Database, http: aiohttp.ClientSession
) -> None:
    admin = await workspace_with_welcome_bot(db)
    promo = {
        "schema": 1,
        "start": "hi",
        "triggers": [],
        "nodes": [{"kind": "message", "id": "hi", "text": "Here is the spring offer."}],
    }
    async with db.transaction() as tx:
        target = await create_flow(tx.session, admin, "Spring offer", promo)
        await publish(tx.session, admin, target.id, at=T0)
    bots, conversation_id = await greeted(db, admin, http)
    await write(db, admin, "Show me", "press-1", button_id=flow_button_id(target.id))
    await bots.messages_arrived(conversation_id)
    assert [m.body for m in await bot_messages(db, conversation_id)][-1] == "Here is the spring offer."

    # A button naming a flow that is not published (any more) leaves the press to the operators.
    await write(db, admin, "Old offer", "press-2", button_id=flow_button_id(target.id + 1000))
    await bots.messages_arrived(conversation_id)
    assert (await conversation_of(db, conversation_id)).owner == "queue"
