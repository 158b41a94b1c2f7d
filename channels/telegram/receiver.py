"""What happens to one update, from the webhook or from long polling: read it (pure mapping),
download the files it carries, then in one transaction handle it and let the bot answer; after the
commit answer the button press (the person's client stops spinning), run the bot's follow-ups and
kick the outbox so its replies go out at once. The usual update, a subscriber's text into their
open dialog, is one statement committed on its own; the bot then answers in a transaction of its
own (should this process die between the two, the bot's sweep answers it)."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from aiogram import Bot
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from broadcasts.presses import resolve_broadcast_press
from channels.telegram.client import TELEGRAM_ERRORS, TelegramClients, failure_of
from channels.telegram.connections import WebhookSecrets
from channels.telegram.inbound import Downloaded, append_quickly, handle_update
from channels.telegram.mapping import CallbackButton
from channels.telegram.models import TelegramBot
from channels.telegram.updates import ButtonPress, ChatMessage, Ignored, TelegramFile, read_update
from conversations.attachment_policy import MAX_FILE_BYTES
from core.clock import Clock
from core.crypto import SecretBox
from core.db import Database
from core.files import FileStore
from core.keys import BotAnswer, BotReactions, DeliveryQueue
from flows.events import flow_button_id

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Parts:
    """What a receiver needs, built once in the composition root."""

    database: Database
    clients: TelegramClients
    box: SecretBox
    files: FileStore
    clock: Clock
    bots: BotReactions
    outbox: DeliveryQueue


class UpdateReceiver:
    def __init__(self, parts: Parts) -> None:
        self._parts = parts
        self._tokens: dict[str, str] = {}  # sealed -> opened: decrypting per update costs more than it needs

    async def receive(self, bot: TelegramBot, payload: Mapping[str, object]) -> None:
        """Never raises for a bad update: it is logged and dropped (Telegram would only resend it)."""
        update = read_update(payload)
        if isinstance(update, Ignored):
            log.info("telegram update ignored", extra={"bot_id": bot.id, "reason": update.reason})
        token = self._tokens.get(bot.token_sealed)
        if token is None:
            token = self._tokens[bot.token_sealed] = self._parts.box.open(bot.token_sealed)
        client = self._parts.clients.bot(token)
        files = await self._download(client, update) if isinstance(update, ChatMessage) else []
        async with self._parts.database.autocommit() as connection:
            quick = await append_quickly(connection, bot, update, files=files, at=self._parts.clock.now())
        if quick is not None:  # stored and committed: the bot answers in a transaction of its own
            if quick.owner == "bot":
                await self._parts.bots.messages_arrived(quick.conversation_id)
                await self._parts.outbox.deliver_due()
            return
        answer: BotAnswer | None = None
        async with self._parts.database.transaction() as tx:
            handled = await handle_update(
                tx.session,
                bot,
                update,
                at=self._parts.clock.now(),
                store=self._parts.files,
                files=files,
                other_buttons=_broadcast_button,
            )
            received = handled.received
            if received is not None and not received.duplicate and received.owner == "bot":
                answer = await self._parts.bots.answer_in(tx.session, received.conversation_id)
        press = update.callback_query_id if isinstance(update, ButtonPress | Ignored) else None
        if press is not None and not handled.duplicate:
            await _answer_press(client, press)
        if answer is not None:  # the bot's replies wait in the outbox: on their way now
            await answer.after_commit()
            await self._parts.outbox.deliver_due()

    async def _download(self, client: Bot, message: ChatMessage) -> list[Downloaded]:
        """Each file's bytes; None for one too large or that failed to download (the text names it)."""
        return [Downloaded(file, await _download_one(client, file)) for file in message.files]


async def _broadcast_button(session: AsyncSession, bot: TelegramBot, data: str) -> CallbackButton | None:
    """A broadcast's "start a flow" button, pressed: the flow button the runtime starts."""
    pressed = await resolve_broadcast_press(session, bot.workspace_id, data)
    return None if pressed is None else CallbackButton(flow_button_id(pressed.flow_id), pressed.label)


async def _download_one(client: Bot, file: TelegramFile) -> bytes | None:
    if file.size is not None and file.size > MAX_FILE_BYTES:
        return None
    try:
        found = await client.get_file(file.file_id)
        if found.file_path is None or (found.file_size or 0) > MAX_FILE_BYTES:
            return None
        buffer = io.BytesIO()
        await client.download_file(found.file_path, destination=buffer)
    except TELEGRAM_ERRORS as error:
        log.warning("a Telegram file could not be downloaded", extra={"reason": failure_of(error).description})
        return None
    return buffer.getvalue()


async def _answer_press(client: Bot, callback_query_id: str) -> None:
    try:
        await client.answer_callback_query(callback_query_id)
    except TELEGRAM_ERRORS as error:  # too old, or Telegram busy: the person's spinner stops by itself
        log.info("answering a button press failed", extra={"reason": failure_of(error).description})


class ConnectedBots:
    """Bots by their webhook's connection id, remembered for a minute: the webhook need not look its
    bot up in a transaction of its own for every update. A disconnect still counts at once
    (channels.telegram.inbound takes updates only for a connected bot)."""

    def __init__(self, database: Database, *, seconds: float = 60.0) -> None:
        self._database = database
        self._seconds = seconds
        self._known: dict[str, tuple[TelegramBot, float]] = {}

    async def by_connection(self, connection_id: str) -> TelegramBot | None:
        known = self._known.get(connection_id)
        if known is not None and time.monotonic() - known[1] < self._seconds:
            return known[0]
        async with self._database.transaction() as tx:
            bot = await tx.session.scalar(
                select(TelegramBot).where(
                    TelegramBot.connection_id == connection_id, TelegramBot.disconnected_at.is_(None)
                )
            )
        if bot is None:
            self._known.pop(connection_id, None)
            return None
        self._known[connection_id] = (bot, time.monotonic())
        return bot


@dataclass(frozen=True)
class TelegramEdge:
    """The channel's shared parts for the web edges: the webhook, the admin's Channels page."""

    clients: TelegramClients
    secrets: WebhookSecrets
    receiver: UpdateReceiver
    bots: ConnectedBots


telegram_key: web.AppKey[TelegramEdge] = web.AppKey("telegram", TelegramEdge)
