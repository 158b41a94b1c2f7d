"""An admin builds a flow in a real Chromium: creates it from the welcome sample, sees its graph,
breaks the JSON and is shown where, fixes it, saves, publishes, and talks to it in the preview."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect
from sqlalchemy import func, select

from core.db import Database
from flows.models import FlowRun, FlowVersion
from tests.journeys.test_admin_journeys import SCREENSHOTS, log_in, navigation, seed_admin

WELCOME_NODES = 12  # flows.samples.welcome_flow


async def test_an_admin_builds_publishes_and_previews_a_flow(committed_db: Database, page: Page) -> None:
    await seed_admin(committed_db, email="admin@acme.test")
    await page.goto("/login")
    await log_in(page, "admin@acme.test")
    await navigation(page).get_by_role("link", name="Flows").click()
    await expect(page).to_have_url(re.compile(r"/w/acme/flows$"))
    await expect(page.get_by_text("No flows yet.")).to_be_visible()

    form = page.get_by_test_id("add-flow")
    await form.locator("input[name=name]").fill("Welcome bot")
    await form.locator("select[name=start_with]").select_option("welcome")
    await form.get_by_role("button", name="Create flow").click()
    await expect(page).to_have_url(re.compile(r"/w/acme/flows/\d+$"))
    await expect(page.get_by_test_id("flow-name")).to_have_text("Welcome bot")
    await expect(page.get_by_test_id("flow-status")).to_have_text("Not published yet")

    graph = page.get_by_test_id("flow-graph")
    await expect(graph.get_by_test_id("graph-node")).to_have_count(WELCOME_NODES)
    await expect(graph.locator("[data-node-id=menu]")).to_contain_text("How can we help?")
    await expect(graph.locator(".edge-label", has_text="Talk to a person")).to_have_count(2)
    await expect(page.get_by_test_id("flow-errors")).to_have_text("No errors: the draft can be published.")

    editor = page.get_by_test_id("flow-json")
    good = await editor.input_value()
    await editor.fill(good.replace('"target": "pricing"', '"target": "prices"', 1))
    await expect(graph.locator(".ghost[data-node-id=prices]")).to_be_visible()  # drawn before saving
    await editor.fill(good[:-3])
    await expect(page.get_by_test_id("json-error")).to_contain_text("The JSON does not parse")
    await page.get_by_test_id("save-draft").click()
    await expect(page.get_by_test_id("save-state")).to_have_text("Unsaved changes")  # nothing was sent

    await editor.fill(good.replace('"target": "pricing"', '"target": "prices"', 1))
    await expect(page.get_by_test_id("json-error")).to_be_hidden()
    await page.get_by_test_id("save-draft").click()
    await expect(page.get_by_test_id("editor-message")).to_contain_text("Draft saved. Errors to fix before publishing")
    dangling = page.get_by_test_id("flow-errors").locator("li[data-code=dangling_target]")
    await expect(dangling).to_contain_text("nodes[2].buttons[2].target")
    await expect(dangling).to_contain_text("'prices'")
    await expect(graph.locator("[data-node-id=menu]")).to_have_class(re.compile(r"\bhas-error\b"))
    await dangling.get_by_role("button").click()
    await expect(graph.locator("[data-node-id=menu]")).to_have_class(re.compile(r"\bselected\b"))
    await page.get_by_test_id("publish").click()
    await expect(page.get_by_test_id("editor-message")).to_have_text("Not published: fix the errors first.")

    await editor.fill(good)
    await page.get_by_test_id("save-draft").click()
    await expect(page.get_by_test_id("flow-errors")).to_have_text("No errors: the draft can be published.")
    await expect(page.get_by_test_id("save-state")).to_have_text("")
    await page.get_by_test_id("publish").click()
    await expect(page.get_by_test_id("editor-message")).to_have_text("Version 1 is live.")
    await expect(page.get_by_test_id("flow-status")).to_have_text("Live: version 1")
    await expect(page.get_by_test_id("version-1")).to_contain_text("live")
    await expect(page.get_by_test_id("turn-off")).to_be_visible()

    log = page.get_by_test_id("preview-log")
    await page.get_by_test_id("preview-start").click()
    await expect(log.get_by_test_id("preview-bot")).to_have_text(re.compile(r"^How can we help\?"))
    await log.get_by_role("button", name="Pricing").click()
    await expect(log.get_by_test_id("preview-visitor")).to_have_text("Pricing")
    await expect(log.get_by_test_id("preview-bot").last).to_contain_text("Pro is $29")
    await expect(graph.locator("[data-node-id=pricing]")).to_have_class(re.compile(r"\bcurrent\b"))
    await log.get_by_test_id("preview-bot").last.get_by_role("button", name="Talk to a person").click()
    await expect(log.get_by_test_id("preview-bot").last).to_contain_text("What is your email?")
    await page.get_by_test_id("preview-input").fill("not an email")
    await page.get_by_test_id("preview-input").press("Enter")
    await expect(log.get_by_test_id("preview-bot").last).to_contain_text("doesn't look like an email")
    await page.get_by_test_id("preview-input").fill("ann@example.com")
    await page.get_by_test_id("preview-send").click()
    await expect(log.get_by_test_id("preview-system").filter(has_text="Hand off to Support")).to_be_visible()
    await expect(log.get_by_test_id("preview-system").last).to_have_text("The run ended: handed off to operators.")
    await expect(page.get_by_test_id("preview-input")).to_be_disabled()
    await page.screenshot(path=str(SCREENSHOTS / "flow-editor.png"), full_page=True)

    async with committed_db.transaction() as tx:
        assert await tx.session.scalar(select(func.count()).select_from(FlowVersion)) == 1
        assert await tx.session.scalar(select(func.count()).select_from(FlowRun)) == 0  # the preview stores nothing
