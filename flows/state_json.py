"""Run state as JSON (pure), for a JSONB column: `state_from_json(state_to_json(s)) == s`. A stored
state that is not what this module wrote is refused with InvalidInput, never half-read."""

from __future__ import annotations

from collections.abc import Mapping

from core.errors import InvalidInput
from flows.facts import Facts
from flows.state import FinishReason, RunState, Waiting
from flows.values import JsonValue, Value, from_json, to_json

STATE_FORMAT = 1


def state_to_json(state: RunState) -> dict[str, JsonValue]:
    return {
        "format": STATE_FORMAT,
        "node_id": state.node_id,
        "waiting": state.waiting.value,
        "retries": state.retries,
        "variables": {name: to_json(value) for name, value in state.variables.items()},
        "facts": facts_to_json(state.facts),
        "timer_id": state.timer_id,
        "request_id": state.request_id,
        "prompt_id": state.prompt_id,
        "sequence": state.sequence,
        "messages_since_input": state.messages_since_input,
        "finished": state.finished,
        "finish_reason": None if state.finish_reason is None else state.finish_reason.value,
    }


def state_from_json(data: object) -> RunState:
    """The state `state_to_json` wrote (as read back from a JSON column); InvalidInput otherwise."""
    if not isinstance(data, dict):
        raise InvalidInput("Stored run state is not a JSON object.")
    read = _Reader(data)
    if data.get("format") != STATE_FORMAT:
        raise InvalidInput("Stored run state has an unknown format {format!r}.", format=data.get("format"))
    reason = read.text("finish_reason")
    return RunState(
        node_id=read.text("node_id"),
        waiting=Waiting(read.choice("waiting", Waiting)),
        retries=read.count("retries"),
        variables={name: _value(value) for name, value in read.mapping("variables").items()},
        facts=facts_from_json(read.mapping("facts")),
        timer_id=read.text("timer_id"),
        request_id=read.text("request_id"),
        prompt_id=read.text("prompt_id"),
        sequence=read.count("sequence"),
        messages_since_input=read.count("messages_since_input"),
        finished=read.flag("finished"),
        finish_reason=None if reason is None else FinishReason(read.choice("finish_reason", FinishReason)),
    )


def facts_to_json(facts: Facts) -> dict[str, JsonValue]:
    return {
        "contact_key": facts.contact_key,
        "contact": dict(facts.contact),
        "tags": list(facts.tags),
        "is_returning": facts.is_returning,
        "language": facts.language,
        "channel": facts.channel,
        "conversation": dict(facts.conversation),
        "page_url": facts.page_url,
        "page_title": facts.page_title,
        "page_referrer": facts.page_referrer,
        "within_working_hours": facts.within_working_hours,
        "workspace_name": facts.workspace_name,
    }


def facts_from_json(data: object) -> Facts:
    if not isinstance(data, dict):
        raise InvalidInput("Stored facts are not a JSON object.")
    read = _Reader(data)
    return Facts(
        contact_key=read.text("contact_key") or "",
        contact=read.text_map("contact"),
        tags=read.text_list("tags"),
        is_returning=read.flag("is_returning"),
        language=read.text("language"),
        channel=read.text("channel"),
        conversation=read.text_map("conversation"),
        page_url=read.text("page_url"),
        page_title=read.text("page_title"),
        page_referrer=read.text("page_referrer"),
        within_working_hours=read.flag("within_working_hours"),
        workspace_name=read.text("workspace_name"),
    )


def _value(value: JsonValue) -> Value:
    if isinstance(value, dict):
        raise InvalidInput("Stored run state holds an object where a value belongs.")
    return from_json(value)


class _Reader:
    """Typed reads from one stored JSON object, each refusing a value of the wrong kind."""

    def __init__(self, data: Mapping[str, JsonValue]) -> None:
        self._data = data

    def text(self, key: str) -> str | None:
        value = self._data.get(key)
        if value is None or isinstance(value, str):
            return value
        raise self._malformed(key)

    def choice(self, key: str, allowed: type[Waiting] | type[FinishReason]) -> str:
        value = self._data.get(key)
        if isinstance(value, str) and value in {member.value for member in allowed}:
            return value
        raise self._malformed(key)

    def count(self, key: str) -> int:
        value = self._data.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        raise self._malformed(key)

    def flag(self, key: str) -> bool:
        value = self._data.get(key)
        if isinstance(value, bool):
            return value
        raise self._malformed(key)

    def mapping(self, key: str) -> Mapping[str, JsonValue]:
        value = self._data.get(key)
        if isinstance(value, dict):
            return value
        raise self._malformed(key)

    def text_map(self, key: str) -> dict[str, str]:
        value = self._data.get(key)
        if isinstance(value, dict) and all(isinstance(item, str) for item in value.values()):
            return {name: str(item) for name, item in value.items()}
        raise self._malformed(key)

    def text_list(self, key: str) -> tuple[str, ...]:
        value = self._data.get(key)
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return tuple(str(item) for item in value)
        raise self._malformed(key)

    def _malformed(self, key: str) -> InvalidInput:
        return InvalidInput("Stored run state is malformed at {key!r}.", key=key)
