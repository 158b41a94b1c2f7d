"""Pacing sends to Telegram's limits in this process (../shared/PROTOCOLS.md §1.1): a token bucket
per bot (~30 messages/s free, up to 1,000 with paid broadcasts) and per chat (1/s, short bursts
tolerated), kept as "the earliest moment the next send may go" (GCRA: a late send never lets the
ones after it bunch up). A flood answer (`retry_after`) holds the whole bot for exactly that long."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from core.ids import TelegramBotId

PER_CHAT_PER_SECOND = 1.0
CHAT_BURST = 3  # a bot's answer of a few messages goes out at once, as Telegram tolerates


@dataclass
class _Bucket:
    interval: float  # seconds between sends at the steady rate
    burst: int  # sends that may go back to back
    next_at: float = 0.0  # the theoretical arrival time of the next send (GCRA)

    def reserve(self, now: float) -> float:
        """The moment this send may go (>= now); books it."""
        slot = max(now, self.next_at - (self.burst - 1) * self.interval)
        self.next_at = max(self.next_at, slot) + self.interval
        return slot


@dataclass
class SendPacer:
    """`wait_turn(bot, chat, rate)` before every send; `hold(bot, seconds)` after a 429."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _bots: dict[TelegramBotId, _Bucket] = field(default_factory=dict)
    _chats: dict[tuple[TelegramBotId, int], _Bucket] = field(default_factory=dict)
    _held_until: dict[TelegramBotId, float] = field(default_factory=dict)

    async def wait_turn(
        self, bot_id: TelegramBotId, chat_id: int, per_second: float, *, chat_burst: int = CHAT_BURST
    ) -> None:
        bot = self._bots.get(bot_id)
        if bot is None or bot.interval != 1.0 / per_second:
            bot = self._bots[bot_id] = _Bucket(1.0 / per_second, 1, bot.next_at if bot else 0.0)
        chat = self._chats.setdefault((bot_id, chat_id), _Bucket(1.0 / PER_CHAT_PER_SECOND, chat_burst))
        now = self.monotonic()
        # The chat's turn first, then the bot's slot from then on: a chat waiting never wastes the bot's slots.
        at_chat = chat.reserve(max(now, self._held_until.get(bot_id, 0.0)))
        at = bot.reserve(at_chat)
        if len(self._chats) > 100_000:  # forget chats whose buckets are long full again
            self._chats = {key: b for key, b in self._chats.items() if b.next_at > now}
        delay = at - now
        if delay > 0:
            await self.sleep(delay)

    def hold(self, bot_id: TelegramBotId, seconds: float) -> None:
        """Telegram said "retry after N": nothing goes through this bot before then."""
        until = self.monotonic() + seconds
        self._held_until[bot_id] = max(self._held_until.get(bot_id, 0.0), until)
