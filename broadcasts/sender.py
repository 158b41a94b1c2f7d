"""Sending a broadcast's message to one chat through its bot: the message planned once per broadcast
(text as Telegram HTML, the image as the photo's caption, link and flow buttons), paced by the
process's SendPacer, every failure told as a `SendFailed` of a `FailureKind`. Also "send a test to
myself": one send to a chosen subscriber, metered, outside any transaction."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from billing.meter import Metric, record_usage
from broadcasts.content import LinkButton, parse_buttons, press_data
from broadcasts.drafts import access_broadcast
from broadcasts.models import Broadcast
from broadcasts.outcomes import FailureKind, send_spacing, sending_rate
from channels.base import AttachmentRef, DeliveryFailed
from channels.telegram.client import (
    OutcomeUnknown,
    RateLimited,
    RecipientBlocked,
    RecipientGone,
    TelegramFailure,
    TelegramUnavailable,
    TokenRejected,
)
from channels.telegram.mapping import Button, CallbackButton, Send, UrlButton, plan_sends
from channels.telegram.models import TelegramBot, TelegramSubscriber
from channels.telegram.pacing import SendPacer
from channels.telegram.sending import SendingParts, send_planned
from conversations.models import Attachment
from core.crypto import SecretBox
from core.errors import InvalidInput, NotFound
from core.files import FileStore
from core.ids import BroadcastId, TelegramBotId, TelegramSubscriberId, WorkspaceId

MAX_FILE_IDS = 1000  # broadcast images whose Telegram copies a process remembers


@dataclass(frozen=True)
class BotLine:
    """A connected bot, ready to send through."""

    bot_id: TelegramBotId
    workspace_id: WorkspaceId
    token: str
    rate: float  # messages per second to pace at
    spacing: float  # seconds at least between two sends leaving
    paid: bool = False  # paid broadcasts: beyond 30/s, for Stars (allow_paid_broadcast)


@dataclass(frozen=True)
class Content:
    broadcast_id: BroadcastId
    sends: tuple[Send, ...]  # one Bot API call: broadcasts.content keeps a broadcast to one
    image: bytes | None


class SendFailed(Exception):
    def __init__(self, kind: FailureKind, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.kind, self.description, self.retry_after = kind, description, retry_after


async def load_bot_line(session: AsyncSession, box: SecretBox, bot_id: TelegramBotId) -> BotLine | None:
    """None when the bot was disconnected."""
    bot = await session.scalar(
        select(TelegramBot).where(TelegramBot.id == bot_id, TelegramBot.disconnected_at.is_(None))
    )
    if bot is None:
        return None
    rate = sending_rate(bot.messages_per_second, paid_broadcasts=bot.paid_broadcasts)
    spacing = send_spacing(bot.messages_per_second, paid_broadcasts=bot.paid_broadcasts)
    return BotLine(bot.id, bot.workspace_id, box.open(bot.token_sealed), rate, spacing, paid=bot.paid_broadcasts)


async def load_content(session: AsyncSession, files: FileStore, broadcast: Broadcast) -> Content:
    """The broadcast's message, its image read; InvalidInput when the image is gone."""
    buttons: list[Button] = [
        UrlButton(button.label, button.url)
        if isinstance(button, LinkButton)
        else CallbackButton(press_data(broadcast.id, index), button.label)
        for index, button in enumerate(parse_buttons(broadcast.buttons))
    ]
    attachment, image = None, None
    if broadcast.image_id is not None:
        stored = await session.scalar(select(Attachment).where(Attachment.id == broadcast.image_id))
        if stored is None:
            raise InvalidInput("The broadcast's image is gone.", field="image_id")
        attachment = AttachmentRef(stored.id, stored.name, stored.content_type, stored.size)
        try:
            image = await files.get(stored.storage_key)
        except OSError:
            raise InvalidInput("The broadcast's image is gone.", field="image_id") from None
    attachments = [] if attachment is None else [attachment]
    sends = plan_sends(broadcast.text, buttons=buttons, attachments=attachments, parse_mode="HTML")
    return Content(broadcast.id, sends, image)


def failure_kind(failure: TelegramFailure) -> FailureKind:
    match failure:
        case RateLimited():
            return FailureKind.RATE_LIMITED
        case RecipientBlocked():
            return FailureKind.BLOCKED
        case RecipientGone():
            return FailureKind.GONE
        case TokenRejected():
            return FailureKind.BOT_REVOKED
        case OutcomeUnknown():
            return FailureKind.UNKNOWN
        case TelegramUnavailable():
            return FailureKind.UNAVAILABLE
    return FailureKind.UNAVAILABLE if failure.retryable else FailureKind.REJECTED


async def _turn_taken(seconds: float) -> None:
    """The pacer's sleep once the shared pacer has been waited for (see `send_after_turn`)."""


