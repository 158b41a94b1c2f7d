"""Telegram as an outbound channel for dialogs: bot answers and operator replies (text, buttons as
an inline keyboard, images and files) reach the person through the bot they wrote to. A person who
blocked the bot is marked unsubscribed; flood control is honoured to the second."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from channels.base import AttachmentRef, Capabilities, ChannelKind, DeliveryFailed, DeliveryReceipt, OutboundMessage
from channels.telegram.client import (
    OutcomeUnknown,
    RateLimited,
    RecipientBlocked,
    RecipientGone,
    TelegramFailure,
    TokenRejected,
)
from channels.telegram.inbound import chat_of, mark_unreachable, message_reference
from channels.telegram.mapping import CallbackButton, MediaTooLarge, plan_sends
from channels.telegram.models import TelegramBot
from channels.telegram.sending import SendingParts, send_planned
from conversations.models import Attachment
from core.ids import TelegramBotId, WorkspaceId


@dataclass(frozen=True)
class _Connected:
    token: str
    per_second: int


class TelegramChannel:
    kind = ChannelKind.TELEGRAM
    capabilities = Capabilities(buttons=True, attachments=True, typing=False)

    def __init__(self, parts: SendingParts) -> None:
        self._parts = parts

    async def send(self, message: OutboundMessage) -> DeliveryReceipt:
        bot_id, chat_id = chat_of(message.address)
        connected = await self._connected(bot_id, message.workspace_id)
        buttons = [CallbackButton(button_id, label) for button_id, label in message.buttons]
        try:
            sends = plan_sends(message.text, buttons=buttons, attachments=message.attachments)
        except MediaTooLarge as error:
            raise DeliveryFailed(error.message, retryable=False) from None
        try:
            sent = await send_planned(
                self._parts.clients.bot(connected.token),
                bot_id,
                chat_id,
                sends,
                pacer=self._parts.pacer,
                per_second=connected.per_second,
                read_file=self._read_file,
            )
        except TelegramFailure as failure:
            raise await self._failed(failure, bot_id, chat_id) from None
        reference = message_reference(chat_id, sent[-1]) if sent else None
        return DeliveryReceipt(external_id=reference, billable_messages=len(sent))

    async def _connected(self, bot_id: TelegramBotId, workspace_id: WorkspaceId) -> _Connected:
        async with self._parts.database.transaction() as tx:
            row = (
                await tx.session.execute(
                    select(TelegramBot.token_sealed, TelegramBot.messages_per_second).where(
                        TelegramBot.id == bot_id,
                        TelegramBot.workspace_id == workspace_id,
                        TelegramBot.disconnected_at.is_(None),
                    )
                )
            ).one_or_none()
        if row is None:
            raise DeliveryFailed("The Telegram bot of this dialog is not connected any more.", retryable=False)
        return _Connected(self._parts.box.open(row.token_sealed), row.messages_per_second)

    async def _read_file(self, attachment: AttachmentRef) -> bytes:
        async with self._parts.database.transaction() as tx:
            key = await tx.session.scalar(select(Attachment.storage_key).where(Attachment.id == attachment.id))
        if key is None:
            raise DeliveryFailed("The file {name} is gone.", retryable=False, name=attachment.name)
        return await self._parts.files.get(key)

    async def _unreachable(self, bot_id: TelegramBotId, chat_id: int, reason: str) -> None:
        async with self._parts.database.transaction() as tx:
            await mark_unreachable(tx.session, bot_id, chat_id, reason=reason, at=self._parts.clock.now())

    async def _failed(self, failure: TelegramFailure, bot_id: TelegramBotId, chat_id: int) -> DeliveryFailed:
        match failure:
            case RateLimited(retry_after=wait):
                return DeliveryFailed(
                    "Telegram asked to wait {seconds} s.", retryable=True, retry_after=wait, seconds=wait
                )
            case RecipientBlocked(reason=reason):
                await self._unreachable(bot_id, chat_id, reason)
                if reason == "deactivated":
                    return DeliveryFailed("The person deleted their Telegram account.", retryable=False)
                return DeliveryFailed("The person blocked the bot.", retryable=False)
            case RecipientGone():
                await self._unreachable(bot_id, chat_id, "chat-not-found")
                return DeliveryFailed("Telegram does not know this chat any more.", retryable=False)
            case TokenRejected():
                return DeliveryFailed(
                    "Telegram rejected the bot's token; connect the bot again on the Channels page.", retryable=False
                )
            case OutcomeUnknown():  # sent again by itself it might arrive twice: the operator decides
                return DeliveryFailed(
                    "Telegram did not answer; the message may have arrived. Retry if the person did not get it.",
                    retryable=False,
                )
        return DeliveryFailed("Telegram: {reason}", retryable=failure.retryable, reason=failure.description)
