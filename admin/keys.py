"""Typed application keys of the admin surface."""

from aiohttp import web

from admin.i18n import Catalogs

catalogs_key = web.AppKey("catalogs", Catalogs)
