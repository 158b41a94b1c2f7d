"""The flow engine (pure): `step(flow, state, event) -> (state, actions)`. It never raises on a
flow that flows.loading built and any sequence of events; an event that does not apply returns
the very same state object and no actions, so `new is old` tells the runtime it was ignored."""

from __future__ import annotations

from dataclasses import replace
from typing import assert_never

from flows.actions import Action
from flows.events import (
    AIResult,
    ButtonPressed,
    Event,
    FactsRefreshed,
    Start,
    TimerFired,
    UserText,
    WebhookResult,
)
from flows.facts import LAST_INPUT, Facts
from flows.graph import Flow
from flows.nodes import walk
from flows.progress import Progress
from flows.resuming import (
    MAX_INPUT_LENGTH,
    resume_with_ai,
    resume_with_button,
    resume_with_text,
    resume_with_timer,
    resume_with_webhook,
)
from flows.state import FinishReason, RunState, new_run

DEFAULT_MESSAGE_LIMIT = 10  # messages a flow may send without hearing from the visitor


def step(
    flow: Flow, state: RunState, event: Event, *, message_limit: int = DEFAULT_MESSAGE_LIMIT
) -> tuple[RunState, tuple[Action, ...]]:
    """The run's next state and what to do, in order. Past `message_limit` messages without the
    visitor the run stops with a HandOff(reason="flow-runaway")."""
    if state.finished:
        return state, ()
    run = Progress(flow, state, message_limit=message_limit)
    if not _apply(run, event):
        return state, ()
    return run.result()


def start_run(
    flow: Flow, facts: Facts, *, text: str | None = None, message_limit: int = DEFAULT_MESSAGE_LIMIT
) -> tuple[RunState, tuple[Action, ...]]:
    """A new run, stepped with Start(facts, text)."""
    return step(flow, new_run(), Start(facts, text), message_limit=message_limit)


def _apply(run: Progress, event: Event) -> bool:
    match event:
        case Start(facts, text):
            return _start(run, facts, text)
        case FactsRefreshed(facts):
            run.state = replace(run.state, facts=facts)
            return True
        case UserText(text):
            return resume_with_text(run, text)
        case ButtonPressed(button_id):
            return resume_with_button(run, button_id)
        case TimerFired(timer_id):
            return resume_with_timer(run, timer_id)
        case WebhookResult():
            return resume_with_webhook(run, event)
        case AIResult():
            return resume_with_ai(run, event)
    assert_never(event)


def _start(run: Progress, facts: Facts, text: str | None) -> bool:
    if run.state.started:
        return False
    run.state = replace(run.state, facts=facts)
    if text is not None:
        run.heard_visitor()
        run.remember(LAST_INPUT, text[:MAX_INPUT_LENGTH])
    start = run.flow.node(run.flow.start)
    if start is None:
        run.finish(FinishReason.BROKEN)
    else:
        walk(run, start.id)
    return True
