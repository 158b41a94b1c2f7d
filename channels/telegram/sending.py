"""Making the Bot API calls `mapping.plan_sends` planned, through aiogram, paced by the process's
`SendPacer`; every failure comes out as one of `channels.telegram.client`'s."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiogram import Bot
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup, Message

from channels.base import AttachmentRef
from channels.telegram.client import TELEGRAM_ERRORS, RateLimited, TelegramClients, failure_of
from channels.telegram.mapping import Keyboard, Send
from channels.telegram.pacing import CHAT_BURST, SendPacer
from core.clock import Clock
from core.crypto import SecretBox
from core.db import Database
from core.files import FileStore
from core.ids import TelegramBotId


@dataclass(frozen=True)
class SendingParts:
    """What sending through a bot needs — for dialogs (the outbox's TelegramChannel) and broadcasts
    alike — built once in the composition root."""

    database: Database
    clients: TelegramClients
    box: SecretBox  # opens the bots' sealed tokens
    files: FileStore
    pacer: SendPacer  # the process's: one per process, shared by every sender
    clock: Clock


# An attachment's bytes, or the file_id of a copy Telegram already keeps for this bot (no upload).
ReadFile = Callable[[AttachmentRef], Awaitable[bytes | str]]
# Told the file_id Telegram gave an attachment it was sent the bytes of, for the next send to reuse.
Uploaded = Callable[[AttachmentRef, str], None]


async def send_planned(
    bot: Bot,
    bot_id: TelegramBotId,
    chat_id: int,
    sends: Sequence[Send],
    *,
    pacer: SendPacer,
    per_second: float,
    read_file: ReadFile,
    chat_burst: int = CHAT_BURST,
    allow_paid_broadcast: bool = False,
    uploaded: Uploaded | None = None,
) -> list[int]:
    """The Telegram message ids sent, in order. Raises a TelegramFailure (after a 429 the bot is held
    for `retry_after`); sends made before a failure stay made. `allow_paid_broadcast`: the bot pays
    (in Stars) to go beyond the free 30 messages/s."""
    sent: list[int] = []
    for planned in sends:
        await pacer.wait_turn(bot_id, chat_id, per_second, chat_burst=chat_burst)
        try:
            message = await _call(bot, chat_id, planned, read_file, uploaded, paid=allow_paid_broadcast or None)
        except TELEGRAM_ERRORS as error:
            failure = failure_of(error)
            if isinstance(failure, RateLimited):
                pacer.hold(bot_id, failure.retry_after)
            raise failure from error
        sent.append(message.message_id)
    return sent


async def _call(
    bot: Bot, chat_id: int, planned: Send, read_file: ReadFile, uploaded: Uploaded | None, *, paid: bool | None
) -> Message:
    """`paid` None leaves `allow_paid_broadcast` out of the request."""
    markup = _markup(planned.keyboard)
    mode = planned.parse_mode
    attachment = planned.attachment
    if planned.method == "sendMessage" or attachment is None:
        return await bot.send_message(
            chat_id, planned.text, parse_mode=mode, reply_markup=markup, allow_paid_broadcast=paid
        )
    source = await read_file(attachment)
    upload = source if isinstance(source, str) else BufferedInputFile(source, filename=attachment.name)
    caption = planned.text or None
    if planned.method == "sendPhoto":
        message = await bot.send_photo(
            chat_id, upload, caption=caption, parse_mode=mode, reply_markup=markup, allow_paid_broadcast=paid
        )
    else:
        message = await bot.send_document(
            chat_id, upload, caption=caption, parse_mode=mode, reply_markup=markup, allow_paid_broadcast=paid
        )
    file_id = _file_id(message)
    if uploaded is not None and not isinstance(source, str) and file_id is not None:
        uploaded(attachment, file_id)
    return message


def _file_id(message: Message) -> str | None:
    """The file_id of what a message carries: a photo's largest size, else its document."""
    if message.photo:
        return message.photo[-1].file_id
    return None if message.document is None else message.document.file_id


def _markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    rows = [
        [InlineKeyboardButton(text=button.text, callback_data=button.callback_data, url=button.url) for button in row]
        for row in keyboard
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)
