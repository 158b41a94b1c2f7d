"""A visitor on a customer's site, in a real Chromium, against the real server: the demo shop embeds
the widget with the two-line snippet; messages are acknowledged, stored once and come back after a
reload; an operator's typing, read receipt and reply reach the widget."""

from __future__ import annotations

import re
import struct
import zlib
from datetime import UTC, datetime

from playwright.async_api import APIRequestContext, FilePayload, Locator, Page, expect
from sqlalchemy import select

from accounts.api_keys import create_api_key
from accounts.roles import Role
from conversations.models import Message
from conversations.outbound import reply_as_operator
from core.db import Database
from tests.factories import make_actor, make_workspace
from tests.journeys.conftest import NewContext
from tests.journeys.live_server import LiveServer
from tests.journeys.test_admin_journeys import PHONE, SCREENSHOTS

REALTIME = True  # the app with its realtime hub: pages and widgets update live (conftest)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


async def stored_messages(db: Database) -> list[tuple[str, str, str]]:
    async with db.transaction() as tx:
        rows = await tx.session.execute(select(Message.author, Message.body, Message.channel).order_by(Message.seq))
        return [(row.author, row.body, row.channel) for row in rows]


def messages(page: Page) -> Locator:
    return page.get_by_test_id("message")


async def send(page: Page, text: str) -> None:
    await page.get_by_test_id("composer-input").fill(text)
    await page.get_by_test_id("composer-input").press("Enter")


async def test_visitor_writes_from_the_demo_shop_and_the_message_is_stored_once(
    committed_db: Database, page: Page
) -> None:
    async with committed_db.transaction() as tx:
        await make_workspace(tx.session, slug="demo", name="Demo")
    await page.goto("/demo")
    await expect(page.get_by_text("Click the chat button")).to_be_visible()
    launcher = page.get_by_test_id("launcher")
    await expect(launcher).to_have_css("background-color", "rgb(47, 111, 237)")
    await expect(launcher).to_have_attribute("aria-label", "Open the chat")
    await launcher.click()
    await expect(page.get_by_test_id("panel")).to_be_visible()
    greeting = page.get_by_test_id("greeting")
    await expect(greeting).to_have_text("Hi! How can we help?")
    # The shop's own styles (Georgia, letter-spacing on every div) stop at the widget's shadow root.
    await expect(greeting).not_to_have_css("font-family", re.compile("Georgia"))
    await expect(greeting).to_have_css("letter-spacing", "normal")
    await expect(page.get_by_test_id("composer-input")).to_be_focused()

    await send(page, "Hello")
    hello = messages(page).filter(has_text="Hello")
    await expect(hello).to_have_attribute("data-author", "visitor")
    await expect(hello).to_have_attribute("data-seq", "1")  # acknowledged: the server's sequence number
    await expect(hello).not_to_have_attribute("data-status", re.compile("."))
    await expect(page.get_by_test_id("composer-input")).to_have_value("")
    assert await stored_messages(committed_db) == [("visitor", "Hello", "web")]

    # The visitor's token is kept in this browser: after a reload the conversation is still there.
    await page.reload()
    await page.get_by_test_id("launcher").click()
    await expect(messages(page)).to_have_count(1)
    await expect(messages(page)).to_have_text("Hello")
    await expect(messages(page)).to_have_attribute("data-seq", "1")
    assert await stored_messages(committed_db) == [("visitor", "Hello", "web")]


async def test_operator_typing_read_receipt_and_reply_reach_the_visitor(committed_db: Database, page: Page) -> None:
    async with committed_db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="demo", name="Demo")
        admin = await make_actor(tx.session, role=Role.ADMIN, workspace=workspace)
        key = (await create_api_key(tx.session, admin, name="journey", role=Role.ADMIN)).key
    api: APIRequestContext = page.context.request
    bearer = {"Authorization": f"Bearer {key}"}

    await page.goto("/demo")
    await page.get_by_test_id("launcher").click()
    await send(page, "Where is my order?")
    await expect(messages(page).filter(has_text="Where is my order?")).to_have_attribute("data-seq", "1")
    listing = await (await api.get("/api/v1/conversations", headers=bearer)).json()
    conversation_id = listing["conversations"][0]["id"]
    base = f"/api/v1/conversations/{conversation_id}"

    typing = page.get_by_test_id("typing")
    assert (await api.post(f"{base}/typing", headers=bearer, data={"on": True})).ok
    await expect(typing).to_have_text(re.compile(r"^\S.* is typing…$"))  # the name the server gives
    assert (await api.post(f"{base}/read", headers=bearer, data={"seq": 1})).ok
    await expect(page.get_by_test_id("read-receipt")).to_have_text("Read")

    await page.get_by_test_id("close").click()
    await expect(page.get_by_test_id("panel")).to_be_hidden()
    reply = await api.post(f"{base}/messages", headers=bearer, data={"text": "It ships tomorrow."})
    assert reply.ok, await reply.text()
    badge = page.get_by_test_id("badge")
    await expect(badge).to_have_text("1")
    await page.get_by_test_id("launcher").click()
    await expect(badge).to_be_hidden()
    answer = messages(page).filter(has_text="It ships tomorrow.")
    await expect(answer).to_have_attribute("data-author", "operator")
    await expect(answer).to_have_attribute("data-seq", "2")
    await expect(typing).to_be_hidden()  # their message ends their typing
    await page.screenshot(path=SCREENSHOTS / "widget-demo.png")


