"""The Broadcasts pages and API for an editor: compose a draft (Telegram formatting sanitised, link
and flow buttons, a segment) with its reach counted; a test to one's own chat through the fake Bot
API (metered); schedule and unschedule; send now, pause, resume, cancel with the progress to match;
an audience of nobody refused with the reason; another workspace's broadcast is 404."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy import func, select

from accounts.roles import Role
from billing.models import UsageRecord
from channels.telegram.models import TelegramBot
from core.app import build_app
from core.config import TelegramSettings
from core.db import Database
from tests.bots import BOX
from tests.broadcasts.seed import make_subscriber
from tests.factories import Client, log_in, make_operator, make_settings, make_workspace
from tests.fakes.embedders import HashingEmbedder
from tests.fakes.telegram_server import FakeTelegram

TOKEN = "4242:broadcast-page-token"
ME = 9001


@dataclass
class Desk:
    client: Client
    csrf: str
    tg: FakeTelegram
    bot_id: int
    me_subscriber: int
    db: Database


@pytest.fixture
async def desk(db: Database, aiohttp_client: AiohttpClient) -> AsyncIterator[Desk]:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        await make_operator(tx.session, workspace=workspace, role=Role.EDITOR, email="editor@example.com")
        bot = TelegramBot(
            workspace_id=workspace.id,
            connection_id="broadcast-page-connection",
            telegram_id=4242,
            username="acme_bot",
            name="Acme",
            token_sealed=BOX.seal(TOKEN),
            mode="polling",
        )
        tx.session.add(bot)
        await tx.session.flush()
        me = await make_subscriber(tx.session, bot, ME, username="editor_me", properties={"utm_source": "staff"})
        for chat in (9002, 9003):
            await make_subscriber(tx.session, bot, chat, properties={"utm_source": "ads"})
        bot_id, me_id = bot.id, me.id
    async with FakeTelegram() as tg:
        tg.add_bot(TOKEN, username="acme_bot")
        for chat in (ME, 9002, 9003):
            tg.add_user(chat)
        settings = make_settings(telegram=TelegramSettings(api_url=tg.base_url))
        client = await aiohttp_client(build_app(settings, database=db, embedder=HashingEmbedder()))
        csrf = await log_in(client, "editor@example.com")
        yield Desk(client, csrf, tg, bot_id, me_id, db)


async def _post(desk: Desk, path: str, data: dict[str, str]) -> str:
    """Submit a page's form; the page it lands on (with the flashed message)."""
    response = await desk.client.post(path, data={"_csrf": desk.csrf, **data}, allow_redirects=False)
    assert response.status == 303, await response.text()
    landed = await desk.client.get(response.headers["Location"])
    return await landed.text()


def _draft(desk: Desk, **extra: str) -> dict[str, str]:
    return {
        "name": "Spring sale",
        "bot_id": str(desk.bot_id),
        "text": '<b>Spring</b> sale <script>alert(1)</script><a href="https://shop.example/sale">-20%</a>',
        "button_label": "Open the shop",
        "button_kind": "url",
        "button_url": "https://shop.example",
        "button_flow": "",
        "audience": "all",
        **extra,
    }


async def _status(desk: Desk, broadcast_id: int) -> dict[str, object]:
    response = await desk.client.get(f"/api/v1/broadcasts/{broadcast_id}/progress", headers={"X-Workspace": "acme"})
    assert response.status == 200
    return dict((await response.json())["progress"])


