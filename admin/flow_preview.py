"""The flow editor's preview (docs/flows-api.md): a draft stepped in memory, one visitor event at a
time, the run state kept by the browser between calls. Nothing is sent, stored or called: messages
come back as bubbles and every other effect as a sentence. The AI bot really answers, from the
workspace's knowledge base (read only, nothing metered); a webhook waits for the editor to say how
it answered."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic import JsonValue as AnyJson

from core.errors import InvalidInput
from core.i18n import gettext
from flows.actions import (
    AddTag,
    AskAI,
    CallWebhook,
    CancelTimer,
    Close,
    Effect,
    HandOff,
    HandoffReason,
    RemoveTag,
    ScheduleTimer,
    SendMessage,
    SetContactProperty,
    SetConversationAttribute,
    StartFlow,
    effects,
)
from flows.engine import step
from flows.events import (
    AIOutcome,
    AIResult,
    ButtonPressed,
    Event,
    Start,
    TimerFired,
    UserText,
    WebhookOutcome,
    WebhookResult,
)
from flows.facts import Facts
from flows.graph import Flow
from flows.invariants import state_is_valid
from flows.state import RunState, Waiting, new_run
from flows.state_json import facts_from_json, facts_to_json, state_from_json, state_to_json
from flows.values import JsonValue

# AI answers given within one turn: a draft that loops through the AI without pausing stops there.
AUTOMATIC_ANSWERS = 20
# The AI bot's answer to a question: what it says to the visitor, whether it answered, the summary.
AskPreviewAI = Callable[[str], Awaitable[tuple[str, AIOutcome, str | None]]]
TEXT_MAX = 4096
Outcome = TypeVar("Outcome", WebhookOutcome, AIOutcome)


class PreviewEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["start", "text", "button", "timer", "webhook", "ai"]
    text: str | None = Field(default=None, max_length=TEXT_MAX)
    button_id: str | None = Field(default=None, max_length=100)
    timer_id: str | None = Field(default=None, max_length=100)
    outcome: str | None = None  # webhook: ok, failed, timeout; ai: answered, handoff
    status: int | None = None
    body: AnyJson = None
    summary: str | None = Field(default=None, max_length=TEXT_MAX)


class PreviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    state: dict[str, AnyJson] | None = None  # what the previous call returned; ignored by "start"
    event: PreviewEvent
    facts: dict[str, AnyJson] | None = None  # for "start": the visitor (contact, within_working_hours...)


@dataclass(frozen=True)
class PreviewTurn:
    state: RunState
    effects: tuple[Effect, ...]
    ignored: bool  # the run was not waiting for that event: nothing changed


async def run_preview(flow: Flow, body: PreviewBody, *, language: str, ask_ai: AskPreviewAI) -> PreviewTurn:
    if body.event.type == "start":
        state = new_run()
        event: Event = Start(preview_facts(body.facts, language=language))
    else:
        state = _stored_state(flow, body.state)
        event = preview_event(body.event, state)
    new, actions = step(flow, state, event)
    done = effects(actions)
    for _ in range(AUTOMATIC_ANSWERS):
        asked = [effect.question for effect in done if isinstance(effect, AskAI)]
        if new.waiting is not Waiting.AI or new.request_id is None or not asked:
            break
        said, outcome, summary = await ask_ai(asked[-1])
        done.append(SendMessage(said))
        new, actions = step(flow, new, AIResult(new.request_id, outcome, summary))
        done.extend(effects(actions))
    return PreviewTurn(new, tuple(done), ignored=new is state)


def preview_facts(supplied: Mapping[str, AnyJson] | None, *, language: str) -> Facts:
    """A web visitor in working hours, unless the editor says otherwise."""
    defaults = facts_to_json(Facts(contact_key="preview", channel="web", language=language))
    return facts_from_json({**defaults, **(supplied or {})})


def preview_event(event: PreviewEvent, state: RunState) -> Event:
    """The engine's event; results and timers answer what the run waits for now."""
    match event.type:
        case "text":
            return UserText(_required(event.text, "text"))
        case "button":
            return ButtonPressed(_required(event.button_id, "button_id"))
        case "timer":
            return TimerFired(event.timer_id or state.timer_id or "")
        case "webhook":
            outcome = _outcome(WebhookOutcome, event.outcome)
            return WebhookResult(state.request_id or "", outcome, event.status, event.body)
        case "ai":
            return AIResult(state.request_id or "", _outcome(AIOutcome, event.outcome), event.summary)
    raise InvalidInput("Start the preview first.", field="event.type")


