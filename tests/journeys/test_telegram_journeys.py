"""An admin connects a Telegram bot on the Channels page in a real Chromium (a wrong token refused
with the reason, nothing saved; the right one checked with the fake Bot API and listed), then
composes a broadcast: its reach counted, a test sent to their own chat, sent to everyone, and the
progress view following the delivery live until it is finished."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select

from broadcasts.runner import BroadcastRunner
from channels.telegram.client import TelegramClients
from channels.telegram.models import TelegramBot
from channels.telegram.pacing import SendPacer
from channels.telegram.sending import SendingParts
from core.clock import SystemClock
from core.db import Database
from core.files import LocalFileStore
from tests.bots import BOX
from tests.broadcasts.seed import make_subscriber
from tests.fakes.telegram_server import FakeTelegram
from tests.journeys.test_admin_journeys import log_in, navigation, seed_admin

TOKEN = "5151:journey-token"
ME, FRIEND = 7001, 7002


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def telegram_api_url(fake_telegram: FakeTelegram) -> str:
    """The served app talks to the fake Bot API."""
    return fake_telegram.base_url


async def test_an_admin_connects_a_bot_and_broadcasts_to_its_subscribers(
    committed_db: Database, page: Page, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fake_telegram.add_bot(TOKEN, username="acme_journey_bot", first_name="Acme")
    for chat in (ME, FRIEND):
        fake_telegram.add_user(chat)
    await seed_admin(committed_db, email="admin@acme.test")
    await page.goto("/login")
    await log_in(page, "admin@acme.test")
    await navigation(page).get_by_role("link", name="Channels").click()

    telegram = page.get_by_test_id("telegram")
    connect = telegram.get_by_test_id("telegram-connect")
    await connect.locator("input[name=token]").fill("1234:not-a-bot-the-fake-knows")
    await connect.get_by_role("button", name="Connect the bot").click()
    await expect(page.get_by_role("status")).to_contain_text("Telegram did not accept this token")
    await expect(telegram.get_by_test_id("telegram-bot")).to_have_count(0)

    await connect.locator("input[name=token]").fill(TOKEN)
    await connect.get_by_label("Long polling (works anywhere)").check()
    await connect.get_by_role("button", name="Connect the bot").click()
    await expect(page.get_by_role("status")).to_contain_text("The bot is connected")
    await expect(telegram.get_by_test_id("telegram-bot")).to_contain_text("@acme_journey_bot")

    # Two people subscribed (they pressed Start; the poller is not running in this test).
    async with committed_db.transaction() as tx:
        bot = (await tx.session.scalars(select(TelegramBot))).one()
        await make_subscriber(tx.session, bot, ME, username="acme_admin")
        await make_subscriber(tx.session, bot, FRIEND)

    await navigation(page).get_by_role("link", name="Broadcasts").click()
    await page.get_by_test_id("new-broadcast").click()
    form = page.get_by_test_id("broadcast-form")
    await form.locator("input[name=name]").fill("Spring sale")
    await form.locator("textarea[name=text]").fill("<b>Spring</b> sale: -20% this week")
    await form.locator("input[name=button_label]").first.fill("Open the shop")
    await form.locator("input[name=button_url]").first.fill("https://shop.example")
    await form.get_by_test_id("save").click()
    await expect(page.get_by_role("status")).to_contain_text("Saved as a draft")
    await expect(page.get_by_test_id("reach")).to_contain_text("2 subscribers")

    test = page.get_by_test_id("test-form")
    await test.locator("input[type=search]").fill("acme")
    await expect(test.locator("select[name=subscriber_id] option")).to_have_count(1)
    await test.get_by_test_id("send-test").click()
    await expect(page.get_by_role("status")).to_contain_text("The test was sent")
    assert [sent.text for sent in fake_telegram.sent_to(ME)] == ["<b>Spring</b> sale: -20% this week"]

    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_test_id("send-now").click()
    await expect(page.get_by_role("status")).to_contain_text("Sending to 2 subscribers.")
    progress = page.get_by_test_id("progress")
    await expect(progress.locator("[data-field=pending]")).to_have_text("2")

    # A worker sends it (here, passes of the runner the server would run); the page follows live.
    clients = TelegramClients(fake_telegram.base_url)
    runner = BroadcastRunner(
        SendingParts(committed_db, clients, BOX, LocalFileStore(tmp_path), SendPacer(), SystemClock())
    )
    try:
        while await runner.deliver_once() > 0:
            pass
    finally:
        await clients.close()
    await expect(page.get_by_test_id("status")).to_have_text("Finished", timeout=15_000)
    await expect(page.get_by_test_id("progress").locator("[data-field=sent]")).to_have_text("2")
    assert len(fake_telegram.sent_to(FRIEND)) == 1 and len(fake_telegram.sent_to(ME)) == 2
    await expect(page).to_have_url(re.compile(r"/w/acme/broadcasts/\d+$"))
