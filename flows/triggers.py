"""What starts a flow (pure): the triggers a flow declares, the occurrences the runtime reports, and
which trigger, if any, an occurrence matches."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, TypeAlias


class TriggerKind(StrEnum):
    CHAT_OPENED = "chat_opened"
    FIRST_MESSAGE = "first_message"
    KEYWORD = "keyword"
    TELEGRAM_START = "telegram_start"


@dataclass(frozen=True)
class ChatOpenedTrigger:
    """The visitor opened the chat window: the welcome bot."""

    kind: ClassVar[TriggerKind] = TriggerKind.CHAT_OPENED


@dataclass(frozen=True)
class FirstMessageTrigger:
    """The first message of a new conversation."""

    kind: ClassVar[TriggerKind] = TriggerKind.FIRST_MESSAGE


@dataclass(frozen=True)
class KeywordTrigger:
    """A message containing any of the keywords as whole words (or phrases), ignoring case."""

    keywords: tuple[str, ...]
    kind: ClassVar[TriggerKind] = TriggerKind.KEYWORD


@dataclass(frozen=True)
class TelegramStartTrigger:
    """Telegram's /start, optionally only with this deep-link payload (t.me/bot?start=payload)."""

    payload: str | None = None
    kind: ClassVar[TriggerKind] = TriggerKind.TELEGRAM_START


Trigger: TypeAlias = ChatOpenedTrigger | FirstMessageTrigger | KeywordTrigger | TelegramStartTrigger


@dataclass(frozen=True)
class ChatOpened:
    pass


@dataclass(frozen=True)
class MessageArrived:
    text: str
    is_first: bool  # the first message of a new conversation


@dataclass(frozen=True)
class TelegramStart:
    payload: str | None


Occurrence: TypeAlias = ChatOpened | MessageArrived | TelegramStart


def matching_trigger(triggers: Sequence[Trigger], occurrence: Occurrence) -> Trigger | None:
    """The first of `triggers` that `occurrence` sets off; the caller orders flows by priority."""
    return next((trigger for trigger in triggers if _matches(trigger, occurrence)), None)


def read_telegram_start(text: str) -> TelegramStart | None:
    """`/start` or `/start payload` (also `/start@BotName payload`) as an occurrence; else None."""
    command, _, payload = text.strip().partition(" ")
    if command != "/start" and not command.startswith("/start@"):
        return None
    return TelegramStart(payload.strip() or None)


def contains_keyword(text: str, keyword: str) -> bool:
    words = keyword.split()
    if not words:
        return False
    pattern = r"(?<!\w)" + r"\s+".join(re.escape(word) for word in words) + r"(?!\w)"
    return re.search(pattern, text, re.IGNORECASE) is not None


def _matches(trigger: Trigger, occurrence: Occurrence) -> bool:
    match trigger, occurrence:
        case ChatOpenedTrigger(), ChatOpened():
            return True
        case FirstMessageTrigger(), MessageArrived(is_first=is_first):
            return is_first
        case KeywordTrigger(keywords), MessageArrived(text=text):
            return any(contains_keyword(text, keyword) for keyword in keywords)
        case TelegramStartTrigger(payload), TelegramStart(payload=given):
            return payload is None or payload == given
    return False
