"""An editor imports two Markdown files through the Knowledge base page in a real Chromium, sees each
one listed and published, publishes a change to one of them, and compares its two revisions: the
changed lines are highlighted, and a <script> in the text is shown, never run."""

from __future__ import annotations

import re

from playwright.async_api import FilePayload, Page, expect

from accounts.roles import Role
from core.db import Database
from tests.factories import make_operator, make_workspace
from tests.journeys.test_admin_journeys import log_in

FILES: list[FilePayload] = [
    {
        "name": "refunds.md",
        "mimeType": "text/markdown",
        "buffer": b"# Refunds\n\nWithin 14 days.\n\n- keep the receipt\n",
    },
    {"name": "shipping-times.md", "mimeType": "text/markdown", "buffer": b"Orders ship in two days.\n"},
]
ADDED_GREEN = "rgb(230, 246, 234)"  # .kb-diff .diff-added in knowledge_base.css
REMOVED_RED = "rgb(253, 236, 234)"


async def test_an_editor_imports_files_and_compares_revisions(committed_db: Database, page: Page) -> None:
    async with committed_db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme", name="Acme")
        await make_operator(tx.session, workspace=workspace, role=Role.EDITOR, email="editor@acme.test")
    await page.goto("/login")
    await log_in(page, "editor@acme.test")
    await expect(page).to_have_url(re.compile(r"/w/acme/knowledge-base$"))

    form = page.get_by_test_id("import-markdown")
    await form.get_by_test_id("import-files").set_input_files(FILES)
    await form.get_by_test_id("import-publish").check()
    await form.get_by_role("button", name="Import files").click()
    await expect(page).to_have_url(re.compile(r"/w/acme/knowledge-base/import/markdown$"))
    await expect(page.get_by_test_id("import-summary")).to_have_text("Imported 2 of 2 files.")
    created = page.get_by_test_id("import-created")
    await expect(created).to_have_count(2)
    await expect(created.nth(0)).to_contain_text("Refunds")
    await expect(created.nth(1)).to_contain_text("Shipping times")
    await expect(created.nth(1)).to_contain_text("Published")

    await page.get_by_role("link", name="All articles").click()
    listing = page.get_by_test_id("article-list")
    await expect(listing).to_contain_text("Refunds")
    await expect(listing).to_contain_text("Shipping times")

    await listing.get_by_role("link", name="Refunds").click()
    await expect(page.get_by_test_id("kb-status")).to_have_text("Published: revision 1")
    await page.get_by_test_id("kb-body").fill(
        "Within 30 days.\n\n- keep the receipt\n\n<script>window.__xss = 1</script>\n"
    )
    await page.get_by_test_id("kb-publish").click()
    await expect(page.get_by_test_id("kb-message")).to_have_text("Revision 2 is published.")

    await page.get_by_test_id("compare-1").click()
    await expect(page).to_have_url(re.compile(r"/compare\?from=1&to=draft$"))
    diff = page.get_by_test_id("diff")
    removed, added = diff.get_by_test_id("diff-removed"), diff.get_by_test_id("diff-added")
    await expect(removed).to_have_count(1)
    await expect(removed).to_contain_text("Within 14 days.")
    await expect(removed).to_have_css("background-color", REMOVED_RED)
    await expect(added).to_have_count(3)  # the new line, a blank line and the script, shown as text
    await expect(added.first).to_contain_text("Within 30 days.")
    await expect(added.first).to_have_css("background-color", ADDED_GREEN)
    await expect(added.last).to_contain_text("<script>window.__xss = 1</script>")
    assert await page.evaluate("window.__xss === undefined")

    await page.get_by_test_id("compare-from").select_option("2")
    await page.get_by_role("button", name="Compare", exact=True).click()
    await expect(page.get_by_test_id("diff-identical")).to_have_text("The two texts are the same.")
