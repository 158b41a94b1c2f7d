"""Browser journeys: one headless Chromium per test session, a fresh browser context per test, and the
whole application served on a real loopback socket over the committing database (`committed_db`)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Protocol

import pytest
from aiohttp.test_utils import TestServer, get_port_socket
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, async_playwright

from core.app import build_app
from core.config import HttpSettings, TelegramSettings
from core.db import Database
from tests.factories import make_settings
from tests.journeys.live_server import LiveServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Generous enough for a loaded CI machine; a journey that is really stuck still fails well before pytest's timeout.
ACTION_TIMEOUT_MS = 15_000


class NewContext(Protocol):
    """Opens another browser context (another person, another browser) on the served app."""

    async def __call__(self, *, locale: str = "en-US", viewport: ViewportSize | None = None) -> BrowserContext: ...


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
def live_server(committed_db: Database, committed_url: str) -> LiveServer:
    """The app with its realtime hub, for modules with `REALTIME = True`: `server_url` starts it."""
    return LiveServer(committed_db, committed_url)


@pytest.fixture
def telegram_api_url() -> str:
    """Where the served app finds the Bot API; a module with Telegram journeys overrides it with the
    fake's address."""
    return TelegramSettings().api_url


@pytest.fixture
async def server_url(
    request: pytest.FixtureRequest, committed_db: Database, telegram_api_url: str
) -> AsyncIterator[str]:
    """The app's origin, e.g. http://127.0.0.1:41234. A module with `REALTIME = True` gets the app
    with its realtime hub listening (`live_server`); the others one without. The socket is bound
    first so that the app's configured base URL (used in invitation links) is the address the
    browser really reaches."""
    if getattr(request.module, "REALTIME", False):
        live: LiveServer = request.getfixturevalue("live_server")
        await live.start()
        try:
            yield live.url
        finally:
            await live.stop()
        return
    listening = get_port_socket("127.0.0.1", 0, socket.AF_INET)
    port: int = listening.getsockname()[1]
    settings = make_settings(
        http=HttpSettings(host="127.0.0.1", port=port), telegram=TelegramSettings(api_url=telegram_api_url)
    )
    server = TestServer(
        build_app(settings, database=committed_db),
        host="127.0.0.1",
        port=port,
        socket_factory=lambda host, port, family: listening,
    )
    try:
        await server.start_server()
        yield str(server.make_url("/")).rstrip("/")
    finally:
        await server.close()
        listening.close()


@pytest.fixture
async def new_context(browser: Browser, server_url: str) -> AsyncIterator[NewContext]:
    opened: list[BrowserContext] = []

    async def open_context(*, locale: str = "en-US", viewport: ViewportSize | None = None) -> BrowserContext:
        context = await browser.new_context(
            base_url=server_url, locale=locale, viewport=viewport or {"width": 1280, "height": 800}
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        opened.append(context)
        return context

    try:
        yield open_context
    finally:
        for context in opened:
            await context.close()


@pytest.fixture
async def context(new_context: NewContext) -> BrowserContext:
    """A fresh browser (no cookies, English) on the served app, closed after the test."""
    return await new_context()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()
