"""The AI bot in a dialog, on real PostgreSQL with the hashing embedder: the welcome bot's typed
question answered from the knowledge base with a link and verdict buttons, metered once per
episode; weak evidence, a request for a person and a failing model hand off honestly; "not helpful"
offers a person; the setting "answer the first message directly"; with a model endpoint (the fake
OpenAI server) the answer is generated from the sources and checked."""

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import func, select, update

from accounts.actors import Actor
from billing.models import UsageRecord
from bots.ai.models import AIAnswer
from bots.ai.settings import SettingsUpdate, save_ai_settings
from bots.service import BotService
from conversations.models import Conversation, Message
from core.clock import FrozenClock
from core.db import Database
from core.ids import ArticleId, ConversationId
from flows.events import AI_HELPFUL_BUTTON, AI_PERSON_BUTTON, AI_UNHELPFUL_BUTTON
from knowledge_base.articles import create_article, delete_article, publish_article
from knowledge_base.indexing import index_article
from knowledge_base.validation import Locale, Visibility
from tests.bots import BOX, PUBLIC_URL, bot_service
from tests.bots.test_runtime import T0, bot_messages, greeted, workspace_with_welcome_bot, write
from tests.factories import make_actor
from tests.fakes.embedders import HashingEmbedder
from tests.fakes.openai_server import FakeOpenAI

REFUNDS = (
    "Refunds",
    "You can get a refund within 14 days of payment. Write to billing@example.com and we return the money "
    "to your card within five working days. After 14 days we do not refund, but you can cancel the plan.",
)
WIDGET = (
    "Installing the widget",
    "Paste the widget script before the closing body tag of your site. The chat button appears at once.",
)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def knowledge(
    db: Database, admin: Actor, *articles: tuple[str, str], visibility: Visibility = Visibility.PUBLIC
) -> list[ArticleId]:
    ids = []
    async with db.transaction() as tx:
        for title, body in articles:
            article = await create_article(
                tx.session,
                admin,
                title=title,
                body=body,
                locale=Locale.EN,
                visibility=visibility,
                category_id=None,
                at=T0,
            )
            await publish_article(tx.session, admin, article.id, at=T0)
            await index_article(tx.session, article.id, HashingEmbedder())
            ids.append(article.id)
        # The hashing embedder's cosines are lower than e5's: the gate is set for it.
        await save_ai_settings(tx.session, admin.workspace_id, SettingsUpdate(threshold=0.15), BOX, at=T0)
    return ids


async def ask(
    db: Database, admin: Actor, bots: BotService, text: str, key: str, *, button_id: str | None = None
) -> ConversationId:
    conversation_id = await write(db, admin, text, key, button_id=button_id)
    await bots.messages_arrived(conversation_id)
    return conversation_id


async def questions_metered(db: Database, admin: Actor) -> int:
    async with db.transaction() as tx:
        count = await tx.session.scalar(
            select(func.count()).where(
                UsageRecord.workspace_id == admin.workspace_id, UsageRecord.metric == "ai_question"
            )
        )
    return int(count or 0)


async def answers(db: Database, conversation_id: ConversationId) -> list[AIAnswer]:
    async with db.transaction() as tx:
        rows = await tx.session.scalars(
            select(AIAnswer).where(AIAnswer.conversation_id == conversation_id).order_by(AIAnswer.id)
        )
        return list(rows)


async def owner(db: Database, conversation_id: ConversationId) -> str:
    async with db.transaction() as tx:
        return str(await tx.session.scalar(select(Conversation.owner).where(Conversation.id == conversation_id)))


async def test_a_typed_question_is_answered_from_the_article_with_a_link_and_metered_once(
    db: Database, http: aiohttp.ClientSession
) -> None:
    admin = await workspace_with_welcome_bot(db)
    await knowledge(db, admin, REFUNDS, WIDGET)
    bots, conversation_id = await greeted(db, admin, http)
    await ask(db, admin, bots, "How do I get a refund?", "q1")
    answer = (await bot_messages(db, conversation_id))[-1]
    assert "refund within 14 days" in answer.body
    assert f"{PUBLIC_URL}/help/{admin.workspace_slug}/articles/refunds" in answer.body
    assert [button["id"] for button in answer.buttons] == [AI_HELPFUL_BUTTON, AI_UNHELPFUL_BUTTON]
    assert await owner(db, conversation_id) == "bot"
    await ask(db, admin, bots, "Where do I paste the widget script?", "q2")
    assert "closing body tag" in (await bot_messages(db, conversation_id))[-1].body
    rows = await answers(db, conversation_id)
    assert [row.decision for row in rows] == ["answer", "answer"] and rows[0].mode == "extractive"
    assert rows[0].sources[0]["title"] == "Refunds" and rows[0].question_embedding is not None
    assert await questions_metered(db, admin) == 1  # one episode, one question


