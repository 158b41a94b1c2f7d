"""The Channels page in a real Chromium: the widget preview follows the form before anything is
saved, saving sticks, the snippet names this server, and a phone-sized screen works."""

from __future__ import annotations

import re

from playwright.async_api import FrameLocator, Page, expect
from sqlalchemy import select

from accounts.models import Workspace
from channels.web_widget.models import WidgetSettings
from core.db import Database
from tests.journeys.conftest import NewContext
from tests.journeys.test_admin_journeys import (
    PHONE,
    SCREENSHOTS,
    has_no_horizontal_scroll,
    log_in,
    navigation,
    russian,
    seed_admin,
)

DEFAULT_BLUE = "rgb(47, 111, 237)"  # #2f6fed


async def open_channels(page: Page) -> None:
    await page.goto("/login")
    await log_in(page, "admin@acme.test")
    await navigation(page).get_by_role("link", name="Channels").click()
    await expect(page).to_have_url(re.compile(r"/w/acme/channels$"))


def preview(page: Page) -> FrameLocator:
    return page.frame_locator("[data-testid=widget-preview]")


async def stored_widget(db: Database) -> tuple[str, str]:
    async with db.transaction() as tx:
        row = (
            await tx.session.execute(
                select(WidgetSettings.color, WidgetSettings.greeting_en)
                .join(Workspace, Workspace.id == WidgetSettings.workspace_id)
                .where(Workspace.slug == "acme")
            )
        ).one()
    return row.color, row.greeting_en


async def test_admin_sees_changes_in_the_preview_before_saving_then_saves_them(
    committed_db: Database, page: Page, server_url: str
) -> None:
    await seed_admin(committed_db, email="admin@acme.test")
    await open_channels(page)
    launcher = preview(page).get_by_test_id("launcher")  # inside the widget's shadow root
    await expect(launcher).to_have_css("background-color", DEFAULT_BLUE)
    await expect(preview(page).get_by_test_id("panel")).to_be_visible()
    await expect(preview(page).get_by_test_id("greeting")).to_have_text("Hi! How can we help?")
    await expect(preview(page).get_by_test_id("message")).to_have_count(2)  # the sample exchange
    await expect(page.get_by_test_id("embed-snippet")).to_have_text(
        '<script>window.FirstlineSettings = {workspace: "acme"};</script>\n'
        f'<script src="{server_url}/widget.js" async></script>'
    )

    form = page.get_by_test_id("widget-form")
    await form.get_by_label("Color").fill("#e0452b")
    await form.get_by_label("Greeting in English").fill("Welcome to Acme! Ask us anything.")
    await form.get_by_label("Button position").select_option("left")
    await expect(launcher).to_have_css("background-color", "rgb(224, 69, 43)")
    await expect(launcher).to_have_css("left", "20px")
    await expect(preview(page).get_by_test_id("greeting")).to_have_text("Welcome to Acme! Ask us anything.")
    await expect(page.get_by_test_id("unsaved")).to_be_visible()
    assert await stored_widget(committed_db) == ("#2f6fed", "Hi! How can we help?")

    await form.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_have_text("Saved. Visitors see the new settings on their next page.")
    assert await stored_widget(committed_db) == ("#e0452b", "Welcome to Acme! Ask us anything.")
    await page.reload()
    await expect(form.get_by_label("Color")).to_have_value("#e0452b")
    await expect(form.get_by_label("Greeting in English")).to_have_value("Welcome to Acme! Ask us anything.")
    await expect(form.get_by_label("Button position")).to_have_value("left")
    await expect(page.get_by_test_id("unsaved")).to_be_hidden()
    await expect(launcher).to_have_css("background-color", "rgb(224, 69, 43)")
    await page.screenshot(path=SCREENSHOTS / "channels.png", full_page=True)


async def test_preview_speaks_the_language_of_the_greeting_being_edited(committed_db: Database, page: Page) -> None:
    await seed_admin(committed_db, email="admin@acme.test")
    await open_channels(page)
    form = page.get_by_test_id("widget-form")
    panel = preview(page).get_by_test_id("panel")
    await expect(panel.get_by_role("heading")).to_have_text("Chat with us")

    await form.get_by_label("Greeting in Russian").fill("Добрый день! Чем помочь?")
    await expect(panel.get_by_role("heading")).to_have_text(russian("Chat with us"))
    await expect(preview(page).get_by_test_id("greeting")).to_have_text("Добрый день! Чем помочь?")
    await expect(preview(page).get_by_test_id("composer-input")).to_have_attribute(
        "placeholder", russian("Write a message…")
    )

    await form.get_by_label("Language").select_option("en")
    await expect(panel.get_by_role("heading")).to_have_text("Chat with us")
    await expect(preview(page).get_by_test_id("greeting")).to_have_text("Hi! How can we help?")


async def test_a_wrong_origin_is_refused_and_the_identity_secret_is_shown_on_request(
    committed_db: Database, page: Page
) -> None:
    await seed_admin(committed_db, email="admin@acme.test")
    await open_channels(page)
    form = page.get_by_test_id("widget-form")
    sites = form.get_by_label("Sites that may show the widget")
    await sites.focus()
    await expect(preview(page).get_by_test_id("greeting")).to_be_visible()
    await expect(sites).to_be_focused()  # the preview, loading, must not take the keyboard away
    await sites.fill("https://acme.example/shop")
    await form.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_contain_text("https://acme.example/shop is not a site address")
    await expect(form.get_by_label("Sites that may show the widget")).to_have_value("")

    identity = page.get_by_test_id("identity")
    secret = identity.get_by_test_id("identity-secret")
    await expect(secret).to_have_attribute("type", "password")
    await identity.get_by_role("button", name="Show").click()
    await expect(secret).to_have_attribute("type", "text")
    await expect(identity.get_by_role("button", name="Hide")).to_be_visible()
    old_secret = await secret.input_value()
    page.once("dialog", lambda dialog: dialog.accept())
    await identity.get_by_role("button", name="Regenerate").click()
    await expect(page.get_by_role("status")).to_contain_text("A new identity secret was made.")
    await expect(secret).not_to_have_value(old_secret)


async def test_phone_sized_screen_shows_the_form_and_a_full_screen_preview(
    committed_db: Database, new_context: NewContext
) -> None:
    await seed_admin(committed_db, email="admin@acme.test")
    context = await new_context(viewport={"width": PHONE["width"], "height": PHONE["height"]})
    page = await context.new_page()
    await page.goto("/login")
    await log_in(page, "admin@acme.test")
    await page.goto("/w/acme/channels")
    await expect(preview(page).get_by_test_id("greeting")).to_be_visible()
    assert await has_no_horizontal_scroll(page)
    frame = page.get_by_test_id("widget-preview")
    frame_box = await frame.bounding_box()
    panel_box = await preview(page).get_by_test_id("panel").bounding_box()
    assert frame_box is not None and panel_box is not None
    # Narrower than 480 px: the open widget fills the (preview's) screen.
    assert abs(panel_box["width"] - (frame_box["width"] - 2)) <= 1  # less the frame's border
    await frame.scroll_into_view_if_needed()
    await page.screenshot(path=SCREENSHOTS / "channels-phone.png", full_page=True)
    await frame.screenshot(path=SCREENSHOTS / "widget-preview-phone.png")
