"""The operators' Inbox in a real Chromium against the real server (with its realtime hub): a visitor
writes in the widget and the conversation appears live in the list; the operator answers, which the
widget shows, writes an internal note, which it never shows, and closes the dialog. The page works
on a phone too, and its keyboard shortcuts open conversations."""

from __future__ import annotations

import re

from playwright.async_api import Error, FilePayload, Locator, Page, ViewportSize, expect
from sqlalchemy import select

from accounts.actors import Actor
from accounts.api_keys import create_api_key
from accounts.roles import Role
from conversations.models import Conversation, Message
from core.db import Database
from tests.factories import make_operator, make_workspace
from tests.journeys.conftest import NewContext
from tests.journeys.test_admin_journeys import PHONE, SCREENSHOTS, has_no_horizontal_scroll, log_in, russian
from tests.journeys.test_widget_journeys import tiny_png

REALTIME = True  # the app with its realtime hub: pages and widgets update live (conftest)

NOTE_BACKGROUND = "rgb(255, 248, 219)"
STOCK_REPLY = "Yes, it is in stock and ships within a day."


async def seed_demo(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="demo", name="Demo")
        await make_operator(tx.session, workspace=workspace, role=Role.ADMIN, email="olga@demo.test")


async def open_inbox(
    new_context: NewContext, errors: list[Error], *, locale: str = "en-US", viewport: ViewportSize | None = None
) -> Page:
    """Olga logs in and lands on the Inbox, connected live, looking at all open conversations."""
    page = await (await new_context(locale=locale, viewport=viewport)).new_page()
    page.on("pageerror", lambda error: errors.append(error))
    await page.goto("/login")
    await log_in(page, "olga@demo.test")
    await expect(page).to_have_url(re.compile(r"/w/demo/inbox$"))
    await expect(page.get_by_test_id("inbox")).to_have_attribute("data-connection", "online")
    await page.get_by_test_id("view-open").click()
    await expect(page.get_by_test_id("view-open")).to_have_attribute("aria-pressed", "true")
    return page


async def visitor_writes(new_context: NewContext, text: str) -> Page:
    visitor = await (await new_context()).new_page()
    await visitor.goto("/demo")
    await visitor.get_by_test_id("launcher").click()
    await visitor.get_by_test_id("composer-input").fill(text)
    await visitor.get_by_test_id("composer-input").press("Enter")
    await expect(widget_messages(visitor).filter(has_text=text)).to_have_attribute("data-seq", re.compile(r"^\d+$"))
    return visitor


def widget_messages(page: Page) -> Locator:
    return page.get_by_test_id("message")


def history(page: Page) -> Locator:
    return page.get_by_test_id("conversation").get_by_test_id("message")


async def write(page: Page, text: str) -> None:
    composer = page.get_by_test_id("composer")
    await composer.fill(text)
    await composer.press("Enter")
    await expect(composer).to_have_value("")