async def test_weak_evidence_hands_off_honestly_with_a_summary_for_the_operator(
    db: Database, http: aiohttp.ClientSession
) -> None:
    admin = await workspace_with_welcome_bot(db)
    await knowledge(db, admin, REFUNDS)
    bots, conversation_id = await greeted(db, admin, http)
    await ask(db, admin, bots, "Will it snow on Mars tomorrow evening?", "q1")
    said = await bot_messages(db, conversation_id)
    bot_lines = [message.body for message in said if message.author == "bot"]
    notes = [message.body for message in said if message.author == "note"]
    assert "I can't answer that from our help articles" in bot_lines[-1]
    assert any("Will it snow on Mars" in note for note in notes)
    assert await owner(db, conversation_id) == "queue"
    assert [(row.decision, row.reason) for row in await answers(db, conversation_id)] == [("handoff", "weak-evidence")]
    assert await questions_metered(db, admin) == 1  # the AI bot looked: it took part


async def test_asking_for_a_person_hands_off_at_once_and_is_not_metered(
    db: Database, http: aiohttp.ClientSession
) -> None:
    admin = await workspace_with_welcome_bot(db)
    await knowledge(db, admin, REFUNDS)
    bots, conversation_id = await greeted(db, admin, http)
    await ask(db, admin, bots, "Позовите оператора, пожалуйста", "q1")
    bot_lines = [message.body for message in await bot_messages(db, conversation_id) if message.author == "bot"]
    assert bot_lines[-1] == "Конечно, передаю разговор коллеге."  # in the visitor's language
    assert await owner(db, conversation_id) == "queue"
    assert await questions_metered(db, admin) == 0


async def test_not_helpful_offers_a_person_and_the_button_hands_off(db: Database, http: aiohttp.ClientSession) -> None:
    admin = await workspace_with_welcome_bot(db)
    await knowledge(db, admin, REFUNDS)
    bots, conversation_id = await greeted(db, admin, http)
    await ask(db, admin, bots, "How do I get a refund?", "q1")
    await ask(db, admin, bots, "👎 Not helpful", "q2", button_id=AI_UNHELPFUL_BUTTON)
    offer = (await bot_messages(db, conversation_id))[-1]
    assert "talk to a person" in offer.body and [button["id"] for button in offer.buttons] == [AI_PERSON_BUTTON]
    assert (await answers(db, conversation_id))[0].helpful is False
    await ask(db, admin, bots, "Talk to a person", "q3", button_id=AI_PERSON_BUTTON)
    assert await owner(db, conversation_id) == "queue"
    notes = [message.body for message in await bot_messages(db, conversation_id) if message.author == "note"]
    assert any("asked for a person after the AI bot's answer" in note for note in notes)


async def test_helpful_is_recorded_and_thanked(db: Database, http: aiohttp.ClientSession) -> None:
    admin = await workspace_with_welcome_bot(db)
    await knowledge(db, admin, REFUNDS)
    bots, conversation_id = await greeted(db, admin, http)
    await ask(db, admin, bots, "How do I get a refund?", "q1")
    await ask(db, admin, bots, "👍 Helpful", "q2", button_id=AI_HELPFUL_BUTTON)
    assert (await bot_messages(db, conversation_id))[-1].body == "Glad it helped!"
    assert (await answers(db, conversation_id))[0].helpful is True
    assert await owner(db, conversation_id) == "bot"


async def test_a_bot_only_article_is_used_but_never_linked(db: Database, http: aiohttp.ClientSession) -> None:
    admin = await workspace_with_welcome_bot(db)
    await knowledge(db, admin, REFUNDS, visibility=Visibility.BOT_ONLY)
    bots, conversation_id = await greeted(db, admin, http)
    await ask(db, admin, bots, "How do I get a refund?", "q1")
    answer = (await bot_messages(db, conversation_id))[-1]
    assert "refund within 14 days" in answer.body and "/help/" not in answer.body


