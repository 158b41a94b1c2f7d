"""The Inbox's knowledge panel in a real Chromium against the real server (its default embedder): a
visitor asks about a refund; the operator opens the dialog and Knowledge, whose search starts with
the visitor's words; reads an internal article (no public link to give), searches again, opens a
public one, inserts its text and then its help-center link into the composer and sends the link,
which the visitor's widget shows and the database holds."""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.async_api import Error, expect
from sqlalchemy import select

from accounts.roles import Role
from conversations.models import Message
from core.db import Database
from knowledge_base.articles import create_article, publish_article
from knowledge_base.indexing import index_article
from knowledge_base.validation import Locale, Visibility
from tests.factories import make_actor, make_operator, make_workspace
from tests.fakes.embedders import HashingEmbedder
from tests.journeys.conftest import NewContext
from tests.journeys.test_admin_journeys import SCREENSHOTS
from tests.journeys.test_inbox_journeys import history, open_inbox, visitor_writes, widget_messages

REALTIME = True  # the app with its realtime hub: the reply reaches the widget live (conftest)

QUESTION = "Can I get a refund for my gift card?"
ARTICLES = (
    ("Refunds", "Money back within **14 days** of delivery.\n\n- Open *Orders*\n- Press *Refund*", Visibility.PUBLIC),
    ("Gift card refunds", "Gift cards are never refunded. Escalate to billing.", Visibility.INTERNAL),
)


async def seed(db: Database) -> None:
    """Demo with Olga (admin) and two published articles, indexed here with the instant fake
    embedder: the server embeds queries with its own model, whose dense leg does not see these
    chunks, so the lexical leg finds them (knowledge_base/search.py) and no passage waits for a model."""
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="demo", name="Demo")
        await make_operator(tx.session, workspace=workspace, role=Role.ADMIN, email="olga@demo.test")
        editor = await make_actor(tx.session, role=Role.EDITOR, workspace=workspace)
        at = datetime.now(UTC)
        for title, body, visibility in ARTICLES:
            article = await create_article(
                tx.session,
                editor,
                title=title,
                body=body,
                locale=Locale.EN,
                visibility=visibility,
                category_id=None,
                at=at,
            )
            await tx.session.flush()
            await publish_article(tx.session, editor, article.id, at=at)
            await index_article(tx.session, article.id, HashingEmbedder())


async def test_an_operator_reads_an_internal_article_and_sends_a_public_ones_link(
    committed_db: Database, new_context: NewContext, server_url: str
) -> None:
    await seed(committed_db)
    errors: list[Error] = []
    inbox = await open_inbox(new_context, errors)
    visitor = await visitor_writes(new_context, QUESTION)
    await inbox.get_by_test_id("conversation-item").click()
    await expect(history(inbox).filter(has_text=QUESTION)).to_have_attribute("data-author", "visitor")

    await inbox.get_by_test_id("knowledge-toggle").click()
    panel = inbox.get_by_test_id("knowledge-panel")
    await expect(panel).to_be_visible()
    await expect(panel.get_by_test_id("knowledge-query")).to_have_value(QUESTION)
    results = panel.get_by_test_id("knowledge-result")
    await expect(results).to_have_count(2)
    internal = results.filter(has=inbox.get_by_text("Gift card refunds", exact=True))
    public = results.filter(has=inbox.get_by_text("Refunds", exact=True))
    await expect(internal.get_by_test_id("knowledge-visibility")).to_have_text("Internal")
    await expect(public.get_by_test_id("knowledge-visibility")).to_have_text("Public")

    await internal.click()
    article = panel.get_by_test_id("knowledge-article")
    await expect(article.get_by_test_id("knowledge-title")).to_have_text("Gift card refunds")
    await expect(article.get_by_test_id("knowledge-visibility")).to_have_text("Internal")
    await expect(article.get_by_test_id("knowledge-body")).to_have_text(
        "Gift cards are never refunded. Escalate to billing."
    )
    await expect(article.get_by_test_id("knowledge-insert-link")).to_be_hidden()  # no public page to link
    await inbox.screenshot(path=SCREENSHOTS / "inbox-knowledge.png")

    await article.get_by_test_id("knowledge-back").click()
    query = panel.get_by_test_id("knowledge-query")
    await query.fill("money back after delivery")
    await query.press("Enter")
    await expect(results.first).to_contain_text("Refunds")
    await expect(results.first.get_by_test_id("knowledge-visibility")).to_have_text("Public")
    await results.first.click()
    await expect(article.get_by_test_id("knowledge-title")).to_have_text("Refunds")
    await expect(article.get_by_test_id("knowledge-body").locator("strong")).to_have_text("14 days")

    composer = inbox.get_by_test_id("composer")
    await article.get_by_test_id("knowledge-insert-text").click()
    await expect(composer).to_have_value("Money back within 14 days of delivery.\n\n- Open Orders\n- Press Refund")
    await composer.fill("Here is how: ")
    await article.get_by_test_id("knowledge-insert-link").click()
    link = f"{server_url}/help/demo/articles/refunds"
    await expect(composer).to_have_value(f"Here is how: {link}")
    await expect(composer).to_be_focused()
    await composer.press("Enter")
    await expect(composer).to_have_value("")

    await expect(history(inbox).filter(has_text=link)).to_have_attribute("data-author", "operator")
    await expect(widget_messages(visitor).filter(has_text=link)).to_have_attribute("data-author", "operator")
    async with committed_db.transaction() as tx:
        texts = list(await tx.session.scalars(select(Message.body).where(Message.author == "operator")))
    assert texts == [f"Here is how: {link}"]
    assert errors == []
