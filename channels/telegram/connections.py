"""Connecting a workspace's Telegram bots: check the token with `getMe`, register how updates reach
us (a webhook with a per-bot secret token, or long polling), keep the token sealed, disconnect.

Connecting is three steps the caller runs in order, network calls outside transactions:
`check_token` → `plan_connection` (in a transaction: may this workspace connect that bot?) →
`receive_updates` (tells Telegram where to send updates) → `save_connection` (in a transaction).
A wrong token fails at the first step and a refused webhook at the third: nothing is saved."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Permission
from channels.telegram.client import TELEGRAM_ERRORS, TelegramClients, TelegramFailure, TokenRejected, failure_of
from channels.telegram.models import POLLING, WEBHOOK, TelegramBot
from core.crypto import SecretBox, derive_key
from core.errors import Conflict, InvalidInput, NotFound
from core.ids import TelegramBotId, WorkspaceId

# What the channel handles; `my_chat_member` tells when a person blocks or unblocks the bot.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")
TOKEN_SHAPE = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{1,100}")
MODES = (WEBHOOK, POLLING)


@dataclass(frozen=True)
class BotIdentity:
    telegram_id: int
    username: str
    name: str


@dataclass(frozen=True)
class PlannedConnection:
    workspace_id: WorkspaceId
    identity: BotIdentity
    connection_id: str
    mode: str


class WebhookSecrets:
    """The secret token Telegram sends with each webhook request, derived from the app's secret key
    and the connection id (so it is never stored), and compared in constant time."""

    def __init__(self, secret_key: str) -> None:
        self._key = derive_key(secret_key, "telegram-webhook")

    def for_connection(self, connection_id: str) -> str:
        digest = hmac.new(self._key, connection_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()  # A-Z a-z 0-9 _ -, as Telegram asks

    def matches(self, connection_id: str, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(self.for_connection(connection_id), given)


def webhook_url(base_url: str, connection_id: str) -> str:
    return f"{base_url.rstrip('/')}/telegram/webhook/{connection_id}"


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise InvalidInput("Choose how updates arrive: webhook or polling.", field="mode")
    return mode


async def check_token(clients: TelegramClients, token: str) -> BotIdentity:
    """The bot behind `token`, as Telegram's `getMe` says; InvalidInput when Telegram refuses it."""
    token = token.strip()
    if not TOKEN_SHAPE.fullmatch(token):
        raise InvalidInput(
            "This is not a bot token. It looks like 123456789:AAE…, as @BotFather gave it.", field="token"
        )
    try:
        me = await clients.bot(token).get_me()
    except TELEGRAM_ERRORS as error:
        failure = failure_of(error)
        if isinstance(failure, TokenRejected):
            raise InvalidInput(
                "Telegram did not accept this token. Copy it again from @BotFather (/mybots → API Token).",
                field="token",
            ) from None
        raise _unreachable(failure) from None
    return BotIdentity(telegram_id=me.id, username=me.username or "", name=me.first_name)


async def plan_connection(session: AsyncSession, actor: Actor, identity: BotIdentity, mode: str) -> PlannedConnection:
    actor.require(Permission.MANAGE_CHANNELS)
    check_mode(mode)
    connected = await session.scalar(
        select(TelegramBot).where(
            TelegramBot.telegram_id == identity.telegram_id, TelegramBot.disconnected_at.is_(None)
        )
    )
    if connected is not None and connected.workspace_id == actor.workspace_id:
        raise Conflict("@{username} is already connected here.", username=identity.username)
    if connected is not None:
        raise Conflict(
            "@{username} is connected to another workspace. Disconnect it there first: Telegram sends a bot's "
            "updates to one place only.",
            username=identity.username,
        )
    return PlannedConnection(actor.workspace_id, identity, secrets.token_urlsafe(16), mode)


async def receive_updates(
    clients: TelegramClients, token: str, *, mode: str, connection_id: str, base_url: str, secrets_: WebhookSecrets
) -> None:
    """Tell Telegram where this bot's updates go: our webhook (with its secret), or nowhere (polling:
    we fetch them; a webhook left set would make getUpdates fail with 409)."""
    bot = clients.bot(token)
    try:
        if mode == WEBHOOK:
            await bot.set_webhook(
                url=webhook_url(base_url, connection_id),
                secret_token=secrets_.for_connection(connection_id),
                allowed_updates=list(ALLOWED_UPDATES),
            )
        else:
            await bot.delete_webhook(drop_pending_updates=False)
    except TELEGRAM_ERRORS as error:
        failure = failure_of(error)
        if mode == WEBHOOK and not failure.retryable:
            raise InvalidInput(
                "Telegram refused the webhook ({reason}). It needs a public HTTPS address (FIRSTLINE_PUBLIC_URL); "
                "without one, choose long polling.",
                field="mode",
                reason=failure.description,
            ) from None
        raise _unreachable(failure) from None


async def save_connection(
    session: AsyncSession, actor: Actor, planned: PlannedConnection, token: str, *, box: SecretBox, at: datetime
) -> TelegramBot:
    actor.require(Permission.MANAGE_CHANNELS)
    bot = TelegramBot(
        workspace_id=planned.workspace_id,
        connection_id=planned.connection_id,
        telegram_id=planned.identity.telegram_id,
        username=planned.identity.username,
        name=planned.identity.name,
        token_sealed=box.seal(token.strip()),
        mode=planned.mode,
        connected_by=actor.operator_id,
        connected_at=at,
    )
    session.add(bot)
    await session.flush()
    return bot


async def connected_bots(session: AsyncSession, workspace_id: WorkspaceId) -> list[TelegramBot]:
    return list(
        await session.scalars(
            select(TelegramBot)
            .where(TelegramBot.workspace_id == workspace_id, TelegramBot.disconnected_at.is_(None))
            .order_by(TelegramBot.id)
        )
    )


async def access_bot(session: AsyncSession, actor: Actor, bot_id: TelegramBotId) -> TelegramBot:
    """A connected bot of the actor's workspace; another workspace's is NotFound."""
    bot = await session.scalar(
        select(TelegramBot).where(
            TelegramBot.id == bot_id,
            TelegramBot.workspace_id == actor.workspace_id,
            TelegramBot.disconnected_at.is_(None),
        )
    )
    if bot is None:
        raise NotFound("Bot not found.")
    return bot


async def disconnect_bot(session: AsyncSession, actor: Actor, bot_id: TelegramBotId, *, at: datetime) -> TelegramBot:
    """Stop handling the bot's updates (a late one is ignored); its subscribers and dialogs stay."""
    actor.require(Permission.MANAGE_CHANNELS)
    bot = await access_bot(session, actor, bot_id)
    bot.disconnected_at = at
    await session.flush()
    return bot


async def stop_updates(clients: TelegramClients, token: str) -> None:
    """After a disconnect: ask Telegram to stop sending (best effort; updates that still come are ignored)."""
    try:
        await clients.bot(token).delete_webhook(drop_pending_updates=False)
    except TELEGRAM_ERRORS as error:
        failure_of(error)  # known failures are fine to ignore here; unknown errors propagate
    finally:
        clients.forget(token)


def _unreachable(failure: TelegramFailure) -> InvalidInput:
    return InvalidInput(
        "Telegram could not be reached ({reason}). Try again in a minute.", field="token", reason=failure.description
    )
