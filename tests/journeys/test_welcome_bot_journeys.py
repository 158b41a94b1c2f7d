"""Issue 5 in a real Chromium: the visitor opens the widget, the welcome bot greets with buttons,
"Talk to a person" asks for an email (re-asking on garbage), and the dialog lands in the Support
queue with the email on the contact and a summary note for the operator."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.async_api import Page, expect
from sqlalchemy import select

from accounts.actors import Actor
from accounts.groups import configure_group, create_group
from accounts.roles import Role
from conversations.models import Contact, Conversation, Message
from core.db import Database
from flows.samples import welcome_flow
from flows.store import create_flow, publish
from tests.factories import make_operator, make_workspace
from tests.journeys.conftest import NewContext
from tests.journeys.test_admin_journeys import log_in

REALTIME = True  # the app with its realtime hub: pages and widgets update live (conftest)


async def test_the_welcome_bot_greets_and_hands_the_visitor_to_support(
    committed_db: Database, page: Page, new_context: NewContext
) -> None:
    async with committed_db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="demo", name="Demo")
        olga = await make_operator(tx.session, workspace=workspace, role=Role.ADMIN, email="olga@demo.test")
        admin = Actor(workspace.id, workspace.slug, Role.ADMIN, olga.id)
        group = await create_group(tx.session, admin, "Support")
        await configure_group(
            tx.session, admin, group.id, policy="round_robin", requeue_on_offline=True, is_default=True
        )
        flow = await create_flow(tx.session, admin, "Welcome bot", welcome_flow("en"))
        await publish(tx.session, admin, flow.id, at=datetime.now(UTC))

    inbox = await (await new_context()).new_page()  # Olga watches the queue
    await inbox.goto("/login")
    await log_in(inbox, "olga@demo.test")
    await expect(inbox).to_have_url(re.compile(r"/w/demo/inbox$"))
    await inbox.get_by_test_id("view-unassigned").click()

    await page.goto("/demo")
    await page.get_by_test_id("launcher").click()
    buttons = page.get_by_test_id("bot-button")
    await expect(page.get_by_test_id("message").filter(has_text="How can we help?")).to_be_visible()
    await expect(buttons).to_have_text(["Ask a question", "Talk to a person", "Pricing"])

    await buttons.filter(has_text="Talk to a person").click()
    await expect(page.get_by_test_id("message").filter(has_text="What is your email?")).to_be_visible()
    await expect(buttons).to_have_count(0)  # answered: the choices are gone

    composer = page.get_by_test_id("composer-input")
    await composer.fill("<b>not an email</b>")
    await composer.press("Enter")
    await expect(page.get_by_test_id("message").filter(has_text="doesn't look like an email")).to_be_visible()
    await expect(page.get_by_test_id("message").filter(has_text="<b>not an email</b>")).to_be_visible()  # as text

    await composer.fill("ann@example.com")
    await composer.press("Enter")
    await expect(page.get_by_test_id("message").filter(has_text="ann@example.com")).to_have_count(1)
    # Handed off with nobody online: the widget says so (and knows the email: no form).
    await expect(page.get_by_test_id("availability-notice")).to_be_visible()
    await expect(page.get_by_test_id("email-form")).to_be_hidden()

    async with committed_db.transaction() as tx:
        contact = (await tx.session.execute(select(Contact))).scalar_one()
        conversation = (await tx.session.execute(select(Conversation))).scalar_one()
        notes = list(await tx.session.scalars(select(Message.body).where(Message.author == "note")))
    assert contact.email == "ann@example.com"
    assert (conversation.owner, conversation.group_id) == ("queue", group.id)
    assert any("asked for a person" in note for note in notes)

    # The operator gets it: in Unassigned, live, with the bot's summary as a note and the email.
    dialog = inbox.get_by_test_id("conversation-item")
    await expect(dialog).to_have_count(1)
    await dialog.click()
    history = inbox.get_by_test_id("conversation").get_by_test_id("message")
    await expect(history.filter(has_text="asked for a person")).to_have_attribute("data-author", "note")
    await expect(history.filter(has_text="How can we help?")).to_have_attribute("data-author", "bot")
