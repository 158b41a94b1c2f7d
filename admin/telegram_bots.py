"""Connecting and disconnecting Telegram bots, for the JSON API and the Channels page alike:
`POST /api/v1/channels/telegram/bots {token, mode?}`, `GET …/bots`, `DELETE …/bots/{id}`, and the
page's forms. The token is checked with Telegram before anything is saved, and never shown again."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Permission
from admin.api import json_response
from admin.forms import FormData, submit_and_return, text_field
from admin.identity import api_actor, open_workspace
from channels.telegram.connections import (
    access_bot,
    check_token,
    connected_bots,
    disconnect_bot,
    plan_connection,
    receive_updates,
    save_connection,
    stop_updates,
)
from channels.telegram.models import POLLING, SUBSCRIBED, WEBHOOK, TelegramBot, TelegramSubscriber
from channels.telegram.receiver import telegram_key
from core.bodies import read_json
from core.i18n import gettext
from core.ids import TelegramBotId, WorkspaceId
from core.keys import clock_key, database_key, secret_box_key, settings_key

routes = web.RouteTableDef()


class NewBot(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=1, max_length=200)
    mode: str | None = None  # webhook | polling; default: webhook with a public HTTPS address, else polling


@dataclass(frozen=True)
class BotView:
    id: int
    username: str
    name: str
    mode: str
    subscribers: int
    last_error: str | None
    connected_at: datetime

    @property
    def link(self) -> str:
        return f"https://t.me/{self.username}"


class ActorOf:
    """How a handler gets its actor inside a transaction: the API's or the page's."""

    def __init__(self, request: web.Request, *, page: bool) -> None:
        self._request = request
        self._page = page

    async def __call__(self, session: AsyncSession) -> Actor:
        if self._page:
            return (await open_workspace(self._request, session)).actor
        return await api_actor(self._request, session)


def default_mode(request: web.Request) -> str:
    return WEBHOOK if request.app[settings_key].http.is_https else POLLING


async def connect(request: web.Request, token: str, mode: str, actor_of: ActorOf) -> TelegramBotId:
    """Check the token (getMe), tell Telegram where updates go, then save: a wrong token or a refused
    webhook saves nothing."""
    edge = request.app[telegram_key]
    identity = await check_token(edge.clients, token)
    async with request.app[database_key].transaction() as tx:
        planned = await plan_connection(tx.session, await actor_of(tx.session), identity, mode)
    await receive_updates(
        edge.clients,
        token.strip(),
        mode=mode,
        connection_id=planned.connection_id,
        base_url=request.app[settings_key].http.base_url,
        secrets_=edge.secrets,
    )
    async with request.app[database_key].transaction() as tx:
        actor = await actor_of(tx.session)
        bot = await save_connection(
            tx.session, actor, planned, token, box=request.app[secret_box_key], at=request.app[clock_key].now()
        )
        return bot.id


async def disconnect(request: web.Request, bot_id: TelegramBotId, actor_of: ActorOf) -> None:
    async with request.app[database_key].transaction() as tx:
        bot = await disconnect_bot(tx.session, await actor_of(tx.session), bot_id, at=request.app[clock_key].now())
        token = request.app[secret_box_key].open(bot.token_sealed)
    await stop_updates(request.app[telegram_key].clients, token)


async def bot_views(session: AsyncSession, workspace_id: WorkspaceId) -> list[BotView]:
    bots = await connected_bots(session, workspace_id)
    rows = await session.execute(
        select(TelegramSubscriber.bot_id, func.count())
        .where(TelegramSubscriber.bot_id.in_([bot.id for bot in bots]), TelegramSubscriber.status == SUBSCRIBED)
        .group_by(TelegramSubscriber.bot_id)
    )
    counts = {bot_id: count for bot_id, count in rows}
    return [_view(bot, counts.get(bot.id, 0)) for bot in bots]


def _view(bot: TelegramBot, subscribers: int) -> BotView:
    return BotView(bot.id, bot.username, bot.name, bot.mode, subscribers, bot.last_error, bot.connected_at)


@routes.get("/api/v1/channels/telegram/bots")
async def list_bots_api(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        actor.require(Permission.MANAGE_CHANNELS)
        views = await bot_views(tx.session, actor.workspace_id)
    return json_response({"bots": [_json(view) for view in views]})


@routes.post("/api/v1/channels/telegram/bots")
async def connect_bot_api(request: web.Request) -> web.Response:
    body = await read_json(request, NewBot)
    bot_id = await connect(request, body.token, body.mode or default_mode(request), ActorOf(request, page=False))
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        bot = await access_bot(tx.session, actor, bot_id)
        view = _view(bot, 0)
    return json_response({"bot": _json(view)}, status=201)


@routes.delete("/api/v1/channels/telegram/bots/{bot_id:\\d+}")
async def disconnect_bot_api(request: web.Request) -> web.Response:
    await disconnect(request, TelegramBotId(int(request.match_info["bot_id"])), ActorOf(request, page=False))
    return web.Response(status=204)


@routes.post("/w/{slug}/channels/telegram")
async def connect_bot_form(request: web.Request) -> web.StreamResponse:
    async def save(form: FormData) -> str:
        mode = text_field(form, "mode") or default_mode(request)
        await connect(request, text_field(form, "token"), mode, ActorOf(request, page=True))
        return gettext("The bot is connected. Write /start to it in Telegram to try it.")

    return await submit_and_return(request, _page(request), save)


@routes.post("/w/{slug}/channels/telegram/{bot_id:\\d+}/disconnect")
async def disconnect_bot_form(request: web.Request) -> web.StreamResponse:
    async def remove(form: FormData) -> str:
        await disconnect(request, TelegramBotId(int(request.match_info["bot_id"])), ActorOf(request, page=True))
        return gettext("The bot is disconnected. Its subscribers and dialogs are kept.")

    return await submit_and_return(request, _page(request), remove)


def _json(view: BotView) -> dict[str, object]:
    return {**asdict(view), "connected_at": view.connected_at.isoformat(), "link": view.link}


def _page(request: web.Request) -> str:
    return f"/w/{request.match_info['slug']}/channels"