async def test_a_visitor_message_appears_live_and_the_operator_replies_notes_and_closes(
    committed_db: Database, new_context: NewContext
) -> None:
    await seed_demo(committed_db)
    errors: list[Error] = []
    inbox = await open_inbox(new_context, errors)
    items = inbox.get_by_test_id("conversation-item")
    await expect(inbox.get_by_test_id("count-open")).to_have_text("0")
    await expect(items).to_have_count(0)

    visitor = await visitor_writes(new_context, "Hello, my parcel is late")
    await expect(items).to_have_count(1)  # no reload: it came over the live socket
    await expect(items).to_contain_text("Hello, my parcel is late")
    await expect(items).to_contain_text(re.compile(r"Visitor #\d+"))
    await expect(items.get_by_test_id("unread")).to_have_text("1")
    await expect(inbox.get_by_test_id("count-open")).to_have_text("1")

    await items.click()
    first = history(inbox).filter(has_text="Hello, my parcel is late")
    await expect(first).to_have_attribute("data-author", "visitor")
    await expect(inbox.get_by_test_id("conversation-status")).to_have_text("Dialog open")
    await expect(items.get_by_test_id("unread")).to_have_count(0)  # read as soon as it is open

    await write(inbox, "Sorry! It ships today.")
    reply = history(inbox).filter(has_text="Sorry! It ships today.")
    await expect(reply).to_have_attribute("data-author", "operator")
    await expect(reply.get_by_test_id("delivery")).to_have_text(re.compile(r"^(Sent|Read)$"))
    await expect(widget_messages(visitor).filter(has_text="Sorry! It ships today.")).to_have_attribute(
        "data-author", "operator"
    )
    await expect(inbox.get_by_test_id("conversation-owner")).to_have_text("Assigned to you")

    # A picture: uploaded, then sent on Enter with no text; shown inline on both sides.
    await inbox.get_by_test_id("attach-input").set_input_files(
        files=[FilePayload(name="label.png", mimeType="image/png", buffer=tiny_png())]
    )
    await expect(inbox.get_by_test_id("pending-files")).to_have_text(re.compile(r"^label\.png"))
    await inbox.get_by_test_id("composer").press("Enter")
    picture = history(inbox).get_by_role("img", name="label.png")
    await expect(picture).to_have_js_property("naturalWidth", 1)
    await expect(widget_messages(visitor).get_by_role("img", name="label.png")).to_have_js_property("naturalWidth", 1)
    await expect(inbox.get_by_test_id("pending-files")).to_be_empty()

    await inbox.get_by_test_id("mode-note").click()
    await write(inbox, "VIP customer: offer free shipping")
    note = history(inbox).filter(has_text="VIP customer")
    await expect(note).to_have_attribute("data-author", "note")
    await expect(note).to_contain_text("Internal note")
    await expect(note).to_have_css("background-color", NOTE_BACKGROUND)

    # A reply after the note: once the widget shows it, everything before it has arrived — and the
    # note is not among it.
    await inbox.get_by_test_id("mode-reply").click()
    await write(inbox, "Anything else?")
    await expect(widget_messages(visitor)).to_have_text(
        [
            re.compile("my parcel is late"),
            re.compile("It ships today"),
            re.compile("Operator"),
            re.compile("Anything else"),
        ]
    )
    await inbox.screenshot(path=SCREENSHOTS / "inbox.png")

    await inbox.get_by_test_id("action-close").click()
    await expect(inbox.get_by_test_id("conversation-status")).to_have_text("Dialog closed")
    await expect(inbox.get_by_test_id("action-reopen")).to_be_visible()
    await expect(inbox.get_by_test_id("action-close")).to_be_hidden()
    await expect(items).to_have_count(0)  # it left "All open"
    await inbox.get_by_test_id("view-closed").click()
    await expect(items).to_have_count(1)
    await expect(inbox.get_by_test_id("count-closed")).to_have_text("1")

    async with committed_db.transaction() as tx:
        assert await tx.session.scalar(select(Conversation.status)) == "closed"
        stored = (await tx.session.execute(select(Message.author, Message.body).order_by(Message.seq))).all()
    assert [tuple(row) for row in stored] == [
        ("visitor", "Hello, my parcel is late"),
        ("operator", "Sorry! It ships today."),
        ("operator", ""),
        ("note", "VIP customer: offer free shipping"),
        ("operator", "Anything else?"),
    ]
    assert errors == []


async def test_on_a_phone_in_russian_one_pane_at_a_time(committed_db: Database, new_context: NewContext) -> None:
    await seed_demo(committed_db)
    errors: list[Error] = []
    await visitor_writes(new_context, "Вы доставляете в Казань?")
    viewport: ViewportSize = {"width": PHONE["width"], "height": PHONE["height"]}
    phone = await open_inbox(new_context, errors, locale="ru-RU", viewport=viewport)
    await expect(phone.get_by_test_id("view-open")).to_contain_text(russian("All open"))
    item = phone.get_by_test_id("conversation-item")
    await expect(item).to_contain_text("Вы доставляете в Казань?")
    await expect(item).to_contain_text(re.compile(r"Посетитель #\d+"))
    assert await has_no_horizontal_scroll(phone)
    await item.click()
    await expect(history(phone).filter(has_text="Вы доставляете в Казань?")).to_be_visible()
    await expect(phone.get_by_test_id("conversation-list")).to_be_hidden()
    await expect(phone.get_by_test_id("composer")).to_have_attribute("placeholder", re.compile("^Напишите ответ"))
    await expect(phone.get_by_test_id("conversation-status")).to_have_text(russian("Dialog open"))
    assert await has_no_horizontal_scroll(phone)
    await phone.screenshot(path=SCREENSHOTS / "inbox-phone.png")
    await phone.get_by_role("button", name=re.compile(russian("Conversations"))).click()
    await expect(phone.get_by_test_id("conversation-list")).to_be_visible()
    assert errors == []


