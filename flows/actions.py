"""What a step asks the runtime to do (pure), in order: effects to execute (send, schedule, call,
hand off...) and trace records (node entered, edge taken, run ended) that only feed the per-node
counters. `effects` and `traces` split a step's actions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import TypeAlias

from core.ids import GroupId
from flows.state import FinishReason
from flows.values import JsonValue


@dataclass(frozen=True)
class ButtonOption:
    id: str  # pass back in ButtonPressed; short enough for Telegram's 64-byte callback data
    label: str


@dataclass(frozen=True)
class SendMessage:
    """Plain text: the channel renderer escapes it for HTML or markup."""

    text: str
    image_url: str | None = None
    buttons: tuple[ButtonOption, ...] = ()


@dataclass(frozen=True)
class ScheduleTimer:
    """Fire TimerFired(timer_id) after `delay` (the runtime adds it to its clock's now)."""

    timer_id: str
    delay: timedelta


@dataclass(frozen=True)
class CancelTimer:
    timer_id: str


@dataclass(frozen=True)
class SetContactProperty:
    name: str
    value: str


@dataclass(frozen=True)
class AddTag:
    tag: str


@dataclass(frozen=True)
class RemoveTag:
    tag: str


@dataclass(frozen=True)
class SetConversationAttribute:
    name: str
    value: str


@dataclass(frozen=True)
class CallWebhook:
    """Make the call (refusing private addresses) and answer with WebhookResult(request_id, ...)."""

    request_id: str
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: JsonValue = None  # sent as JSON unless None
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class AskAI:
    """Let the AI bot answer `question`, then report AIResult(request_id, ...)."""

    request_id: str
    question: str


class HandoffReason(StrEnum):
    FLOW = "flow"  # a handoff node
    AI = "ai"  # the AI bot handed off and the flow had no on_handoff branch
    RUNAWAY = "flow-runaway"  # the flow kept talking without the visitor: stopped


@dataclass(frozen=True)
class HandOff:
    reason: HandoffReason
    group_id: GroupId | None = None
    group_name: str | None = None
    summary: str | None = None


@dataclass(frozen=True)
class Close:
    pass


@dataclass(frozen=True)
class StartFlow:
    flow_id: int


@dataclass(frozen=True)
class NodeEntered:
    node_id: str


@dataclass(frozen=True)
class EdgeTaken:
    node_id: str
    edge: str  # flows.graph.Edge.name
    target: str


@dataclass(frozen=True)
class RunEnded:
    node_id: str | None  # where it ended; a reason other than the node's own outcome means dropped there
    reason: FinishReason


Effect: TypeAlias = (
    SendMessage
    | ScheduleTimer
    | CancelTimer
    | SetContactProperty
    | AddTag
    | RemoveTag
    | SetConversationAttribute
    | CallWebhook
    | AskAI
    | HandOff
    | Close
    | StartFlow
)
Trace: TypeAlias = NodeEntered | EdgeTaken | RunEnded
Action: TypeAlias = Effect | Trace
TRACE_TYPES = (NodeEntered, EdgeTaken, RunEnded)


def effects(actions: Iterable[Action]) -> list[Effect]:
    return [action for action in actions if not isinstance(action, TRACE_TYPES)]


def traces(actions: Iterable[Action]) -> list[Trace]:
    return [action for action in actions if isinstance(action, TRACE_TYPES)]
