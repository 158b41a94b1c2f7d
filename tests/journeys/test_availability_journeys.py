"""Issue 4 in a real Chromium: a visitor writes while no operator is online (or outside working
hours); the widget says so, offers to leave an email, refuses a wrong one without losing it, thanks
for a right one; the contact has it and the dialog still waits in the queue."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.async_api import Page, expect
from sqlalchemy import select

from accounts.roles import Role
from accounts.working_hours import parse_hours
from accounts.workspaces import set_working_hours
from conversations.models import Contact, Conversation
from core.db import Database
from tests.factories import make_actor, make_workspace
from tests.journeys.conftest import NewContext
from tests.journeys.test_admin_journeys import SCREENSHOTS


async def send(page: Page, text: str) -> None:
    await page.get_by_test_id("composer-input").fill(text)
    await page.get_by_test_id("composer-input").press("Enter")


async def test_with_nobody_online_the_visitor_is_told_so_and_leaves_an_email(
    committed_db: Database, page: Page
) -> None:
    async with committed_db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="demo", name="Demo")
        await make_actor(tx.session, role=Role.ADMIN, workspace=workspace)  # offline
    await page.goto("/demo")
    await page.get_by_test_id("launcher").click()
    await send(page, "Is anyone there?")
    await expect(page.get_by_test_id("message").filter(has_text="Is anyone there?")).to_have_attribute("data-seq", "1")

    notice = page.get_by_test_id("availability")
    await expect(notice.get_by_test_id("availability-notice")).to_have_text(
        "All our operators are busy or away right now."
    )
    await expect(notice.get_by_test_id("email-prompt")).to_have_text("Leave your email and we'll answer there.")
    email = notice.get_by_test_id("email-input")
    await email.fill("ann at example")
    await notice.get_by_test_id("email-send").click()
    await expect(notice.get_by_test_id("email-error")).to_have_text("Enter a valid email address.")
    await expect(email).to_have_value("ann at example")  # what was typed stays, to be corrected

    await email.fill("Ann@Example.com")
    await email.press("Enter")
    await expect(notice.get_by_test_id("email-thanks")).to_have_text("Thank you! We'll answer at ann@example.com.")
    await expect(notice.get_by_test_id("email-form")).to_be_hidden()
    await expect(notice.get_by_test_id("email-error")).to_be_hidden()
    await expect(notice.get_by_test_id("availability-notice")).to_be_visible()
    await expect(page.get_by_test_id("message")).to_have_count(1)  # the notice is not a message
    await page.screenshot(path=SCREENSHOTS / "widget-nobody-online.png")

    async with committed_db.transaction() as tx:
        contact = (await tx.session.execute(select(Contact))).scalar_one()
        conversation = (await tx.session.execute(select(Conversation))).scalar_one()
    assert contact.email == "ann@example.com"
    assert (conversation.owner, conversation.status) == ("queue", "open")

    # After a reload the notice is there again, but the email is known: no form.
    await page.reload()
    await page.get_by_test_id("launcher").click()
    await expect(page.get_by_test_id("availability-notice")).to_have_text(
        "All our operators are busy or away right now."
    )
    await expect(page.get_by_test_id("email-form")).to_be_hidden()


async def test_outside_working_hours_a_russian_visitor_is_told_when_they_are_back(
    committed_db: Database, new_context: NewContext
) -> None:
    today = datetime.now(UTC).date()
    every_day = [{"opens": "00:00", "closes": "24:00"}]
    closed_two_days = {
        "timezone": "UTC",
        "days": dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), every_day),
        "holidays": [today.isoformat(), (today + timedelta(days=1)).isoformat()],
    }
    async with committed_db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="demo", name="Demo")
        admin = await make_actor(tx.session, role=Role.ADMIN, workspace=workspace)
        await set_working_hours(tx.session, admin, parse_hours(closed_two_days))
    context = await new_context(locale="ru-RU")
    page = await context.new_page()
    await page.goto("/demo")
    await page.get_by_test_id("launcher").click()
    await send(page, "<b>Здравствуйте</b>")
    notice = page.get_by_test_id("availability-notice")
    await expect(notice).to_have_text(re.compile(r"^Сейчас мы не на связи\. Вернёмся .+ в 0?0:00\.$"))
    await expect(page.get_by_test_id("email-prompt")).to_have_text("Оставьте email — мы ответим на него.")
    await expect(page.get_by_test_id("message").filter(has_text="<b>Здравствуйте</b>")).to_have_count(1)
