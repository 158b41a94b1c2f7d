"""The stored flow document's shape (pydantic, at the edge): exactly what JSON a flow may hold.
Unknown keys are refused so a typo is an error, not a silently ignored field; `ui` holds whatever
the graph editor keeps (positions, colours) and the engine never reads it. docs/flows.md lists it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints

from flows.graph import MAX_NODES

SCHEMA_VERSION = 1

NodeId = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(max_length=4096)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Path = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Editor = dict[str, JsonValue] | None


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ButtonDocument(_Document):
    label: Label
    target: NodeId | None = None


class MessageDocument(_Document):
    kind: Literal["message"]
    id: NodeId
    text: Text = ""
    image_url: Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://")] | None = None
    buttons: Annotated[list[ButtonDocument], Field(max_length=10)] = []
    next: NodeId | None = None
    on_text: NodeId | None = None
    ui: Editor = None


class ChoiceDocument(_Document):
    label: Label
    value: Annotated[str, StringConstraints(max_length=200)] | None = None  # None: the label


class AskDocument(_Document):
    kind: Literal["ask"]
    id: NodeId
    text: Text
    input: Literal["text", "choice"] = "text"
    choices: Annotated[list[ChoiceDocument], Field(max_length=20)] = []
    validator: Literal["email", "phone", "number", "regex"] | None = None
    pattern: Annotated[str, StringConstraints(max_length=300)] | None = None
    save_to: Path | None = None
    attempts: Annotated[int, Field(ge=1, le=10)] = 3
    retry_text: Text | None = None
    on_give_up: NodeId | None = None
    timeout_seconds: Annotated[int, Field(ge=1, le=30 * 24 * 3600)] | None = None
    on_timeout: NodeId | None = None
    next: NodeId | None = None
    ui: Editor = None


class ConditionDocument(_Document):
    kind: Literal["condition"]
    id: NodeId
    when: str | dict[str, JsonValue]
    then: NodeId | None = None
    otherwise: NodeId | None = Field(default=None, alias="else")
    ui: Editor = None


class SetValueDocument(_Document):
    op: Literal["set"]
    path: Path
    value: Text | int | float | bool | None = None


class TagDocument(_Document):
    op: Literal["add_tag", "remove_tag"]
    tag: Label


class SetDocument(_Document):
    kind: Literal["set"]
    id: NodeId
    operations: Annotated[
        list[Annotated[SetValueDocument | TagDocument, Field(discriminator="op")]], Field(min_length=1, max_length=50)
    ]
    next: NodeId | None = None
    ui: Editor = None


class WaitDocument(_Document):
    kind: Literal["wait"]
    id: NodeId
    seconds: Annotated[int, Field(ge=1, le=30 * 24 * 3600)]
    next: NodeId | None = None
    ui: Editor = None


class WebhookDocument(_Document):
    kind: Literal["webhook"]
    id: NodeId
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    url: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    headers: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,100}$")], Text] = {}
    body: JsonValue = None
    timeout_seconds: Annotated[float, Field(gt=0, le=30)] = 10.0
    save: dict[Annotated[str, StringConstraints(pattern=r"^[^\W\d]\w{0,63}$")], Path] = {}
    next: NodeId | None = None
    on_error: NodeId | None = None
    ui: Editor = None


class AIAnswerDocument(_Document):
    kind: Literal["ai_answer"]
    id: NodeId
    prompt: Text | None = None
    question: Text | None = None
    next: NodeId | None = None
    on_handoff: NodeId | None = None
    ui: Editor = None


class HandoffDocument(_Document):
    kind: Literal["handoff"]
    id: NodeId
    group_id: Annotated[int, Field(ge=1)] | None = None
    group: Annotated[str, StringConstraints(max_length=200)] | None = None
    summary: Text | None = None
    ui: Editor = None


class CloseDocument(_Document):
    kind: Literal["close"]
    id: NodeId
    ui: Editor = None


class GotoDocument(_Document):
    kind: Literal["goto"]
    id: NodeId
    target: NodeId | None = None
    flow_id: Annotated[int, Field(ge=1)] | None = None
    ui: Editor = None


class VariantDocument(_Document):
    percent: Annotated[int, Field(ge=0, le=100)]
    target: NodeId | None = None


class SplitDocument(_Document):
    kind: Literal["split"]
    id: NodeId
    variants: Annotated[list[VariantDocument], Field(min_length=1, max_length=10)]
    ui: Editor = None


NodeDocument = Annotated[
    MessageDocument
    | AskDocument
    | ConditionDocument
    | SetDocument
    | WaitDocument
    | WebhookDocument
    | AIAnswerDocument
    | HandoffDocument
    | CloseDocument
    | GotoDocument
    | SplitDocument,
    Field(discriminator="kind"),
]


class ChatOpenedDocument(_Document):
    type: Literal["chat_opened"]


class FirstMessageDocument(_Document):
    type: Literal["first_message"]


class KeywordDocument(_Document):
    type: Literal["keyword"]
    keywords: Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=100)]], Field(min_length=1)]


class TelegramStartDocument(_Document):
    type: Literal["telegram_start"]
    payload: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


TriggerDocument = Annotated[
    ChatOpenedDocument | FirstMessageDocument | KeywordDocument | TelegramStartDocument, Field(discriminator="type")
]


class FlowDocument(_Document):
    version: Literal[1] = Field(alias="schema")
    start: NodeId | None = None
    triggers: Annotated[list[TriggerDocument], Field(max_length=20)] = []
    nodes: Annotated[list[NodeDocument], Field(max_length=MAX_NODES)] = []
    ui: Editor = None