class BroadcastSender:
    def __init__(self, parts: SendingParts) -> None:
        self._parts = parts
        # `send_planned` waits its turn itself; delivery must wait *before* committing the in-flight
        # marker (broadcasts.delivery), so after that wait it gets a pacer that never sleeps.
        self._no_wait = SendPacer(sleep=_turn_taken)
        self._last_slot: dict[TelegramBotId, float] = {}  # when the last send to take a slot may leave
        self._last_left: dict[TelegramBotId, float] = {}  # when the last send actually left
        # The image of a broadcast is uploaded once per bot and process; later sends name Telegram's copy.
        self._file_ids: dict[tuple[TelegramBotId, BroadcastId], str] = {}

    async def wait_turn(self, line: BotLine, chat_id: int) -> None:
        await self._parts.pacer.wait_turn(line.bot_id, chat_id, line.rate)

    async def send_after_turn(self, line: BotLine, chat_id: int, content: Content) -> int:
        """The Telegram message id; raises SendFailed (a 429 holds the bot in the shared pacer).
        Sends whose turns came on time but whose in-flight commits took different times are
        spaced again here: each takes the next slot in order, and once its slot has come it still
        waits until `line.spacing` after the send before it actually left — lanes that wake late
        together (the event loop was busy) never leave in a bunch that would crowd Telegram's
        one-second window."""
        now = time.monotonic()
        slot = max(now, self._last_slot.get(line.bot_id, 0.0) + line.spacing)
        self._last_slot[line.bot_id] = slot
        if slot > now:
            await asyncio.sleep(slot - now)
        # Waiting for a moment, not for an event:
        while (wait := self._last_left.get(line.bot_id, 0.0) + line.spacing - time.monotonic()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)
        self._last_left[line.bot_id] = time.monotonic()
        return await self._send(line, chat_id, content, self._no_wait)

    async def send_test(self, actor: Actor, broadcast_id: BroadcastId, subscriber_id: TelegramSubscriberId) -> int:
        """Sends the broadcast to one subscriber of its bot (the editor's own chat) and meters it;
        the Telegram message id. DeliveryFailed when Telegram does not take it."""
        async with self._parts.database.transaction() as tx:
            broadcast = await access_broadcast(tx.session, actor, broadcast_id)
            chat_id = await tx.session.scalar(
                select(TelegramSubscriber.chat_id).where(
                    TelegramSubscriber.id == subscriber_id,
                    TelegramSubscriber.bot_id == broadcast.bot_id,
                    TelegramSubscriber.workspace_id == actor.workspace_id,
                )
            )
            if chat_id is None:
                raise NotFound("No such subscriber of this broadcast's bot.")
            line = await load_bot_line(tx.session, self._parts.box, broadcast.bot_id)
            if line is None:
                raise InvalidInput("The broadcast's bot is not connected any more.", field="bot_id")
            content = await load_content(tx.session, self._parts.files, broadcast)
        try:
            message_id = await self._send(line, chat_id, content, self._parts.pacer)
        except SendFailed as failure:
            raise DeliveryFailed(
                "Telegram did not take the test message: {reason}",
                retryable=failure.kind in (FailureKind.RATE_LIMITED, FailureKind.UNAVAILABLE),
                retry_after=failure.retry_after,
                reason=failure.description,
            ) from None
        async with self._parts.database.transaction() as tx:
            await record_usage(
                tx.session,
                workspace_id=line.workspace_id,
                metric=Metric.TELEGRAM_MESSAGE,
                quantity=1,
                idempotency_key=f"broadcast-test:{broadcast_id}:{chat_id}:{message_id}",
                occurred_at=self._parts.clock.now(),
            )
        return message_id

    async def _send(self, line: BotLine, chat_id: int, content: Content, pacer: SendPacer) -> int:
        copy = (line.bot_id, content.broadcast_id)

        async def read_image(_: AttachmentRef) -> bytes | str:
            return self._file_ids.get(copy) or content.image or b""

        def uploaded(_: AttachmentRef, file_id: str) -> None:
            if len(self._file_ids) >= MAX_FILE_IDS:
                self._file_ids.clear()
            self._file_ids[copy] = file_id

        try:
            sent = await send_planned(
                self._parts.clients.bot(line.token),  # TokenRejected too, for a token not shaped like one
                line.bot_id,
                chat_id,
                content.sends,
                pacer=pacer,
                per_second=line.rate,
                read_file=read_image,
                allow_paid_broadcast=line.paid,
                uploaded=uploaded,
            )
        except TelegramFailure as failure:
            if isinstance(failure, RateLimited):
                self._parts.pacer.hold(line.bot_id, failure.retry_after)
            retry_after = failure.retry_after if isinstance(failure, RateLimited) else None
            raise SendFailed(failure_kind(failure), failure.description, retry_after) from None
        return sent[-1]
