"""The AI bot over the widget's socket, answering in tasks as the server does: a generated answer
streams to the visitor as `draft` frames, then arrives whole as one stored message (drafts are
never stored); an extractive answer arrives as one message with its link."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.pytest_plugin import AiohttpClient
from sqlalchemy import func, select

from accounts.roles import Role
from bots.ai.settings import SettingsUpdate, save_ai_settings
from conversations.models import Message
from core.app import build_app
from core.config import DatabaseSettings
from core.crypto import SecretBox
from core.db import Database
from core.keys import hub_key
from flows.samples import welcome_flow
from flows.store import create_flow, publish
from knowledge_base.articles import create_article, publish_article
from knowledge_base.indexing import index_article
from knowledge_base.validation import Locale, Visibility
from tests.channels.web_widget.widget_client import Frame, WidgetVisitor, next_message
from tests.factories import Client, make_actor, make_settings, make_workspace
from tests.fakes.embedders import HashingEmbedder
from tests.fakes.openai_server import FakeOpenAI

ANSWER = "You can get a refund within 14 days of payment, and the money returns to your card in five days [1]."


@pytest.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def client(committed_db: Database, committed_url: str, tmp_path: Path, aiohttp_client: AiohttpClient) -> Client:
    settings = make_settings(database=DatabaseSettings(url=committed_url), data_dir=tmp_path)
    app: web.Application = build_app(settings, database=committed_db, embedder=HashingEmbedder(), ai_in_tasks=True)
    test_client = await aiohttp_client(app)
    await app[hub_key].connected.wait()
    return test_client


async def acme_with_refunds(db: Database, *, welcome: bool = True, **ai: object) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        admin = await make_actor(tx.session, role=Role.ADMIN, workspace=workspace)
        if welcome:
            flow = await create_flow(tx.session, admin, "Welcome", welcome_flow("en"))
            await publish(tx.session, admin, flow.id, at=datetime.now(UTC))
        body = "You can get a refund within 14 days of payment. The money returns to your card in five days."
        article = await create_article(
            tx.session,
            admin,
            title="Refunds",
            body=body,
            locale=Locale.EN,
            visibility=Visibility.PUBLIC,
            category_id=None,
            at=datetime.now(UTC),
        )
        await publish_article(tx.session, admin, article.id, at=datetime.now(UTC))
        await index_article(tx.session, article.id, HashingEmbedder())
        update = SettingsUpdate(threshold=0.15, **ai)  # type: ignore[arg-type]
        await save_ai_settings(tx.session, workspace.id, update, SecretBox("test-secret-key"), at=datetime.now(UTC))


async def greeted_visitor(client: Client) -> WidgetVisitor:
    widget = WidgetVisitor(client, "acme")
    await widget.start_session()
    await widget.connect()
    assert widget.socket is not None
    await widget.socket.send_json({"type": "open"})
    await next_message(widget)  # "How can we help?"
    return widget


async def test_a_generated_answer_streams_as_drafts_then_arrives_whole(
    client: Client, committed_db: Database, fake_openai: FakeOpenAI
) -> None:
    await acme_with_refunds(committed_db, base_url=fake_openai.base_url, model="gpt-test", api_key="sk")
    fake_openai.script_reply(ANSWER)
    widget = await greeted_visitor(client)
    await widget.say("How do I get a refund?")
    drafts: list[Frame] = []
    frame = await widget.receive(
        lambda f: f["type"] == "draft" or (f["type"] == "message" and f["message"]["author"] == "bot")
    )
    while frame["type"] == "draft":
        drafts.append(frame)
        frame = await widget.receive(lambda f: f["type"] in ("draft", "message"))
    answer = frame["message"]
    assert answer["text"].startswith(ANSWER.removesuffix(" [1]."))
    assert "/help/acme/articles/refunds" in answer["text"]
    assert drafts, "the answer streamed"
    assert all(ANSWER.startswith(draft["text"]) and "[1" not in draft["text"] for draft in drafts)
    async with committed_db.transaction() as tx:
        bot_messages = await tx.session.scalar(select(func.count()).where(Message.author == "bot"))
    assert bot_messages == 2  # the greeting and the answer: no draft was stored
    await widget.close()


async def test_without_a_model_the_best_passage_is_the_answer(client: Client, committed_db: Database) -> None:
    await acme_with_refunds(committed_db)
    widget = await greeted_visitor(client)
    await widget.say("How do I get a refund?")
    answer = await widget.receive(lambda f: f["type"] == "message" and f["message"]["author"] == "bot")
    text = answer["message"]["text"]
    assert text.startswith("You can get a refund within 14 days of payment.")
    assert [button["id"] for button in answer["message"]["buttons"]] == ["ai:helpful", "ai:unhelpful"]
    await widget.close()


async def test_the_first_message_answered_directly_over_the_socket(client: Client, committed_db: Database) -> None:
    await acme_with_refunds(committed_db, welcome=False, answers_first_message=True)
    widget = WidgetVisitor(client, "acme")
    await widget.start_session()
    await widget.connect()
    await widget.say("How do I get a refund?")
    answer = await widget.receive(lambda f: f["type"] == "message" and f["message"]["author"] == "bot")
    assert answer["message"]["text"].startswith("You can get a refund within 14 days")
    await widget.say("And how long does the money take?")
    again = await widget.receive(lambda f: f["type"] == "message" and f["message"]["author"] == "bot")
    assert "five days" in again["message"]["text"]
    await widget.close()
