"""Flow webhooks against a real HTTP server on loopback (allowed only when the workspace allows
private addresses; a slow one takes the error branch and the dialog moves on), and a wait timer
raced by two bot services on two engines (as two processes would be): it fires once."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from accounts.actors import Actor
from accounts.models import Workspace
from bots.service import BotService
from conversations.models import Message
from core.clock import FrozenClock
from core.db import Database, create_engine
from core.ids import ConversationId
from tests.bots import bot_service
from tests.bots.test_runtime import publish_flow, visitor
from tests.factories import make_actor

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def crm() -> AsyncIterator[TestServer]:
    """A CRM on loopback: /order answers JSON, /slow never in time, /broken with 500."""

    async def order(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"data": {"status": "paid", "echo": body.get("email")}})

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response({})

    async def broken(request: web.Request) -> web.Response:
        return web.json_response({"error": "down"}, status=500)

    app = web.Application()
    app.router.add_post("/order", order)
    app.router.add_post("/slow", slow)
    app.router.add_post("/broken", broken)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


def webhook_flow(url: str, timeout: float = 2) -> dict[str, object]:
    return {
        "schema": 1,
        "start": "call",
        "triggers": [{"type": "chat_opened"}],
        "nodes": [
            {
                "kind": "webhook",
                "id": "call",
                "url": url,
                "body": {"email": "ann@example.com"},
                "timeout_seconds": timeout,
                "save": {"status": "data.status"},
                "next": "ok",
                "on_error": "sorry",
            },
            {"kind": "message", "id": "ok", "text": "Your order is {{ vars.status }}."},
            {"kind": "message", "id": "sorry", "text": "We could not check your order."},
        ],
    }


async def greet(db: Database, admin: Actor, bots: BotService, address: str = "visitor-1") -> ConversationId:
    contact_id = await visitor(db, admin, address)
    conversation_id = await bots.chat_opened(admin.workspace_id, contact_id, "web")
    assert conversation_id is not None
    return conversation_id


async def bot_texts(db: Database, conversation_id: ConversationId) -> list[str]:
    async with db.transaction() as tx:
        rows = await tx.session.scalars(
            select(Message.body)
            .where(Message.conversation_id == conversation_id, Message.author == "bot")
            .order_by(Message.seq)
        )
        return list(rows)


async def allow_private(db: Database, admin: Actor) -> None:
    async with db.transaction() as tx:
        await tx.session.execute(
            update(Workspace).where(Workspace.id == admin.workspace_id).values(allow_private_webhooks=True)
        )


async def test_a_webhook_answer_is_mapped_into_the_next_message(
    db: Database, http: aiohttp.ClientSession, crm: TestServer
) -> None:
    async with db.transaction() as tx:
        admin = await make_actor(tx.session)
    await allow_private(db, admin)
    await publish_flow(db, admin, webhook_flow(str(crm.make_url("/order"))))
    conversation_id = await greet(db, admin, bot_service(db, FrozenClock(T0), http))
    assert await bot_texts(db, conversation_id) == ["Your order is paid."]


async def test_a_private_address_is_refused_unless_the_workspace_allows_it(
    db: Database, http: aiohttp.ClientSession, crm: TestServer
) -> None:
    async with db.transaction() as tx:
        admin = await make_actor(tx.session)
    await publish_flow(db, admin, webhook_flow(str(crm.make_url("/order"))))
    conversation_id = await greet(db, admin, bot_service(db, FrozenClock(T0), http))
    assert await bot_texts(db, conversation_id) == ["We could not check your order."]


@pytest.mark.parametrize("path", ["/slow", "/broken"])
async def test_a_slow_or_failing_webhook_takes_the_error_branch(
    db: Database, http: aiohttp.ClientSession, crm: TestServer, path: str
) -> None:
    async with db.transaction() as tx:
        admin = await make_actor(tx.session)
    await allow_private(db, admin)
    await publish_flow(db, admin, webhook_flow(str(crm.make_url(path)), timeout=0.5))
    conversation_id = await greet(db, admin, bot_service(db, FrozenClock(T0), http))
    assert await bot_texts(db, conversation_id) == ["We could not check your order."]


WAIT_FLOW = {
    "schema": 1,
    "start": "hello",
    "triggers": [{"type": "chat_opened"}],
    "nodes": [
        {"kind": "message", "id": "hello", "text": "Hello!", "next": "pause"},
        {"kind": "wait", "id": "pause", "seconds": 60, "next": "later"},
        {"kind": "message", "id": "later", "text": "Still there?"},
    ],
}


@pytest.fixture
async def second_engine(committed_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(committed_url, pool_size=2)
    yield engine
    await engine.dispose()


async def test_two_processes_fire_a_wait_timer_once(
    committed_db: Database, second_engine: AsyncEngine, http: aiohttp.ClientSession
) -> None:
    async with committed_db.transaction() as tx:
        admin = await make_actor(tx.session)
    await publish_flow(committed_db, admin, WAIT_FLOW)
    clock = FrozenClock(T0)
    first = bot_service(committed_db, clock, http)
    second = bot_service(Database.from_engine(second_engine), clock, http)
    conversations = [await greet(committed_db, admin, first, address=f"v{n}") for n in range(10)]
    assert await first.fire_due_timers() == 0  # not yet

    clock.advance(timedelta(seconds=61))
    fired = await asyncio.gather(first.fire_due_timers(), second.fire_due_timers())
    assert sum(fired) == 10
    for conversation_id in conversations:
        assert await bot_texts(committed_db, conversation_id) == ["Hello!", "Still there?"]
    async with committed_db.transaction() as tx:
        total = await tx.session.scalar(select(func.count()).select_from(Message).where(Message.body == "Still there?"))
    assert total == 10