async def test_on_a_phone_the_open_widget_fills_the_screen(committed_db: Database, new_context: NewContext) -> None:
    async with committed_db.transaction() as tx:
        await make_workspace(tx.session, slug="demo", name="Demo")
    context = await new_context(locale="ru-RU", viewport={"width": PHONE["width"], "height": PHONE["height"]})
    page = await context.new_page()
    await page.goto("/demo")
    await page.get_by_test_id("launcher").click()
    panel = page.get_by_test_id("panel")
    await expect(panel.get_by_role("heading")).to_have_text("Напишите нам")
    await expect(page.get_by_test_id("greeting")).to_have_text("Здравствуйте! Чем можем помочь?")
    box = await panel.bounding_box()
    assert box == {"x": 0, "y": 0, "width": PHONE["width"], "height": PHONE["height"]}
    await send(page, "Привет")
    await expect(messages(page).filter(has_text="Привет")).to_have_attribute("data-seq", "1")
    await page.screenshot(path=SCREENSHOTS / "widget-phone.png")


def tiny_png() -> bytes:
    """A valid 1×1 PNG, made here rather than shipped."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")  # one row: filter byte, then one red pixel
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


async def test_visitor_sends_a_picture_and_a_refused_file_is_explained(committed_db: Database, page: Page) -> None:
    async with committed_db.transaction() as tx:
        await make_workspace(tx.session, slug="demo", name="Demo")
    await page.goto("/demo")
    await page.get_by_test_id("launcher").click()
    attach = page.get_by_test_id("attach-input")

    await attach.set_input_files(
        files=[FilePayload(name="tool.exe", mimeType="application/x-msdownload", buffer=b"MZ")]
    )
    await expect(page.get_by_test_id("error")).to_have_text(
        "Only images (PNG, JPEG, GIF, WebP), PDF and text files can be sent."
    )
    await expect(messages(page)).to_have_count(0)

    await attach.set_input_files(files=[FilePayload(name="pixel.png", mimeType="image/png", buffer=tiny_png())])
    picture = messages(page).first
    await expect(picture).to_have_attribute("data-seq", "1")
    image = picture.get_by_role("img", name="pixel.png")
    await expect(image).to_have_attribute("src", re.compile(r"/files/[^/]+/pixel\.png\?token="))
    await expect(image).to_have_js_property("naturalWidth", 1)  # loaded: the visitor may read their file
    async with committed_db.transaction() as tx:
        stored = (await tx.session.execute(select(Message.author, Message.attachments))).one()
    assert stored.author == "visitor"
    assert [attachment["name"] for attachment in stored.attachments] == ["pixel.png"]


async def test_messages_written_on_both_sides_while_the_connection_is_cut_arrive_once_and_in_order(
    committed_db: Database, page: Page, live_server: LiveServer
) -> None:
    async with committed_db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="demo", name="Demo")
        operator = await make_actor(tx.session, workspace=workspace)
    await page.goto("/demo")
    await page.get_by_test_id("launcher").click()
    await send(page, "First")
    await expect(messages(page).filter(has_text="First")).to_have_attribute("data-seq", "1")

    await live_server.stop()  # the connection is cut: a deploy, a crash, a lost network
    status = page.get_by_test_id("connection-status")
    await expect(status).to_have_text("Reconnecting…")
    async with committed_db.transaction() as tx:  # an operator answers meanwhile (through another process)
        conversation_id = await tx.session.scalar(select(Message.conversation_id).limit(1))
        assert conversation_id is not None
        await reply_as_operator(tx.session, operator, conversation_id, text="Answer while you were away", at=NOW)
    await send(page, "Written while away")
    away = messages(page).filter(has_text="Written while away")
    await expect(away).to_have_attribute("data-status", "sending")

    await live_server.start()
    # The widget retries with backoff (1 s doubling, jittered): allow for a few attempts.
    await expect(away).to_have_attribute("data-seq", "3", timeout=20_000)
    await expect(away).not_to_have_attribute("data-status", re.compile("."))
    await expect(status).to_be_hidden()
    await expect(messages(page)).to_have_text([re.compile("First"), re.compile("Answer while"), re.compile("Written")])
    assert await stored_messages(committed_db) == [
        ("visitor", "First", "web"),
        ("operator", "Answer while you were away", "web"),
        ("visitor", "Written while away", "web"),
    ]
