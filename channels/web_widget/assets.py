"""The widget's public files: the embeddable script (`/widget.js`) and a demo shop page (`/demo`)
that embeds it exactly as a customer's site would."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).resolve().parent / "static"
# Sites load the script on every page; five minutes keeps that cheap and lets a new version out soon.
SCRIPT_HEADERS = {"Content-Type": "application/javascript; charset=utf-8", "Cache-Control": "public, max-age=300"}

routes = web.RouteTableDef()


@routes.get("/widget.js")
async def widget_script(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "widget.js", headers=SCRIPT_HEADERS)


@routes.get("/demo")
async def demo_page(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "demo.html", headers={"Content-Type": "text/html; charset=utf-8"})
