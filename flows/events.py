"""What the runtime tells a run (pure): each event is handed to `flows.engine.step`. An event that
does not fit the run's state (a stale button, a timer or result for another wait, anything after
the run finished) changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeAlias

from flows.facts import Facts
from flows.values import JsonValue


@dataclass(frozen=True)
class Start:
    """The flow was triggered: the run enters the start node with these facts."""

    facts: Facts = field(default_factory=Facts)
    text: str | None = None  # the visitor's words that triggered it, if a message did: vars.last_input


@dataclass(frozen=True)
class UserText:
    text: str


@dataclass(frozen=True)
class ButtonPressed:
    button_id: str  # a ButtonOption.id from a SendMessage of this run


@dataclass(frozen=True)
class TimerFired:
    timer_id: str


class WebhookOutcome(StrEnum):
    OK = "ok"  # a 2xx answer; `body` is its decoded JSON (None when it was not JSON)
    FAILED = "failed"  # refused, unreachable, not 2xx
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class WebhookResult:
    request_id: str  # the CallWebhook's request_id
    outcome: WebhookOutcome
    status: int | None = None
    body: JsonValue = None


# The AI bot's buttons under an answer; "talk to a person" hands off from an ai_answer node.
AI_PERSON_BUTTON = "ai:person"
AI_HELPFUL_BUTTON = "ai:helpful"
AI_UNHELPFUL_BUTTON = "ai:unhelpful"
AI_BUTTONS = (AI_PERSON_BUTTON, AI_HELPFUL_BUTTON, AI_UNHELPFUL_BUTTON)
# A button outside any run that starts a flow: a broadcast's "start a flow" button, pressed.
FLOW_BUTTON_PREFIX = "flow:"


def flow_button_id(flow_id: int) -> str:
    return f"{FLOW_BUTTON_PREFIX}{flow_id}"


def flow_of_button(button_id: str | None) -> int | None:
    """The flow a `flow:<id>` button starts; None for any other button."""
    if button_id is None or not button_id.startswith(FLOW_BUTTON_PREFIX):
        return None
    number = button_id.removeprefix(FLOW_BUTTON_PREFIX)
    return int(number) if number.isdigit() else None


class AIOutcome(StrEnum):
    ANSWERED = "answered"
    HANDOFF = "handoff"  # the AI bot could not answer or the visitor asked for a person


@dataclass(frozen=True)
class AIResult:
    request_id: str  # the AskAI's request_id
    outcome: AIOutcome
    summary: str | None = None  # for the operator, when handing off


@dataclass(frozen=True)
class FactsRefreshed:
    """New facts (working hours changed, the contact was edited): later steps decide on them."""

    facts: Facts


Event: TypeAlias = Start | UserText | ButtonPressed | TimerFired | WebhookResult | AIResult | FactsRefreshed