def turn_json(turn: PreviewTurn) -> dict[str, JsonValue]:
    output = [_output_item(effect) for effect in turn.effects]
    state = turn.state
    return {
        "state": state_to_json(state),
        "messages": [item for item in output if item["type"] == "message"],
        "effects": [item["text"] for item in output if item["type"] == "effect"],
        "output": list(output),
        "node_id": state.node_id,
        "waiting": state.waiting.value,
        "finished": state.finished,
        "finish_reason": None if state.finish_reason is None else state.finish_reason.value,
        "ignored": turn.ignored,
    }


def describe(effect: Effect) -> str:
    """One sentence for an effect other than a message, in the editor's language."""
    match effect:
        case ScheduleTimer(timer_id, delay):
            return gettext("Wait {duration} (timer {timer_id})").format(duration=duration(delay), timer_id=timer_id)
        case CancelTimer(timer_id):
            return gettext("Cancel the timer {timer_id}").format(timer_id=timer_id)
        case SetContactProperty(name, value):
            return gettext("Set contact.{name} = {value}").format(name=name, value=value)
        case SetConversationAttribute(name, value):
            return gettext("Set conversation.{name} = {value}").format(name=name, value=value)
        case AddTag(tag):
            return gettext("Add the tag {tag}").format(tag=tag)
        case RemoveTag(tag):
            return gettext("Remove the tag {tag}").format(tag=tag)
        case CallWebhook(method=method, url=url):
            return gettext("Would call the webhook {method} {url}").format(method=method, url=url)
        case AskAI(question=question):
            return gettext("Ask the AI bot: {question}").format(question=question)
        case HandOff():
            return _describe_handoff(effect)
        case Close():
            return gettext("Close the dialog")
        case StartFlow(flow_id):
            return gettext("Start the flow #{flow_id}").format(flow_id=flow_id)
        case SendMessage(text):
            return text


def duration(delay: timedelta) -> str:
    seconds = int(delay.total_seconds())
    for unit, label in ((86400, gettext("{n} d")), (3600, gettext("{n} h")), (60, gettext("{n} min"))):
        if seconds >= unit and seconds % unit == 0:
            return label.format(n=seconds // unit)
    return gettext("{n} s").format(n=seconds)


def _describe_handoff(effect: HandOff) -> str:
    if effect.group_name is not None:
        group = effect.group_name
    elif effect.group_id is not None:
        group = gettext("the group #{id}").format(id=effect.group_id)
    else:
        group = gettext("the default queue")
    heads = {
        HandoffReason.FLOW: gettext("Hand off to {group}"),
        HandoffReason.AI: gettext("Hand off to {group} (the AI bot could not answer)"),
        HandoffReason.RUNAWAY: gettext("Hand off to {group} (the flow kept talking without the visitor)"),
    }
    head = heads[effect.reason].format(group=group)
    return head if not effect.summary else f"{head}: {effect.summary}"


def _output_item(effect: Effect) -> dict[str, JsonValue]:
    if isinstance(effect, SendMessage):
        buttons: list[JsonValue] = [{"id": button.id, "label": button.label} for button in effect.buttons]
        return {"type": "message", "text": effect.text, "image_url": effect.image_url, "buttons": buttons}
    return {"type": "effect", "text": describe(effect)}


def _stored_state(flow: Flow, data: Mapping[str, AnyJson] | None) -> RunState:
    if data is None:
        raise InvalidInput("Start the preview first.", field="state")
    state = state_from_json(data)
    if not state_is_valid(flow, state):
        raise InvalidInput("The draft changed since the preview started: restart the preview.", field="state")
    return state


def _required(value: str | None, field: str) -> str:
    if value is None:
        raise InvalidInput("This event needs {field}.", field=field)
    return value


def _outcome(kind: type[Outcome], value: str | None) -> Outcome:
    for member in kind:
        if member.value == value:
            return member
    choices = ", ".join(member.value for member in kind)
    raise InvalidInput("Choose an outcome: {choices}.", field="outcome", choices=choices)
