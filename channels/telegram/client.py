"""Talking to the Bot API through aiogram: one HTTP session for every bot (pointed at Telegram, a
self-hosted Bot API server or the sandbox), an aiogram `Bot` per token, and every vendor error
mapped to ours in one function, `failure_of`."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    AiogramError,
    ClientDecodeError,
    RestartingTelegram,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.utils.token import TokenValidationError
from aiohttp import ClientConnectorError

REQUEST_TIMEOUT_SECONDS = 20.0
# What a Bot API call can raise: aiogram's errors, a malformed token, the network (timeouts included).
TELEGRAM_ERRORS = (AiogramError, TokenValidationError, OSError)


class TelegramFailure(Exception):
    """A Bot API call that did not work; `retryable` says whether the same call may work later."""

    retryable = False

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class RateLimited(TelegramFailure):
    """Flood control: Telegram says how long to wait, exactly."""

    retryable = True

    def __init__(self, description: str, retry_after: int) -> None:
        super().__init__(description)
        self.retry_after = retry_after


class RecipientBlocked(TelegramFailure):
    """403: the person blocked the bot (`reason` "blocked") or deleted their account ("deactivated")."""

    def __init__(self, description: str, reason: str) -> None:
        super().__init__(description)
        self.reason = reason


class RecipientGone(TelegramFailure):
    """400 "chat not found" (or a group that moved): nobody to send to at this chat id."""


class TokenRejected(TelegramFailure):
    """401/404 on the bot's own URL: the token is wrong or was revoked in @BotFather."""


class RequestRejected(TelegramFailure):
    """Any other 4xx: the request itself is wrong (too long, bad markup); sending it again will not help."""


class TelegramUnavailable(TelegramFailure):
    """5xx, no connection, or an answer that is not the Bot API's: try again later."""

    retryable = True


class OutcomeUnknown(TelegramUnavailable):
    """The request went out and no answer came back (a timeout, a connection dropped mid-way): Telegram
    may have carried it out. A read may simply be asked again; a send asked again may arrive twice."""


def failure_of(error: Exception) -> TelegramFailure:
    """Every aiogram error as one of ours. Telegram documents no error codes beyond HTTP statuses;
    blocked and deactivated are told apart by the description, as every Bot API library does."""
    description = getattr(error, "message", None) or str(error) or type(error).__name__
    match error:
        case TelegramRetryAfter():
            return RateLimited(description, max(1, int(error.retry_after)))
        case TelegramMigrateToChat():
            return RecipientGone(description)
        case TelegramForbiddenError():
            reason = "deactivated" if "deactivated" in description.lower() else "blocked"
            return RecipientBlocked(description, reason)
        case TelegramUnauthorizedError() | TelegramNotFound() | TokenValidationError():
            return TokenRejected(description)
        case TelegramBadRequest() if "chat not found" in description.lower():
            return RecipientGone(description)
        case TelegramBadRequest() | TelegramEntityTooLarge():
            return RequestRejected(description)
        case TelegramNetworkError() if not isinstance(error.__cause__, ClientConnectorError):
            return OutcomeUnknown(description)  # aiogram raises it `from` the network's own error
        case TelegramServerError() | RestartingTelegram() | TelegramNetworkError() | ClientDecodeError():
            return TelegramUnavailable(description)
        case TelegramAPIError():  # a status aiogram does not classify (409 and the like)
            return RequestRejected(description)
        case TimeoutError():
            return OutcomeUnknown(description)
        case OSError():
            return TelegramUnavailable(description)
    raise error


class TelegramClients:
    """The aiogram Bots of this process, one per token, sharing one connection pool."""

    def __init__(self, api_url: str, *, timeout: float = REQUEST_TIMEOUT_SECONDS) -> None:
        self.api_url = api_url.rstrip("/")
        self._session = AiohttpSession(api=TelegramAPIServer.from_base(self.api_url), timeout=timeout)
        self._bots: dict[str, Bot] = {}

    def bot(self, token: str) -> Bot:
        """Raises TokenRejected for a token that is not shaped like one (digits, a colon, a secret)."""
        found = self._bots.get(token)
        if found is None:
            try:
                found = Bot(token, session=self._session)
            except TokenValidationError as error:
                raise TokenRejected(str(error)) from None
            self._bots[token] = found
        return found

    def forget(self, token: str) -> None:
        self._bots.pop(token, None)

    async def close(self) -> None:
        self._bots.clear()
        await self._session.close()