async def test_a_dialog_given_to_the_operator_chimes_and_the_tools_around_it_work(
    committed_db: Database, new_context: NewContext
) -> None:
    async with committed_db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="demo", name="Demo")
        olga = await make_operator(tx.session, workspace=workspace, role=Role.ADMIN, email="olga@demo.test")
        admin = Actor(workspace_id=workspace.id, workspace_slug="demo", role=Role.ADMIN, operator_id=olga.id)
        key = (await create_api_key(tx.session, admin, name="supervisor", role=Role.ADMIN)).key
    errors: list[Error] = []
    await visitor_writes(new_context, "Is the blue one in stock?")
    api = (await new_context()).request
    bearer = {"Authorization": f"Bearer {key}"}
    for path, body in (
        ("/api/v1/tags", {"name": "vip", "color": "#7a2e0e"}),
        ("/api/v1/canned-replies", {"shortcut": "stock", "title": "In stock", "body": STOCK_REPLY, "shared": True}),
    ):
        created = await api.post(path, headers=bearer, data=body)
        assert created.status == 201, await created.text()
    inbox = await open_inbox(new_context, errors)
    item = inbox.get_by_test_id("conversation-item")
    await expect(item).to_have_count(1)
    conversation_id = await item.get_attribute("data-id")
    title = await inbox.title()

    # Someone (here a program with an API key) gives the dialog to Olga: a chime and a title badge.
    given = await api.post(
        f"/api/v1/conversations/{conversation_id}/transfer", headers=bearer, data={"operator_id": olga.id}
    )
    assert given.ok, await given.text()
    await expect(inbox.get_by_test_id("inbox")).to_have_attribute("data-chimes", "1")
    await expect(inbox).to_have_title(f"(1) {title}")
    await expect(inbox.get_by_test_id("count-mine")).to_have_text("1")

    await inbox.keyboard.press("j")  # opens the first conversation; seen, so the badge goes
    await expect(history(inbox).filter(has_text="Is the blue one in stock?")).to_be_visible()
    await expect(inbox).to_have_title(title)
    await expect(inbox.get_by_test_id("conversation-owner")).to_have_text("Assigned to you")
    await inbox.keyboard.press("n")
    await expect(inbox.get_by_test_id("composer")).to_be_focused()
    await expect(inbox.get_by_test_id("mode-note")).to_have_attribute("aria-pressed", "true")
    await inbox.keyboard.press("Escape")  # out of the composer: shortcuts work again
    await inbox.keyboard.press("?")
    shortcuts = inbox.get_by_test_id("shortcuts-dialog")
    await expect(shortcuts).to_be_visible()
    await inbox.keyboard.press("Escape")
    await expect(shortcuts).to_be_hidden()

    await inbox.get_by_test_id("queue-toggle").click()
    await expect(inbox.get_by_test_id("queue-group").filter(has_text="No group")).to_be_visible()
    await inbox.get_by_test_id("queue-toggle").click()
    await inbox.get_by_test_id("action-transfer").click()
    transfer = inbox.get_by_test_id("transfer-dialog")
    await expect(transfer.get_by_role("button", name=re.compile(f"^{olga.display_name}"))).to_be_visible()
    await transfer.get_by_role("button", name="Cancel").click()
    await expect(transfer).to_be_hidden()

    # Tags: added from the workspace's list, shown on the dialog and in the list, removed again.
    await inbox.get_by_test_id("add-tag").select_option(label="vip")
    tag = inbox.get_by_test_id("conversation-tags").get_by_test_id("tag")
    await expect(tag).to_have_text("vip×")
    await expect(inbox.get_by_test_id("conversation-item").get_by_test_id("tag")).to_have_text("vip")
    await tag.get_by_role("button", name="Remove the tag vip").click()
    await expect(tag).to_have_count(0)

    # The contact card: a name typed in is saved and names the dialog everywhere.
    await inbox.get_by_test_id("contact-name").fill("Ann Lee")
    await inbox.get_by_test_id("contact-name").press("Enter")
    await expect(inbox.get_by_test_id("conversation-title")).to_have_text("Ann Lee")
    await expect(inbox.get_by_test_id("conversation-item")).to_contain_text("Ann Lee")

    # A saved reply: "/" and its shortcut open the picker, Enter puts its text in.
    composer = inbox.get_by_test_id("composer")
    await inbox.get_by_test_id("mode-reply").click()
    await composer.press_sequentially("/sto")
    await expect(inbox.get_by_test_id("canned-replies")).to_contain_text("/stock")
    await composer.press("Enter")
    await expect(composer).to_have_value(STOCK_REPLY)
    await composer.press("Enter")
    await expect(history(inbox).filter(has_text="ships within a day")).to_have_attribute("data-author", "operator")

    search = inbox.get_by_test_id("search")
    await search.fill("blue")
    await expect(inbox.get_by_test_id("conversation-item")).to_have_count(1)
    await search.fill("parachute")
    await expect(inbox.get_by_test_id("conversation-item")).to_have_count(0)
    await expect(inbox.get_by_text("No conversations here.")).to_be_visible()
    await search.fill("")
    await expect(inbox.get_by_test_id("conversation-item")).to_have_count(1)

    await inbox.get_by_test_id("action-snooze").click()
    snooze = inbox.get_by_test_id("snooze-dialog")
    await snooze.get_by_test_id("snooze-until").fill("2020-01-01T09:00")
    await snooze.get_by_role("button", name="Snooze", exact=True).click()
    await expect(snooze.get_by_role("alert")).to_have_text("The snooze time must be in the future.")
    await snooze.get_by_role("button", name="In 1 hour").click()
    await expect(snooze).to_be_hidden()
    await expect(inbox.get_by_test_id("conversation-status")).to_have_text(re.compile(r"^Snoozed until "))
    await expect(item).to_have_count(0)  # no longer among the open ones
    await expect(inbox.get_by_test_id("count-snoozed")).to_have_text("1")
    assert errors == []


