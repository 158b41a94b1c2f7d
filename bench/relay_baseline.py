"""The baseline of `bench.widget_load`: a bare aiohttp WebSocket relay with Firstline's socket paths
and frame shapes but no database. A visitor's `message` frame is forwarded at once to every operator
socket and acknowledged to the visitor; nothing is stored, nothing is limited.

    python -m bench.relay_baseline --port PORT
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import UTC, datetime

from aiohttp import WSMsgType, web

from bench.load_generator import raise_open_files_limit

operators_key: web.AppKey[set[web.WebSocketResponse]] = web.AppKey("operators")
HELLO_TIMEOUT_SECONDS = 10


async def visitor_socket(request: web.Request) -> web.StreamResponse:
    socket = web.WebSocketResponse(max_msg_size=1024 * 1024)
    await socket.prepare(request)
    try:
        await socket.receive(timeout=HELLO_TIMEOUT_SECONDS)
    except TimeoutError:
        await socket.close(code=4000, message=b"no hello")
        return socket
    await socket.send_str('{"type":"ready","conversation":null,"messages":[]}')
    operators = request.app[operators_key]
    seq = 0
    async for frame in socket:
        if frame.type != WSMsgType.TEXT:
            continue
        data: object = json.loads(frame.data)
        if not isinstance(data, dict) or data.get("type") != "message":
            continue
        seq += 1
        message = {
            "id": seq,
            "seq": seq,
            "author": "visitor",
            "text": data.get("text"),
            "client_id": data.get("client_id"),
            "created_at": datetime.now(UTC).isoformat(),
        }
        forwarded = json.dumps({"type": "message", "message": message})
        for operator in list(operators):
            if not operator.closed:
                await operator.send_str(forwarded)
        await socket.send_str(json.dumps({"type": "ack", "client_id": data.get("client_id"), "message": message}))
    return socket


async def operator_socket(request: web.Request) -> web.StreamResponse:
    socket = web.WebSocketResponse()
    await socket.prepare(request)
    request.app[operators_key].add(socket)
    try:
        async for _ in socket:
            pass
    finally:
        request.app[operators_key].discard(socket)
    return socket


async def ready(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def build_app() -> web.Application:
    app = web.Application()
    app[operators_key] = set()
    app.router.add_get("/widget/v1/{slug}/socket", visitor_socket)
    app.router.add_get("/api/v1/socket", operator_socket)
    app.router.add_get("/readyz", ready)
    return app


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    raise_open_files_limit()
    web.run_app(build_app(), host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
