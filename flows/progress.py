"""One step in the making (pure): the state as it moves and the actions it emits, with the moves
every node shares: enter, send (under the runaway limit), pause, leave, take an edge, finish."""

from __future__ import annotations

from dataclasses import replace

from flows.actions import (
    Action,
    ButtonOption,
    CancelTimer,
    EdgeTaken,
    HandOff,
    HandoffReason,
    NodeEntered,
    RunEnded,
    SendMessage,
    SetContactProperty,
    SetConversationAttribute,
)
from flows.evaluation import holds
from flows.expressions import Expr, Var
from flows.facts import read_variable
from flows.graph import Flow
from flows.state import FinishReason, RunState, Waiting
from flows.templates import Template, render_template
from flows.values import Value, as_text


class Progress:
    """Local to one call of `step`: nothing outside ever sees it half-done."""

    def __init__(self, flow: Flow, state: RunState, *, message_limit: int) -> None:
        self.flow = flow
        self.state = state
        self.message_limit = message_limit
        self.actions: list[Action] = []

    def result(self) -> tuple[RunState, tuple[Action, ...]]:
        return self.state, tuple(self.actions)

    def lookup(self, var: Var) -> Value:
        return read_variable(self.state.facts, self.state.variables, var)

    def render(self, template: Template) -> str:
        return render_template(template, self.lookup)

    def holds(self, expr: Expr) -> bool:
        return holds(expr, self.lookup)

    def next_id(self, prefix: str) -> str:
        """A new id for a timer, request or prompt: never used before in this run."""
        sequence = self.state.sequence + 1
        self.state = replace(self.state, sequence=sequence)
        return f"{prefix}{sequence}"

    def enter(self, node_id: str) -> None:
        self.state = replace(self.state, node_id=node_id, waiting=Waiting.NOTHING, retries=0)
        self.actions.append(NodeEntered(node_id))

    def send(self, text: str, *, image_url: str | None = None, buttons: tuple[ButtonOption, ...] = ()) -> bool:
        """Send, unless that would pass the limit of messages without the visitor: then stop the
        run and hand it to a person. False when stopped."""
        if self.state.messages_since_input >= self.message_limit:
            self.stop_runaway()
            return False
        self.actions.append(SendMessage(text, image_url, buttons))
        self.state = replace(self.state, messages_since_input=self.state.messages_since_input + 1)
        return True

    def pause(
        self,
        waiting: Waiting,
        *,
        timer_id: str | None = None,
        request_id: str | None = None,
        prompt_id: str | None = None,
    ) -> None:
        self.state = replace(self.state, waiting=waiting, timer_id=timer_id, request_id=request_id, prompt_id=prompt_id)

    def heard_visitor(self) -> None:
        self.state = replace(self.state, messages_since_input=0)

    def remember(self, name: str, value: Value) -> None:
        self.state = replace(self.state, variables={**self.state.variables, name: value})

    def write(self, target: Var, value: Value) -> None:
        """Save to a contact property, a conversation attribute (both as text) or a variable."""
        facts = self.state.facts
        if target.root == "contact":
            self.actions.append(SetContactProperty(target.name, as_text(value)))
            self.state = replace(self.state, facts=facts.with_contact_property(target.name, as_text(value)))
        elif target.root == "conversation":
            self.actions.append(SetConversationAttribute(target.name, as_text(value)))
            self.state = replace(self.state, facts=facts.with_conversation_attribute(target.name, as_text(value)))
        else:
            self.remember(target.name, value)

    def leave(self, *, timer_fired: bool = False) -> None:
        """Stop waiting at the current node, cancelling its timer unless that timer is what fired."""
        if self.state.timer_id is not None and not timer_fired:
            self.actions.append(CancelTimer(self.state.timer_id))
        self.state = replace(
            self.state, waiting=Waiting.NOTHING, timer_id=None, request_id=None, prompt_id=None, retries=0
        )

    def take(self, edge: str, target: str) -> None:
        if self.state.node_id is not None:
            self.actions.append(EdgeTaken(self.state.node_id, edge, target))

    def finish(self, reason: FinishReason) -> None:
        self.leave()
        self.state = replace(self.state, finished=True, finish_reason=reason)
        self.actions.append(RunEnded(self.state.node_id, reason))

    def stop_runaway(self) -> None:
        self.actions.append(HandOff(HandoffReason.RUNAWAY))
        self.finish(FinishReason.RUNAWAY)
