"""Typed keys for what the application shares between handlers (aiohttp `AppKey`s), all in one place."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from core.clock import Clock
from core.config import Settings
from core.db import Database
from core.errors import DomainError
from core.metrics import HttpMetrics

ErrorPageRenderer = Callable[[web.Request, DomainError], Awaitable[web.StreamResponse]]

settings_key = web.AppKey("settings", Settings)
database_key = web.AppKey("database", Database)
clock_key = web.AppKey("clock", Clock)
metrics_key = web.AppKey("metrics", HttpMetrics)
# Set by the admin surface: how a domain error on a page (not the JSON API) is shown to a person.
error_page_key = web.AppKey[ErrorPageRenderer]("error_page")
