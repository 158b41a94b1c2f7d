"""Making the Bot API calls `mapping.plan_sends` planned, through aiogram, paced by the process's
`SendPacer`; every failure comes out as one of `channels.telegram.client`'s."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from aiogram import Bot
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup, Message

from channels.base import AttachmentRef
from channels.telegram.client import TELEGRAM_ERRORS, RateLimited, failure_of
from channels.telegram.mapping import Keyboard, Send
from channels.telegram.pacing import CHAT_BURST, SendPacer
from core.ids import TelegramBotId

ReadFile = Callable[[AttachmentRef], Awaitable[bytes]]


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
) -> list[int]:
    """The Telegram message ids sent, in order. Raises a TelegramFailure (after a 429 the bot is held
    for `retry_after`); sends made before a failure stay made. `allow_paid_broadcast`: the bot pays
    (in Stars) to go beyond the free 30 messages/s."""
    sent: list[int] = []
    for planned in sends:
        await pacer.wait_turn(bot_id, chat_id, per_second, chat_burst=chat_burst)
        try:
            message = await _call(bot, chat_id, planned, read_file, paid=allow_paid_broadcast or None)
        except TELEGRAM_ERRORS as error:
            failure = failure_of(error)
            if isinstance(failure, RateLimited):
                pacer.hold(bot_id, failure.retry_after)
            raise failure from error
        sent.append(message.message_id)
    return sent


async def _call(bot: Bot, chat_id: int, planned: Send, read_file: ReadFile, *, paid: bool | None) -> Message:
    """`paid` None leaves `allow_paid_broadcast` out of the request."""
    markup = _markup(planned.keyboard)
    mode = planned.parse_mode
    if planned.method == "sendMessage" or planned.attachment is None:
        return await bot.send_message(
            chat_id, planned.text, parse_mode=mode, reply_markup=markup, allow_paid_broadcast=paid
        )
    upload = BufferedInputFile(await read_file(planned.attachment), filename=planned.attachment.name)
    caption = planned.text or None
    if planned.method == "sendPhoto":
        return await bot.send_photo(
            chat_id, upload, caption=caption, parse_mode=mode, reply_markup=markup, allow_paid_broadcast=paid
        )
    return await bot.send_document(
        chat_id, upload, caption=caption, parse_mode=mode, reply_markup=markup, allow_paid_broadcast=paid
    )


def _markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    rows = [
        [InlineKeyboardButton(text=button.text, callback_data=button.callback_data, url=button.url) for button in row]
        for row in keyboard
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)
