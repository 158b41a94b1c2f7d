"""The widget's socket frames (docs/widget-protocol.md): parsing what the client sends, with the
error code the protocol names for each way it can be wrong; the realtime events passed on as they are."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from conversations.events import DRAFT, READ, TYPING
from conversations.limits import MAX_ATTACHMENTS, MAX_TEXT_LENGTH
from core.realtime import RealtimeEvent

MAX_FRAME_BYTES = 64 * 1024
CLIENT_ID = r"^[A-Za-z0-9-]{8,64}$"


class _Frame(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Hello(_Frame):
    type: Literal["hello"]
    v: int = 1
    token: str = Field(max_length=1000)
    last_seq: int = Field(default=0, ge=0)


class SendMessage(_Frame):
    type: Literal["message"]
    client_id: str = Field(pattern=CLIENT_ID)
    text: str = ""
    attachments: list[str] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)
    button_id: str | None = Field(default=None, max_length=80)  # a bot's button pressed (text: its label)


class Typing(_Frame):
    type: Literal["typing"]
    on: bool


class Read(_Frame):
    type: Literal["read"]
    seq: int = Field(ge=0)


class Ping(_Frame):
    type: Literal["ping"]


class OpenChat(_Frame):
    """The visitor opened the chat window: the welcome bot may greet."""

    type: Literal["open"]


class LeaveEmail(_Frame):
    """The visitor's email to be answered at (checked by the server: `invalid_email`)."""

    type: Literal["leave_email"]
    email: str = Field(max_length=1000)


ClientFrame = Annotated[Hello | SendMessage | Typing | Read | Ping | LeaveEmail | OpenChat, Field(discriminator="type")]
_FRAMES: TypeAdapter[ClientFrame] = TypeAdapter(ClientFrame)
KNOWN_TYPES = frozenset({"hello", "message", "typing", "read", "ping", "leave_email", "open"})


@dataclass(frozen=True)
class FrameError:
    code: str
    message: str
    client_id: str | None = None  # the refused message's, when the frame got that far


def parse_frame(raw: str) -> Hello | SendMessage | Typing | Read | Ping | LeaveEmail | OpenChat | FrameError:
    if len(raw.encode()) > MAX_FRAME_BYTES:
        return FrameError("too_large", f"A frame can be at most {MAX_FRAME_BYTES // 1024} KB.")
    try:
        data = json.loads(raw)
    except ValueError:
        return FrameError("invalid_frame", "A frame must be a JSON object.")
    if not isinstance(data, dict):
        return FrameError("invalid_frame", "A frame must be a JSON object.")
    if data.get("type") not in KNOWN_TYPES:
        return FrameError("unknown_type", f"Unknown frame type {str(data.get('type'))[:40]!r}.")
    client_id = data["client_id"] if isinstance(data.get("client_id"), str) else None
    if data["type"] == "message" and isinstance(data.get("text"), str) and len(data["text"]) > MAX_TEXT_LENGTH:
        return FrameError("too_large", f"A message can be at most {MAX_TEXT_LENGTH} characters long.", client_id)
    try:
        return _FRAMES.validate_python(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"][1:]) or "frame"
        return FrameError("invalid_frame", f"Invalid {where}: {first['msg']}.", client_id)


def passed_on(event: RealtimeEvent) -> dict[str, object] | None:
    """The frame for an event the widget gets as it is: an operator typing or reading, or the AI
    bot's answer so far (a draft, which its message replaces); None for any other event."""
    data = event.data
    if event.kind == TYPING:
        return {"type": "typing", "on": bool(data.get("on")), "name": data.get("name")}
    if event.kind == READ and data.get("by") == "operator":
        return {"type": "read", "seq": data.get("seq")}
    if event.kind == DRAFT:
        return {"type": "draft", "text": data.get("text")}
    return None
