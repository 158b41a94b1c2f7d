"""The whole app on a loopback port with its realtime hub listening (operators' pages and widgets
update live), which can be stopped and started again."""

from __future__ import annotations

import socket

from aiohttp.test_utils import TestServer, get_port_socket

from core.app import build_app
from core.config import DatabaseSettings, HttpSettings
from core.db import Database
from core.keys import hub_key
from tests.factories import make_settings


class LiveServer:
    """The whole app on one loopback port that can be stopped and started again (a deploy, a crash),
    with the database URL its realtime hub LISTENs on, so operators' replies, typing and read
    receipts reach the visitor's socket as in production."""

    def __init__(self, database: Database, database_url: str) -> None:
        self._database = database
        self._database_url = database_url
        self._listening: socket.socket | None = get_port_socket("127.0.0.1", 0, socket.AF_INET)
        self.port: int = self._listening.getsockname()[1]
        self._server: TestServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        listening = self._listening or get_port_socket("127.0.0.1", self.port, socket.AF_INET)
        self._listening = listening
        database = DatabaseSettings(url=self._database_url)
        settings = make_settings(http=HttpSettings(host="127.0.0.1", port=self.port), database=database)
        app = build_app(settings, database=self._database, ai_in_tasks=True)
        self._server = TestServer(
            app, host="127.0.0.1", port=self.port, socket_factory=lambda host, port, family: listening
        )
        await self._server.start_server()
        await app[hub_key].connected.wait()

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.close()
            self._server = None
        if self._listening is not None:
            self._listening.close()
            self._listening = None
