"""Telegram's failures as the real aiogram client meets them against the fake Bot API: a request
that got no answer (a timeout) may have been carried out, and a send in that state is not sent
again by itself — an operator's reply is failed with the reason, for them to retry, and the person
has it once; no connection at all, or a 5xx, is simply tried again later."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram.exceptions import AiogramError

from channels.base import ChannelKind, DeliveryFailed, OutboundMessage
from channels.telegram.adapter import TelegramChannel
from channels.telegram.client import OutcomeUnknown, TelegramClients, TelegramUnavailable, failure_of
from channels.telegram.inbound import telegram_address
from channels.telegram.pacing import SendPacer
from channels.telegram.sending import SendingParts
from core.clock import SystemClock
from core.db import Database
from core.files import LocalFileStore
from core.ids import ConversationId, MessageId
from tests.broadcasts.seed import BOX, make_bot
from tests.factories import make_workspace
from tests.fakes.telegram_server import FakeTelegram

TOKEN = "888:failures-token"
CHAT = 8080
TIMEOUT = 0.3


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        fake.add_bot(TOKEN, username="failures_bot")
        fake.add_user(CHAT, first_name="Lev")
        yield fake


async def _failure(clients: TelegramClients, text: str) -> Exception:
    try:
        await clients.bot(TOKEN).send_message(CHAT, text)
    except AiogramError as error:
        return error
    raise AssertionError("the send did not fail")


async def _arrived(tg: FakeTelegram, count: int) -> None:
    for _ in range(250):
        if len(tg.sent_to(CHAT)) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"Telegram did not get {count} message(s)")


async def test_a_timeout_may_have_been_carried_out_and_no_connection_was_not(tg: FakeTelegram) -> None:
    clients = TelegramClients(tg.base_url, timeout=TIMEOUT)
    try:
        tg.delay(TIMEOUT * 3)
        timed_out = failure_of(await _failure(clients, "slow"))
        assert isinstance(timed_out, OutcomeUnknown)
        await _arrived(tg, 1)  # Telegram carried it out after all
        tg.delay(0)
        tg.fail_next("sendMessage", status=502)
        server_error = failure_of(await _failure(clients, "bad gateway"))
        assert isinstance(server_error, TelegramUnavailable) and not isinstance(server_error, OutcomeUnknown)
    finally:
        await clients.close()

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    nowhere = TelegramClients(closed, timeout=TIMEOUT)
    try:
        refused = failure_of(await _failure(nowhere, "nobody there"))
    finally:
        await nowhere.close()
    assert isinstance(refused, TelegramUnavailable) and not isinstance(refused, OutcomeUnknown)
    assert refused.retryable


async def test_a_reply_that_timed_out_is_failed_for_the_operator_not_sent_twice(db: Database, tg: FakeTelegram) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        bot = await make_bot(tx.session, workspace.id, token=TOKEN)
    clients = TelegramClients(tg.base_url, timeout=TIMEOUT)
    channel = TelegramChannel(
        SendingParts(db, clients, BOX, LocalFileStore(Path("/nonexistent")), SendPacer(), SystemClock())
    )
    reply = OutboundMessage(
        workspace_id=workspace.id,
        conversation_id=ConversationId(1),
        message_id=MessageId(1),
        channel=ChannelKind.TELEGRAM,
        address=telegram_address(bot.id, CHAT),
        text="Your order left the warehouse today.",
    )
    try:
        tg.delay(TIMEOUT * 3)
        with pytest.raises(DeliveryFailed) as failed:
            await channel.send(reply)
    finally:
        await clients.close()
    assert not failed.value.retryable
    assert "may have arrived" in str(failed.value)
    await _arrived(tg, 1)
    assert [sent.text for sent in tg.sent_to(CHAT)] == ["Your order left the warehouse today."]