async def test_an_editor_composes_tests_schedules_and_sends_a_broadcast(desk: Desk) -> None:
    listed = await (await desk.client.get("/w/acme/broadcasts")).text()
    assert "New broadcast" in listed and "No broadcasts yet." in listed

    page = await _post(desk, "/w/acme/broadcasts", _draft(desk))
    assert "Saved as a draft" in page
    broadcast_id = int(re.findall(r"/w/acme/broadcasts/(\d+)/send", page)[0])
    assert "3 subscribers" in page
    api = await (await desk.client.get(f"/api/v1/broadcasts/{broadcast_id}", headers={"X-Workspace": "acme"})).json()
    assert "<script>" not in api["broadcast"]["text"] and "<b>Spring</b>" in api["broadcast"]["text"]
    assert api["broadcast"]["buttons"] == [{"label": "Open the shop", "url": "https://shop.example"}]

    # A segment: the reach follows it.
    segment = _draft(desk, audience="segment", property_key="utm_source", property_value="ads")
    page = await _post(desk, f"/w/acme/broadcasts/{broadcast_id}", segment)
    assert "2 subscribers" in page

    # A test to my own chat: it arrives formatted, with its button, and is metered.
    page = await _post(desk, f"/w/acme/broadcasts/{broadcast_id}/test", {"subscriber_id": str(desk.me_subscriber)})
    assert "The test was sent" in page
    sent = desk.tg.sent_to(ME)
    assert len(sent) == 1 and sent[0].parse_mode == "HTML" and "<b>Spring</b>" in (sent[0].text or "")
    assert sent[0].reply_markup == {"inline_keyboard": [[{"text": "Open the shop", "url": "https://shop.example"}]]}
    async with desk.db.transaction() as tx:
        metered = await tx.session.scalar(
            select(func.sum(UsageRecord.quantity)).where(UsageRecord.metric == "telegram_message")
        )
    assert metered == 1

    # Scheduled, then back to a draft.
    page = await _post(desk, f"/w/acme/broadcasts/{broadcast_id}/schedule", {"at": "2099-05-01T10:30"})
    assert "Scheduled" in page and (await _status(desk, broadcast_id))["status"] == "scheduled"
    await _post(desk, f"/w/acme/broadcasts/{broadcast_id}/unschedule", {})
    assert (await _status(desk, broadcast_id))["status"] == "draft"

    # Sent now: two recipients planned; paused, resumed, cancelled (the rest skipped).
    page = await _post(desk, f"/w/acme/broadcasts/{broadcast_id}/send", {})
    assert "Sending to 2 subscribers." in page
    progress = await _status(desk, broadcast_id)
    assert (progress["status"], progress["total"], progress["pending"]) == ("sending", 2, 2)
    await _post(desk, f"/w/acme/broadcasts/{broadcast_id}/pause", {})
    assert (await _status(desk, broadcast_id))["status"] == "paused"
    await _post(desk, f"/w/acme/broadcasts/{broadcast_id}/resume", {})
    await _post(desk, f"/w/acme/broadcasts/{broadcast_id}/cancel", {})
    progress = await _status(desk, broadcast_id)
    assert (progress["status"], progress["skipped"], progress["pending"]) == ("cancelled", 2, 0)
    listed = await (await desk.client.get("/w/acme/broadcasts")).text()
    assert "Spring sale" in listed and "Cancelled" in listed


async def test_an_audience_of_nobody_is_refused_and_another_workspace_sees_nothing(desk: Desk) -> None:
    nobody = _draft(desk, audience="segment", property_key="utm_source", property_value="nobody")
    page = await _post(desk, "/w/acme/broadcasts", nobody)
    broadcast_id = int(re.findall(r"/w/acme/broadcasts/(\d+)/send", page)[0])
    page = await _post(desk, f"/w/acme/broadcasts/{broadcast_id}/send", {})
    assert "Nobody matches" in page
    assert (await _status(desk, broadcast_id))["status"] == "draft"

    async with desk.db.transaction() as tx:
        other = await make_workspace(tx.session, slug="other")
        await make_operator(tx.session, workspace=other, role=Role.ADMIN, email="other@example.com")
    desk.client.session.cookie_jar.clear()
    await log_in(desk.client, "other@example.com")
    assert (await desk.client.get(f"/w/other/broadcasts/{broadcast_id}")).status == 404
    api = await desk.client.get(f"/api/v1/broadcasts/{broadcast_id}/progress", headers={"X-Workspace": "other"})
    assert api.status == 404
