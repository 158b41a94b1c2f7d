"""The webhook edge: Telegram POSTs each update to /telegram/webhook/<connection id> with the
secret token in a header. A wrong or missing secret is 401 and nothing is read; an update for a
bot since disconnected, or one we cannot read, is answered 200 (Telegram would only send it again);
everything else is handled before we answer, so a failure (500) makes Telegram redeliver it."""

from __future__ import annotations

import json
import logging

from aiohttp import web

from channels.telegram.receiver import telegram_key
from core.middlewares import error_response

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name, not a secret)
routes = web.RouteTableDef()


@routes.post("/telegram/webhook/{connection_id}")
async def telegram_webhook(request: web.Request) -> web.StreamResponse:
    edge = request.app[telegram_key]
    connection_id = request.match_info["connection_id"]
    if not edge.secrets.matches(connection_id, request.headers.get(SECRET_HEADER)):
        return error_response(401, "unauthenticated", "The secret token is missing or wrong.", {})
    try:
        payload = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        log.warning("a Telegram webhook body is not JSON", extra={"connection_id": connection_id})
        return web.Response()
    if not isinstance(payload, dict):
        log.warning("a Telegram webhook body is not an update", extra={"connection_id": connection_id})
        return web.Response()
    bot = await edge.bots.by_connection(connection_id)
    if bot is None:
        log.info("an update for a disconnected Telegram bot was ignored", extra={"connection_id": connection_id})
        return web.Response()
    await edge.receiver.receive(bot, payload)
    return web.Response()


def setup_telegram_webhook(app: web.Application) -> None:
    app.router.add_routes(routes)
