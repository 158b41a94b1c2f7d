"""A scripted widget: the protocol of docs/widget-protocol.md spoken by a test over a real socket."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientWebSocketResponse, WSMsgType

from tests.factories import Client

# Frames are JSON from the server: honestly untyped here.
Frame = dict[str, Any]
WAIT_SECONDS = 10


@dataclass
class WidgetVisitor:
    client: Client
    slug: str
    token: str = ""
    socket: ClientWebSocketResponse | None = None
    ready: Frame = field(default_factory=dict)

    async def start_session(self, **body: object) -> Frame:
        payload = {"token": self.token, **body} if self.token else dict(body)
        response = await self.client.post(f"/widget/v1/{self.slug}/session", json=payload)
        answer: Frame = await response.json()
        assert response.status == 200, answer
        self.token = str(answer["token"])
        return answer

    async def connect(self, last_seq: int = 0, *, headers: dict[str, str] | None = None) -> Frame:
        self.socket = await self.client.ws_connect(f"/widget/v1/{self.slug}/socket", headers=headers or {})
        await self.socket.send_json({"type": "hello", "v": 1, "token": self.token, "last_seq": last_seq})
        self.ready = await self.receive(lambda frame: frame["type"] == "ready")
        return self.ready

    async def send(self, text: str, *, client_id: str | None = None, attachments: list[str] | None = None) -> str:
        assert self.socket is not None
        message_id = client_id or str(uuid.uuid4())
        frame = {"type": "message", "client_id": message_id, "text": text, "attachments": attachments or []}
        await self.socket.send_json(frame)
        return message_id

    async def say(self, text: str, *, client_id: str | None = None, attachments: list[str] | None = None) -> Frame:
        """Send and wait for the acknowledgement; the stored message."""
        client_id = await self.send(text, client_id=client_id, attachments=attachments)
        ack = await self.receive(lambda frame: frame["type"] == "ack" and frame["client_id"] == client_id)
        message: Frame = ack["message"]
        return message

    async def receive(self, wanted: Callable[[Frame], bool], *, seconds: float = WAIT_SECONDS) -> Frame:
        """The next frame satisfying `wanted` (others are skipped)."""
        assert self.socket is not None
        async with asyncio.timeout(seconds):
            while True:
                message = await self.socket.receive()
                assert message.type == WSMsgType.TEXT, f"socket ended: {message.type} {message.data!r}"
                frame: Frame = message.json()
                if wanted(frame):
                    return frame

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()


async def next_message(visitor: WidgetVisitor) -> Frame:
    frame = await visitor.receive(lambda f: f["type"] == "message")
    message: Frame = frame["message"]
    return message