# What aiohttp answers for a path it has no route for (core.middlewares.translate_errors).
UNKNOWN_ROUTE = {"error": {"code": "not_found", "message": "Not Found"}}
NEWER_ENDPOINTS = re.compile(
    r"/api/v1/(inbox|tags|canned-replies|contacts|presence|queue|conversations/\d+/(take|snooze|transfer|unassign))"
)


async def test_against_a_server_with_only_the_conversation_endpoints_the_page_still_works(
    committed_db: Database, new_context: NewContext
) -> None:
    await seed_demo(committed_db)
    errors: list[Error] = []
    visitor = await visitor_writes(new_context, "Hi there")
    context = await new_context()
    await context.route(NEWER_ENDPOINTS, lambda route: route.fulfill(status=404, json=UNKNOWN_ROUTE))
    page = await context.new_page()
    page.on("pageerror", lambda error: errors.append(error))
    await page.goto("/login")
    await log_in(page, "olga@demo.test")
    item = page.get_by_test_id("conversation-item")
    await expect(item).to_contain_text("Hi there")
    await expect(page.get_by_test_id("count-open")).to_have_text("1")
    await expect(page.get_by_test_id("count-unassigned")).to_have_text("1")
    await item.click()
    await expect(history(page).filter(has_text="Hi there")).to_have_attribute("data-author", "visitor")
    await write(page, "Hello! How can I help?")
    await expect(widget_messages(visitor).filter(has_text="How can I help?")).to_have_attribute(
        "data-author", "operator"
    )
    for control in ("action-take", "action-snooze", "action-transfer", "action-unassign", "presence"):
        await expect(page.get_by_test_id(control)).to_be_hidden()
    await expect(page.locator("#filter-group")).to_be_hidden()
    await expect(page.get_by_test_id("contact-card")).to_contain_text(re.compile(r"Visitor #\d+"))
    await expect(page.get_by_test_id("action-close")).to_be_visible()
    assert errors == []


async def test_taking_a_dialog_someone_else_just_took_says_who_has_it(
    committed_db: Database, new_context: NewContext
) -> None:
    await seed_demo(committed_db)
    errors: list[Error] = []
    await visitor_writes(new_context, "Anyone there?")
    inbox = await open_inbox(new_context, errors)
    taken = {
        "error": {
            "code": "already_taken",
            "message": "Boris already took this dialog.",
            "details": {"taken_by": {"id": 99, "name": "Boris"}},
        }
    }
    # The race is lost at the server: Boris's take landed a moment earlier.
    await inbox.route(re.compile(r"/take$"), lambda route: route.fulfill(status=409, json=taken))
    await inbox.get_by_test_id("conversation-item").click()
    await inbox.get_by_test_id("action-take").click()
    await expect(inbox.get_by_test_id("action-error")).to_have_text("Taken by Boris")
    assert errors == []
