"""The composition root: `build_app(settings)` constructs every long-lived object, wires them
together and gives each resource a cleanup context. Nothing runs at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from aiohttp import web
from sqlalchemy import text

from admin.setup import setup_admin
from core.clock import Clock, SystemClock
from core.config import Settings
from core.db import Database, create_engine
from core.keys import clock_key, database_key, metrics_key, settings_key
from core.metrics import create_http_metrics
from core.middlewares import client_address_from_proxies, error_response, observe_requests, translate_errors
from core.migrate import head_revision


def build_app(settings: Settings, *, database: Database | None = None, clock: Clock | None = None) -> web.Application:
    """`database` is given by tests (a connection-bound Database); otherwise one is built from settings."""
    app = web.Application(
        client_max_size=settings.http.max_body_bytes,
        middlewares=[client_address_from_proxies(settings.http.proxy_hops), observe_requests, translate_errors],
    )
    app[settings_key] = settings
    app[clock_key] = clock if clock is not None else SystemClock()
    app[metrics_key] = create_http_metrics()
    app.cleanup_ctx.append(_database_context(settings, database))
    _setup_probes(app)
    setup_admin(app, settings)
    return app


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
