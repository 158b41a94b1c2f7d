"""What the AI bot needs from a language model: `ChatModel.complete` takes a conversation of
messages and returns the model's text, streaming it piece by piece to `on_delta` when given. Every
failure reaches the caller as one `ChatModelError` whose `reason` says what went wrong; the adapter
(bots.ai.openai_chat) has already retried what is worth retrying."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Protocol

Role = Literal["system", "user", "assistant"]
OnDelta = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True)
class Completion:
    text: str
    model: str  # as the endpoint reported it
    finish_reason: str | None = None  # "stop", "length", …
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class FailureReason(StrEnum):
    TIMEOUT = "timeout"  # no (complete) answer within the deadline
    RATE_LIMITED = "rate-limited"  # 429 after every retry
    QUOTA = "quota"  # 429 insufficient_quota: the account is out of credit; never retried
    UNAVAILABLE = "unavailable"  # connection refused, 5xx after every retry
    REJECTED = "rejected"  # 4xx other than 429: bad key, unknown model, bad request
    BAD_RESPONSE = "bad-response"  # not the protocol: not JSON, no choices, empty text


class ChatModelError(Exception):
    def __init__(self, reason: FailureReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class ChatModel(Protocol):
    @property
    def model_id(self) -> str:
        """The model's name at its endpoint, e.g. "gpt-4o-mini"."""
        ...

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        on_delta: OnDelta | None = None,
    ) -> Completion:
        """The whole answer; with `on_delta`, streamed (SSE) and each piece of text passed to it as it
        arrives. Raises ChatModelError."""
        ...

    async def close(self) -> None: ...
