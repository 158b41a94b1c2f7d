"""A run's state (pure): where one conversation is in one flow, immutable. The runtime stores it as
JSON (flows.state_json) next to the flow version it runs; the version is not part of the state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from flows.facts import Facts
from flows.values import Value


class Waiting(StrEnum):
    NOTHING = "nothing"  # not started, or finished
    INPUT = "input"  # the visitor's text or button press (an ask may also have a timeout timer)
    TIMER = "timer"  # a wait node's timer
    WEBHOOK = "webhook"  # a CallWebhook's result
    AI = "ai"  # an AskAI's result


class FinishReason(StrEnum):
    COMPLETED = "completed"  # reached an edge that leads nowhere
    HANDED_OFF = "handed_off"
    CLOSED = "closed"
    SWITCHED_FLOW = "switched_flow"  # a goto started another flow
    GAVE_UP = "gave_up"  # an ask ran out of attempts with no give-up branch
    TIMED_OUT = "timed_out"  # an ask timed out with no timeout branch
    RUNAWAY = "runaway"  # too many messages without the visitor, or a loop that never pauses
    BROKEN = "broken"  # an edge to a node that does not exist (an unpublishable flow)


@dataclass(frozen=True)
class RunState:
    node_id: str | None = None
    waiting: Waiting = Waiting.NOTHING
    retries: int = 0  # wrong answers given at the current ask
    variables: Mapping[str, Value] = field(default_factory=dict)  # vars.*
    facts: Facts = field(default_factory=Facts)
    timer_id: str | None = None  # the one timer whose TimerFired counts
    request_id: str | None = None  # the one webhook or AI request whose result counts
    prompt_id: str | None = None  # prefix of the button ids on offer; older buttons are stale
    sequence: int = 0  # numbers timers, requests and prompts: ids never repeat within a run
    messages_since_input: int = 0
    finished: bool = False
    finish_reason: FinishReason | None = None

    @property
    def started(self) -> bool:
        return self.node_id is not None or self.finished


def new_run() -> RunState:
    """A run that has not started: step it with a Start event."""
    return RunState()