async def test_an_internal_or_deleted_article_is_never_used(db: Database, http: aiohttp.ClientSession) -> None:
    admin = await workspace_with_welcome_bot(db)
    [internal] = await knowledge(db, admin, REFUNDS, visibility=Visibility.INTERNAL)
    [public] = await knowledge(db, admin, ("Refunds policy", REFUNDS[1]))
    async with db.transaction() as tx:
        await delete_article(tx.session, admin, public)
    bots, conversation_id = await greeted(db, admin, http)
    await ask(db, admin, bots, "How do I get a refund?", "q1")
    assert [row.reason for row in await answers(db, conversation_id)] == ["weak-evidence"]
    assert internal


async def test_answering_the_first_message_directly_and_a_new_question_after_the_gap(
    db: Database, http: aiohttp.ClientSession
) -> None:
    async with db.transaction() as tx:
        admin = await make_actor(tx.session)
    await knowledge(db, admin, REFUNDS)
    async with db.transaction() as tx:
        await save_ai_settings(tx.session, admin.workspace_id, SettingsUpdate(answers_first_message=True), BOX, at=T0)
    bots = bot_service(db, FrozenClock(T0), http)
    conversation_id = await ask(db, admin, bots, "How do I get a refund?", "q1")
    assert "refund within 14 days" in (await bot_messages(db, conversation_id))[-1].body
    # Closed, then the visitor writes again soon: the same question for billing.
    await close(db, conversation_id)
    await ask(db, admin, bots, "And after 14 days?", "q2")
    assert await questions_metered(db, admin) == 1
    # Closed again, and back two hours later: a new question.
    await close(db, conversation_id)
    async with db.transaction() as tx:
        await tx.session.execute(
            update(Message)
            .where(Message.conversation_id == conversation_id)
            .values(created_at=func.now() - timedelta(hours=2))
        )
    await ask(db, admin, bots, "How do I get a refund once more?", "q3")
    assert await questions_metered(db, admin) == 2
    assert len([row for row in await answers(db, conversation_id) if row.decision == "answer"]) == 3


async def close(db: Database, conversation_id: ConversationId) -> None:
    async with db.transaction() as tx:
        await tx.session.execute(
            update(Conversation).where(Conversation.id == conversation_id).values(status="closed", closed_at=func.now())
        )


async def test_a_generated_answer_cites_its_source_and_a_failing_model_hands_off(
    db: Database, http: aiohttp.ClientSession
) -> None:
    admin = await workspace_with_welcome_bot(db)
    await knowledge(db, admin, REFUNDS)
    async with FakeOpenAI() as fake, db.transaction() as tx:
        update_ = SettingsUpdate(base_url=fake.base_url, model="gpt-test", api_key="sk-test", bot_name="Ada")
        await save_ai_settings(tx.session, admin.workspace_id, update_, BOX, at=T0)
    async with FakeOpenAI() as fake:
        async with db.transaction() as tx:
            await save_ai_settings(tx.session, admin.workspace_id, SettingsUpdate(base_url=fake.base_url), BOX, at=T0)
        fake.script_reply("Refunds are possible within 14 days of payment [1].")
        bots, conversation_id = await greeted(db, admin, http)
        await ask(db, admin, bots, "How do I get a refund?", "q1")
        answer = (await bot_messages(db, conversation_id))[-1]
        assert answer.body.startswith("Refunds are possible within 14 days of payment.")
        assert "[1]" not in answer.body and "/articles/refunds" in answer.body
        system = json.dumps(fake.requests[-1].body)
        assert "You are Ada" in system and "billing@example.com" in system
        assert fake.requests[-1].headers["authorization"] == "Bearer sk-test"
        for _ in range(10):
            fake.script_error(503)
        await ask(db, admin, bots, "And how long does the money take?", "q2")
        bot_lines = [message.body for message in await bot_messages(db, conversation_id) if message.author == "bot"]
        assert bot_lines[-1].startswith("I can't answer right now")
        rows = await answers(db, conversation_id)
        assert [(row.mode, row.reason) for row in rows] == [("generative", None), ("generative", "ai-error")]
        assert await owner(db, conversation_id) == "queue"
        await bots.ai.stop()
