"""Shared helpers for the flow tests: build a flow from node documents, play events through it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flows.actions import Action, ButtonOption, SendMessage, effects
from flows.engine import step
from flows.events import Event, Start
from flows.facts import Facts
from flows.graph import Flow
from flows.loading import parse_flow
from flows.state import RunState, new_run
from flows.values import JsonValue


def document_of(*nodes: Mapping[str, JsonValue], start: str | None = None) -> dict[str, JsonValue]:
    first = nodes[0]["id"] if nodes else None
    return {"schema": 1, "start": start if start is not None else first, "nodes": [dict(node) for node in nodes]}


def flow_of(*nodes: Mapping[str, JsonValue], start: str | None = None) -> Flow:
    """A flow that must be valid: parse_flow raises otherwise."""
    return parse_flow(document_of(*nodes, start=start))


def play(
    flow: Flow, *events: Event, facts: Facts | None = None, state: RunState | None = None, message_limit: int = 10
) -> tuple[RunState, list[Action]]:
    """Start the run (unless a state is given), then step every event; all actions, in order."""
    current = state if state is not None else new_run()
    collected: list[Action] = []
    opening: Sequence[Event] = () if state is not None else (Start(facts if facts is not None else Facts()),)
    for event in (*opening, *events):
        current, actions = step(flow, current, event, message_limit=message_limit)
        collected.extend(actions)
    return current, collected


def texts(actions: Sequence[Action]) -> list[str]:
    return [action.text for action in actions if isinstance(action, SendMessage)]


def last_buttons(actions: Sequence[Action]) -> tuple[ButtonOption, ...]:
    sent = [action for action in actions if isinstance(action, SendMessage) and action.buttons]
    return sent[-1].buttons if sent else ()


def effect_types(actions: Sequence[Action]) -> list[str]:
    return [type(action).__name__ for action in effects(actions)]
