"""Two `firstline serve` processes on one database: a visitor on one, an operator on the other, and
the conversation still happens live in both directions (realtime through LISTEN/NOTIFY)."""

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from accounts.api_keys import issue_api_key
from accounts.roles import Role
from core.db import Database
from tests.conftest import FIRSTLINE
from tests.factories import make_workspace
from tests.processes import Served, free_port

WAIT_SECONDS = 15


@pytest.fixture
async def two_servers(
    committed_db: Database, committed_url: str, bytecode_cache: Path, tmp_path: Path
) -> AsyncIterator[tuple[str, str]]:
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    env.update(
        DATABASE_URL=committed_url,
        FIRSTLINE_SECRET_KEY="one secret for every process",
        FIRSTLINE_DATA_DIR=str(tmp_path),
        FIRSTLINE_LOG_FORMAT="text",
        PYTHONPYCACHEPREFIX=str(bytecode_cache),
    )
    servers = [_start(env, tmp_path, name) for name in ("a", "b")]
    try:
        await asyncio.gather(*(server.wait_ready() for server in servers))
        yield servers[0].base_url, servers[1].base_url
    finally:
        for server in servers:
            server.process.send_signal(signal.SIGINT)
        for server in servers:
            await server.wait_exit()


def _start(env: dict[str, str], tmp_path: Path, name: str) -> Served:
    port = free_port()
    stdout, stderr = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [FIRSTLINE, "serve"],
            env={**env, "FIRSTLINE_PORT": str(port)},
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
    return Served(process, stdout, stderr, f"http://127.0.0.1:{port}", time.monotonic())


async def receive(socket: aiohttp.ClientWebSocketResponse, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            frame: dict[str, Any] = await socket.receive_json()
            if wanted(frame):
                return frame


async def test_a_visitor_on_one_process_and_an_operator_on_another_talk_live(
    committed_db: Database, two_servers: tuple[str, str]
) -> None:
    async with committed_db.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="acme")
        key = await issue_api_key(tx.session, workspace_id=workspace.id, name="ops", role=Role.ADMIN, created_by=None)
    visitor_process, operator_process = two_servers
    operator = {"Authorization": f"Bearer {key.key}"}
    async with aiohttp.ClientSession() as http:
        session = await (await http.post(f"{visitor_process}/widget/v1/acme/session", json={})).json()
        widget = await http.ws_connect(f"{visitor_process}/widget/v1/acme/socket")
        await widget.send_json({"type": "hello", "token": session["token"], "last_seq": 0})
        await receive(widget, lambda frame: frame["type"] == "ready")
        operators = await http.ws_connect(f"{operator_process}/api/v1/socket", headers=operator)

        await widget.send_json({"type": "message", "client_id": "first-message-1", "text": "Hello from A"})
        await receive(widget, lambda frame: frame["type"] == "ack")
        seen = await receive(operators, lambda frame: frame["type"] == "message")
        assert seen["message"]["text"] == "Hello from A"

        conversation = f"{operator_process}/api/v1/conversations/{seen['conversation_id']}"
        await http.post(f"{conversation}/typing", json={"on": True}, headers=operator)
        assert (await receive(widget, lambda frame: frame["type"] == "typing"))["on"] is True
        reply = await http.post(f"{conversation}/messages", json={"text": "Hi from B"}, headers=operator)
        assert reply.status == 201
        arrived = await receive(widget, lambda frame: frame["type"] == "message")
        assert (arrived["message"]["author"], arrived["message"]["text"]) == ("operator", "Hi from B")
        await widget.close()
        await operators.close()
