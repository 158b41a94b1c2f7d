"""What every run state must satisfy (pure): the property tests check each state the engine returns,
and the runtime may check a state loaded from storage before stepping it."""

from __future__ import annotations

from flows.engine import DEFAULT_MESSAGE_LIMIT
from flows.graph import AIAnswerNode, AskNode, Flow, InputKind, MessageNode, Node, WaitNode, WebhookNode
from flows.state import RunState, Waiting


def state_is_valid(flow: Flow, state: RunState, *, message_limit: int = DEFAULT_MESSAGE_LIMIT) -> bool:
    if not 0 <= state.messages_since_input <= message_limit or state.sequence < 0 or state.retries < 0:
        return False
    if state.finished or state.node_id is None:
        return _is_at_rest(state) and state.finished == (state.finish_reason is not None)
    node = flow.node(state.node_id)
    return node is not None and _waits_as_node_does(node, state)


def _is_at_rest(state: RunState) -> bool:
    """Not started or finished: waiting for nothing, holding no timer, request or prompt."""
    return (
        state.waiting is Waiting.NOTHING
        and state.timer_id is None
        and state.request_id is None
        and state.prompt_id is None
        and state.retries == 0
    )


def _waits_as_node_does(node: Node, state: RunState) -> bool:
    match node:
        case MessageNode():
            return _waits(state, Waiting.INPUT, prompt=True) and node.buttons != ()
        case AskNode():
            return (
                _waits(
                    state, Waiting.INPUT, prompt=node.input is InputKind.CHOICE, timer=node.timeout_seconds is not None
                )
                and state.retries < node.attempts
            )
        case WaitNode():
            return _waits(state, Waiting.TIMER, timer=True)
        case WebhookNode():
            return _waits(state, Waiting.WEBHOOK, request=True)
        case AIAnswerNode():
            return _waits(state, Waiting.INPUT) or _waits(state, Waiting.AI, request=True)
    return False


def _waits(
    state: RunState, waiting: Waiting, *, prompt: bool = False, timer: bool = False, request: bool = False
) -> bool:
    return (
        state.waiting is waiting
        and (state.prompt_id is not None) == prompt
        and (state.timer_id is not None) == timer
        and (state.request_id is not None) == request
        and (state.retries == 0 or waiting is Waiting.INPUT)
    )
