"""An admin tunes the AI bot in a real Chromium — a stricter evidence threshold and a stop topic,
kept after saving — then opens the questions it could not answer, grouped by topic, and starts an
article titled with the most asked one."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.async_api import Page, expect
from sqlalchemy import func, select

from accounts.models import Workspace
from bots.ai.models import AIAnswer
from core.db import Database
from tests.journeys.test_admin_journeys import log_in, navigation, seed_admin

QUESTIONS = (
    ("How do I return a parcel?", timedelta(hours=1)),
    ("how do I return a parcel", timedelta(hours=2)),
    ("Do you ship to Mars?", timedelta(hours=3)),
)


async def seed_unanswered(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await tx.session.scalar(select(Workspace).where(Workspace.slug == "acme"))
        assert workspace is not None
        now = await tx.session.scalar(select(func.now()))
        assert now is not None
        for number, (question, ago) in enumerate(QUESTIONS):
            tx.session.add(
                AIAnswer(
                    workspace_id=workspace.id,
                    request_key=f"journey-{number}",
                    question=question,
                    language="en",
                    decision="handoff",
                    reason="weak-evidence",
                    mode="extractive",
                    created_at=now - ago,
                )
            )


async def test_an_admin_tunes_the_ai_bot_and_writes_an_article_for_an_unanswered_question(
    committed_db: Database, page: Page
) -> None:
    await seed_admin(committed_db, email="admin@acme.test")
    await seed_unanswered(committed_db)
    await page.goto("/login")
    await log_in(page, "admin@acme.test")
    await navigation(page).get_by_role("link", name="Settings").click()
    await page.get_by_role("link", name="AI bot settings").click()
    await expect(page).to_have_url(re.compile(r"/w/acme/settings/ai-bot$"))
    await expect(navigation(page).get_by_role("link", name="Settings")).to_have_attribute("aria-current", "page")

    form = page.get_by_test_id("ai-settings-form")
    threshold = form.locator("input[name=threshold]")
    await expect(threshold).to_have_value("0.80")
    await expect(page.get_by_test_id("ai-mode")).to_contain_text("quoting the best passage of an article")
    await threshold.fill("0.7")
    await form.locator("textarea[name=stop_topics]").fill("refunds")
    await form.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_have_text("Saved.")
    await page.reload()
    await expect(threshold).to_have_value("0.70")
    await expect(form.locator("textarea[name=stop_topics]")).to_have_value("refunds")

    await navigation(page).get_by_role("link", name="Knowledge base").click()
    await page.get_by_test_id("unanswered-link").click()
    await expect(page).to_have_url(re.compile(r"/w/acme/knowledge-base/unanswered$"))
    groups = page.get_by_test_id("unanswered-group")
    await expect(groups.get_by_test_id("group-question")).to_have_text(
        ["How do I return a parcel?", "Do you ship to Mars?"]
    )
    await expect(groups.first.get_by_test_id("group-count")).to_have_text("2 times")

    await groups.first.get_by_role("link", name="Write an article").click()
    await expect(page).to_have_url(re.compile(r"/w/acme/knowledge-base\?title=.+$"))
    new_article = page.get_by_test_id("add-article")
    await expect(new_article.locator("input[name=title]")).to_have_value("How do I return a parcel?")
    await expect(new_article.locator("input[name=title]")).to_be_focused()
    await new_article.get_by_role("button", name="Create article").click()
    await expect(page).to_have_url(re.compile(r"/w/acme/knowledge-base/articles/\d+$"))
    await expect(page.get_by_test_id("kb-title")).to_have_value("How do I return a parcel?")
