"""Reading a stored flow document into a Flow: its shape through flows.schema, then every template,
condition, pattern and target parsed, each failure a located FlowError, then the graph checks.

- `check_flow_document(document)`: every error; [] means publishable.
- `parse_flow(document)`: the Flow to run, or FlowInvalid carrying the errors.
- `build_flow(document)`: both (the Flow is None only when the shape itself is wrong)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import JsonValue, ValidationError

from core.errors import InvalidInput
from core.ids import GroupId
from flows.expressions import Expr, Literal, Var, compile_pattern
from flows.facts import parse_target
from flows.graph import (
    AIAnswerNode,
    AnswerFormat,
    AskNode,
    Assign,
    Body,
    BodyList,
    BodyObject,
    Button,
    Choice,
    CloseNode,
    ConditionNode,
    Flow,
    GotoNode,
    HandoffNode,
    InputKind,
    MessageNode,
    Node,
    SetNode,
    SplitNode,
    Tagging,
    Variant,
    WaitNode,
    WebhookNode,
)
from flows.rules import parse_rule
from flows.schema import (
    AIAnswerDocument,
    AskDocument,
    ChatOpenedDocument,
    CloseDocument,
    ConditionDocument,
    FirstMessageDocument,
    FlowDocument,
    GotoDocument,
    HandoffDocument,
    KeywordDocument,
    MessageDocument,
    NodeDocument,
    SetDocument,
    SetValueDocument,
    SplitDocument,
    TagDocument,
    TelegramStartDocument,
    TriggerDocument,
    WaitDocument,
    WebhookDocument,
)
from flows.shape_errors import shape_errors
from flows.templates import Template, parse_template
from flows.tokens import ExpressionError, RegexError
from flows.triggers import ChatOpenedTrigger, FirstMessageTrigger, KeywordTrigger, TelegramStartTrigger, Trigger
from flows.validation import FlowError, FlowErrorCode, check_flow

_URL_WITH_HOST = re.compile(r"https?://[^/{}\s?#]+")


class FlowInvalid(InvalidInput):
    def __init__(self, errors: Sequence[FlowError]) -> None:
        first = errors[0] if errors else FlowError("", FlowErrorCode.INVALID_SHAPE, "invalid")
        super().__init__(
            "The flow has {count} error(s); the first, at {path}: {first}",
            count=len(errors),
            path=first.path or "the top",
            first=first.message,
            # Every error, for the editor to list and locate (the JSON API's `error.details.errors`).
            errors=[
                {"path": error.path, "code": str(error.code), "message": error.message, "node_id": error.node_id}
                for error in errors
            ],
        )
        self.errors = tuple(errors)


def build_flow(document: object) -> tuple[Flow | None, list[FlowError]]:
    try:
        parsed = FlowDocument.model_validate(document)
    except ValidationError as error:
        return None, shape_errors(error, document)
    reader = _Reader()
    flow = Flow(
        parsed.start,
        tuple(reader.node(index, node) for index, node in enumerate(parsed.nodes)),
        tuple(_trigger(trigger) for trigger in parsed.triggers),
    )
    return flow, [*reader.errors, *check_flow(flow)]


def parse_flow(document: object) -> Flow:
    flow, errors = build_flow(document)
    if flow is None or errors:
        raise FlowInvalid(errors)
    return flow


def check_flow_document(document: object) -> list[FlowError]:
    return build_flow(document)[1]


@dataclass(frozen=True)
class _At:
    index: int
    node_id: str


class _Reader:
    """Turns node documents into graph nodes, noting each part it cannot read and going on."""

    def __init__(self) -> None:
        self.errors: list[FlowError] = []

    def node(self, index: int, document: NodeDocument) -> Node:
        at = _At(index, document.id)
        match document:
            case MessageDocument():
                buttons = tuple(Button(button.label, button.target) for button in document.buttons)
                text = self.template(document.text, at, ".text")
                return MessageNode(document.id, text, document.image_url, buttons, document.next, document.on_text)
            case AskDocument():
                return self._ask(document, at)
            case ConditionDocument():
                return ConditionNode(document.id, self._rule(document.when, at), document.then, document.otherwise)
            case SetDocument():
                operations = [self._operation(op, at, f".operations[{i}]") for i, op in enumerate(document.operations)]
                kept = tuple(operation for operation in operations if operation is not None)
                return SetNode(document.id, kept, document.next)
            case WaitDocument():
                return WaitNode(document.id, document.seconds, document.next)
            case WebhookDocument():
                return self._webhook(document, at)
            case AIAnswerDocument():
                prompt = self.optional_template(document.prompt, at, ".prompt")
                question = self.optional_template(document.question, at, ".question")
                return AIAnswerNode(document.id, prompt, question, document.next, document.on_handoff)
            case HandoffDocument():
                group_id = None if document.group_id is None else GroupId(document.group_id)
                summary = self.optional_template(document.summary, at, ".summary")
                return HandoffNode(document.id, group_id, document.group, summary)
            case CloseDocument():
                return CloseNode(document.id)
            case GotoDocument():
                return GotoNode(document.id, document.target, document.flow_id)
            case SplitDocument():
                return SplitNode(document.id, tuple(Variant(item.percent, item.target) for item in document.variants))

    def template(self, source: str, at: _At, suffix: str) -> Template:
        try:
            return parse_template(source)
        except ExpressionError as error:
            self._note(at, suffix, error, FlowErrorCode.INVALID_TEMPLATE)
            return Template(source, (source,))

    def optional_template(self, source: str | None, at: _At, suffix: str) -> Template | None:
        return None if source is None else self.template(source, at, suffix)

    def _rule(self, rule: object, at: _At) -> Expr:
        try:
            return parse_rule(rule)
        except ExpressionError as error:
            self._note(at, ".when" + error.where, error, FlowErrorCode.INVALID_EXPRESSION)
            return Literal(False)

    def _ask(self, document: AskDocument, at: _At) -> AskNode:
        choices = tuple(
            Choice(item.label, item.label if item.value is None else item.value) for item in document.choices
        )
        return AskNode(
            document.id,
            self.template(document.text, at, ".text"),
            input=InputKind(document.input),
            choices=choices,
            validator=None if document.validator is None else AnswerFormat(document.validator),
            pattern=None if document.pattern is None else self._pattern(document.pattern, at),
            save_to=None if document.save_to is None else self._target(document.save_to, at, ".save_to"),
            attempts=document.attempts,
            retry_text=self.optional_template(document.retry_text, at, ".retry_text"),
            on_give_up=document.on_give_up,
            timeout_seconds=document.timeout_seconds,
            on_timeout=document.on_timeout,
            next=document.next,
        )

    def _pattern(self, pattern: str, at: _At) -> re.Pattern[str] | None:
        try:
            return compile_pattern(pattern)
        except ExpressionError as error:
            self._note(at, ".pattern", error, FlowErrorCode.INVALID_REGEX)
            return None

    def _target(self, path: str, at: _At, suffix: str) -> Var | None:
        try:
            return parse_target(path)
        except ExpressionError as error:
            self._note(at, suffix, error, FlowErrorCode.INVALID_TARGET)
            return None

    def _operation(self, document: SetValueDocument | TagDocument, at: _At, suffix: str) -> Assign | Tagging | None:
        if isinstance(document, TagDocument):
            return Tagging(document.tag, add=document.op == "add_tag")
        target = self._target(document.path, at, f"{suffix}.path")
        if target is None:
            return None
        value = document.value
        return Assign(target, self.template(value, at, f"{suffix}.value") if isinstance(value, str) else value)

    def _webhook(self, document: WebhookDocument, at: _At) -> WebhookNode:
        if _URL_WITH_HOST.match(document.url) is None:
            message = "The URL starts with http:// or https:// and a host written out (not from a variable)."
            self.errors.append(FlowError(f"nodes[{at.index}].url", FlowErrorCode.INVALID_URL, message, at.node_id))
        headers = tuple(
            (name, self.template(value, at, f".headers.{name}")) for name, value in document.headers.items()
        )
        save = tuple((name, tuple(path.split("."))) for name, path in document.save.items())
        return WebhookNode(
            document.id,
            self.template(document.url, at, ".url"),
            method=document.method,
            headers=headers,
            body=self._body(document.body, at, ".body"),
            timeout_seconds=document.timeout_seconds,
            save=save,
            next=document.next,
            on_error=document.on_error,
        )

    def _body(self, body: JsonValue, at: _At, suffix: str) -> Body:
        if isinstance(body, str):
            return self.template(body, at, suffix)
        if isinstance(body, list):
            return BodyList(tuple(self._body(item, at, f"{suffix}[{i}]") for i, item in enumerate(body)))
        if isinstance(body, dict):
            return BodyObject(tuple((name, self._body(value, at, f"{suffix}.{name}")) for name, value in body.items()))
        return body

    def _note(self, at: _At, suffix: str, error: ExpressionError, code: FlowErrorCode) -> None:
        if isinstance(error, RegexError):
            code = FlowErrorCode.INVALID_REGEX
        self.errors.append(FlowError(f"nodes[{at.index}]{suffix}", code, error.message, at.node_id))


def _trigger(document: TriggerDocument) -> Trigger:
    match document:
        case ChatOpenedDocument():
            return ChatOpenedTrigger()
        case FirstMessageDocument():
            return FirstMessageTrigger()
        case KeywordDocument():
            return KeywordTrigger(tuple(document.keywords))
        case TelegramStartDocument():
            return TelegramStartTrigger(document.payload)
