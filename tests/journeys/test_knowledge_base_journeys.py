"""An editor writes an article in a real Chromium, watching the live preview (scripts in the Markdown
never run), saves the draft, publishes it; a visitor who is not logged in finds it on the help center
by searching, and reads the published text, not a later draft."""

from __future__ import annotations

import re

from playwright.async_api import BrowserContext, Page, expect

from accounts.roles import Role
from core.db import Database
from tests.factories import make_operator, make_workspace
from tests.journeys.conftest import NewContext
from tests.journeys.test_admin_journeys import log_in, navigation

ARTICLE = (
    "# Getting a refund\n\n"
    "Write to **billing@acme.test** within 14 days of purchase.\n\n"
    '<img src="x" onerror="window.__xss = true">\n\n'
    "- keep the receipt\n- tell us the order number\n"
)


async def test_an_editor_publishes_an_article_a_visitor_finds_by_search(
    committed_db: Database, page: Page, new_context: NewContext
) -> None:
    async with committed_db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme", name="Acme")
        await make_operator(tx.session, workspace=workspace, role=Role.EDITOR, email="editor@acme.test")
    await page.goto("/login")
    await log_in(page, "editor@acme.test")
    await expect(page).to_have_url(re.compile(r"/w/acme/knowledge-base$"))  # an editor's first section
    await expect(navigation(page).get_by_role("link", name="Knowledge base")).to_have_attribute("aria-current", "page")

    await page.get_by_test_id("add-category").locator("input[name=name]").fill("Billing")
    await page.get_by_test_id("add-category").get_by_role("button").click()
    await expect(page.get_by_text("Category added.")).to_be_visible()
    form = page.get_by_test_id("add-article")
    await form.locator("input[name=title]").fill("Refunds")
    await form.locator("select[name=category]").select_option(label="Billing")
    await form.get_by_role("button", name="Create article").click()
    await expect(page).to_have_url(re.compile(r"/w/acme/knowledge-base/articles/\d+$"))
    await expect(page.get_by_test_id("kb-status")).to_have_text("Not published yet")
    await expect(page.get_by_test_id("kb-title")).to_have_value("Refunds")

    await page.get_by_test_id("kb-body").fill(ARTICLE)
    preview = page.get_by_test_id("kb-preview")
    await expect(preview.locator("h1")).to_have_text("Getting a refund")  # before anything is saved
    await expect(preview.locator("strong")).to_have_text("billing@acme.test")
    await expect(preview.locator("li")).to_have_count(2)
    await expect(page.get_by_test_id("kb-save-state")).to_have_text("Unsaved changes")
    assert await preview.locator("img").get_attribute("onerror") is None
    assert await page.evaluate("window.__xss === undefined")

    await page.get_by_test_id("kb-save").click()
    await expect(page.get_by_test_id("kb-message")).to_have_text("Draft saved.")
    await expect(page.get_by_test_id("kb-save-state")).to_have_text("")
    await page.get_by_test_id("kb-publish").click()
    await expect(page.get_by_test_id("kb-message")).to_have_text("Revision 1 is published.")
    await expect(page.get_by_test_id("kb-status")).to_have_text("Published: revision 1")
    await expect(page.get_by_test_id("revision-1")).to_contain_text("live")

    await page.get_by_test_id("kb-body").fill("# Changed\n\nNot yet for visitors.")
    await page.get_by_test_id("kb-save").click()
    await expect(page.get_by_test_id("kb-status")).to_have_text(
        "Published: revision 1; the draft has unpublished changes"
    )

    visitor: BrowserContext = await new_context(locale="en-US")
    reader = await visitor.new_page()
    await reader.goto("/help/acme")
    await expect(reader.get_by_test_id("help-section")).to_contain_text("Billing")
    await reader.get_by_test_id("help-search").fill("refunded purchases")
    await reader.get_by_test_id("help-search").press("Enter")
    await expect(reader).to_have_url(re.compile(r"/help/acme\?q=refunded\+purchases$"))
    results = reader.get_by_test_id("help-results")
    await results.get_by_role("link", name="Refunds").click()
    await expect(reader).to_have_url(re.compile(r"/help/acme/articles/refunds$"))
    article = reader.get_by_test_id("help-article")
    await expect(article.locator("h1").first).to_have_text("Refunds")
    await expect(article).to_contain_text("within 14 days of purchase")
    await expect(article).not_to_contain_text("Not yet for visitors")
    assert await reader.evaluate("window.__xss === undefined")
