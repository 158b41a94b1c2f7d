"""A flow as the engine sees it (pure): the start, the nodes of each kind with their templates and
conditions already parsed, the triggers, and the edges leaving every node. flows.loading builds one
from the stored JSON document."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import ClassVar, TypeAlias

from core.ids import GroupId
from flows.expressions import Expr, Var
from flows.templates import Template
from flows.triggers import Trigger

MAX_NODES = 500  # in one flow


class NodeKind(StrEnum):
    MESSAGE = "message"
    ASK = "ask"
    CONDITION = "condition"
    SET = "set"
    WAIT = "wait"
    WEBHOOK = "webhook"
    AI_ANSWER = "ai_answer"
    HANDOFF = "handoff"
    CLOSE = "close"
    GOTO = "goto"
    SPLIT = "split"


class InputKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"


class AnswerFormat(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    NUMBER = "number"
    REGEX = "regex"


@dataclass(frozen=True)
class Button:
    label: str
    target: str | None = None


@dataclass(frozen=True)
class MessageNode:
    """Sends text (and an image); with buttons it waits for a press, else goes on to `next`."""

    id: str
    text: Template
    image_url: str | None = None
    buttons: tuple[Button, ...] = ()
    next: str | None = None
    on_text: str | None = None  # where typed text that matches no button goes; None: show the buttons again
    kind: ClassVar[NodeKind] = NodeKind.MESSAGE


@dataclass(frozen=True)
class Choice:
    label: str
    value: str


@dataclass(frozen=True)
class AskNode:
    """Asks, validates the answer (re-asking up to `attempts` answers in all) and saves it."""

    id: str
    text: Template
    input: InputKind = InputKind.TEXT
    choices: tuple[Choice, ...] = ()
    validator: AnswerFormat | None = None
    pattern: re.Pattern[str] | None = None  # for AnswerFormat.REGEX: the whole answer must match
    save_to: Var | None = None
    attempts: int = 3
    retry_text: Template | None = None
    on_give_up: str | None = None
    timeout_seconds: int | None = None
    on_timeout: str | None = None
    next: str | None = None
    kind: ClassVar[NodeKind] = NodeKind.ASK


@dataclass(frozen=True)
class ConditionNode:
    id: str
    when: Expr
    then: str | None = None
    otherwise: str | None = None  # "else" in the document
    kind: ClassVar[NodeKind] = NodeKind.CONDITION


@dataclass(frozen=True)
class Assign:
    target: Var
    value: Template | int | float | bool | None


@dataclass(frozen=True)
class Tagging:
    tag: str
    add: bool  # False: remove


@dataclass(frozen=True)
class SetNode:
    id: str
    operations: tuple[Assign | Tagging, ...]
    next: str | None = None
    kind: ClassVar[NodeKind] = NodeKind.SET


@dataclass(frozen=True)
class WaitNode:
    id: str
    seconds: int
    next: str | None = None
    kind: ClassVar[NodeKind] = NodeKind.WAIT


@dataclass(frozen=True)
class BodyList:
    items: tuple[Body, ...]


@dataclass(frozen=True)
class BodyObject:
    fields: tuple[tuple[str, Body], ...]


# A webhook body: JSON whose strings are templates.
Body: TypeAlias = "Template | BodyList | BodyObject | int | float | bool | None"


@dataclass(frozen=True)
class WebhookNode:
    id: str
    url: Template
    method: str = "POST"
    headers: tuple[tuple[str, Template], ...] = ()
    body: Body = None
    timeout_seconds: float = 10.0
    save: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (variable name, path into the response JSON)
    next: str | None = None
    on_error: str | None = None  # failure or timeout; None: go on to `next`
    kind: ClassVar[NodeKind] = NodeKind.WEBHOOK


@dataclass(frozen=True)
class AIAnswerNode:
    """Asks the AI bot. With `prompt` it first asks the visitor and sends their reply; otherwise it
    sends `question` (by default the visitor's last text)."""

    id: str
    prompt: Template | None = None
    question: Template | None = None
    next: str | None = None
    on_handoff: str | None = None  # None: the AI's handoff ends the run with a HandOff
    kind: ClassVar[NodeKind] = NodeKind.AI_ANSWER


@dataclass(frozen=True)
class HandoffNode:
    id: str
    group_id: GroupId | None = None
    group_name: str | None = None
    summary: Template | None = None
    kind: ClassVar[NodeKind] = NodeKind.HANDOFF


@dataclass(frozen=True)
class CloseNode:
    id: str
    kind: ClassVar[NodeKind] = NodeKind.CLOSE


@dataclass(frozen=True)
class GotoNode:
    """Jumps to another node of this flow, or starts another flow (and ends this run)."""

    id: str
    target: str | None = None
    flow_id: int | None = None
    kind: ClassVar[NodeKind] = NodeKind.GOTO


@dataclass(frozen=True)
class Variant:
    percent: int
    target: str | None = None


@dataclass(frozen=True)
class SplitNode:
    """A/B split: each contact always takes the same variant (a hash of contact key and node id)."""

    id: str
    variants: tuple[Variant, ...]
    kind: ClassVar[NodeKind] = NodeKind.SPLIT


Node: TypeAlias = (
    MessageNode
    | AskNode
    | ConditionNode
    | SetNode
    | WaitNode
    | WebhookNode
    | AIAnswerNode
    | HandoffNode
    | CloseNode
    | GotoNode
    | SplitNode
)


@dataclass(frozen=True)
class Flow:
    start: str | None
    nodes: tuple[Node, ...]
    triggers: tuple[Trigger, ...] = ()

    @cached_property
    def by_id(self) -> Mapping[str, Node]:
        """Nodes by id; of duplicates (a validation error) the first wins."""
        index: dict[str, Node] = {}
        for node in self.nodes:
            index.setdefault(node.id, node)
        return index

    def node(self, node_id: str | None) -> Node | None:
        return None if node_id is None else self.by_id.get(node_id)


@dataclass(frozen=True)
class Edge:
    name: str  # next, button:0, text, give_up, timeout, then, else, error, handoff, goto, variant:0
    target: str | None
    path: str  # where the target is written, relative to the node: ".buttons[1].target"


def button_edge(index: int) -> str:
    return f"button:{index}"


def variant_edge(index: int) -> str:
    return f"variant:{index}"


def edges_of(node: Node) -> tuple[Edge, ...]:
    """Every way out of `node`, connected or not."""
    match node:
        case MessageNode():
            buttons = tuple(
                Edge(button_edge(index), button.target, f".buttons[{index}].target")
                for index, button in enumerate(node.buttons)
            )
            return (*buttons, _edge("next", node.next), Edge("text", node.on_text, ".on_text"))
        case AskNode():
            return (
                _edge("next", node.next),
                Edge("give_up", node.on_give_up, ".on_give_up"),
                Edge("timeout", node.on_timeout, ".on_timeout"),
            )
        case ConditionNode():
            return (Edge("then", node.then, ".then"), Edge("else", node.otherwise, ".else"))
        case SetNode() | WaitNode():
            return (_edge("next", node.next),)
        case WebhookNode():
            return (_edge("next", node.next), Edge("error", node.on_error, ".on_error"))
        case AIAnswerNode():
            return (_edge("next", node.next), Edge("handoff", node.on_handoff, ".on_handoff"))
        case GotoNode():
            return (Edge("goto", node.target, ".target"),)
        case SplitNode():
            return tuple(
                Edge(variant_edge(index), variant.target, f".variants[{index}].target")
                for index, variant in enumerate(node.variants)
            )
    return ()


def pauses(node: Node) -> bool:
    """Whether the run stops at `node` until the visitor (or a timer) acts: what breaks a loop."""
    match node:
        case AskNode() | WaitNode():
            return True
        case MessageNode():
            return node.buttons != ()
        case AIAnswerNode():
            return node.prompt is not None
    return False


def _edge(name: str, target: str | None) -> Edge:
    return Edge(name, target, f".{name}")
