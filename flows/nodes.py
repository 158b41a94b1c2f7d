"""Walking the graph (pure): entering each kind of node, and moving from node to node until the run
pauses (for the visitor, a timer, a webhook or the AI) or finishes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import assert_never

from flows.actions import (
    AddTag,
    AskAI,
    ButtonOption,
    CallWebhook,
    Close,
    HandOff,
    HandoffReason,
    RemoveTag,
    ScheduleTimer,
    StartFlow,
)
from flows.answers import button_id
from flows.expressions import Var
from flows.facts import LAST_INPUT
from flows.graph import (
    MAX_NODES,
    AIAnswerNode,
    AskNode,
    Assign,
    Body,
    BodyList,
    BodyObject,
    CloseNode,
    ConditionNode,
    GotoNode,
    HandoffNode,
    InputKind,
    MessageNode,
    Node,
    SetNode,
    SplitNode,
    Tagging,
    WaitNode,
    WebhookNode,
    variant_edge,
)
from flows.progress import Progress
from flows.state import FinishReason, Waiting
from flows.templates import Template
from flows.values import JsonValue, as_text

# Nodes one step may pass. A valid flow passes each non-pausing node at most once per step, so
# only a loop that never pauses (unpublishable) can reach this: it stops as a runaway.
MAX_HOPS = MAX_NODES + 1


@dataclass(frozen=True)
class Go:
    """Leave the node just entered by `edge`; a None target ends the run as completed."""

    edge: str
    target: str | None


def follow(run: Progress, edge: str, target: str | None) -> None:
    """Leave the current node by `edge` and walk on from `target`."""
    if target is None:
        run.finish(FinishReason.COMPLETED)
        return
    run.take(edge, target)
    walk(run, target)


def walk(run: Progress, target: str) -> None:
    """Enter `target` and the nodes after it until the run pauses or finishes."""
    for _ in range(MAX_HOPS):
        node = run.flow.node(target)
        if node is None:
            run.finish(FinishReason.BROKEN)
            return
        run.enter(node.id)
        move = enter_node(run, node)
        if move is None:
            return
        if move.target is None:
            run.finish(FinishReason.COMPLETED)
            return
        run.take(move.edge, move.target)
        target = move.target
    run.stop_runaway()


def enter_node(run: Progress, node: Node) -> Go | None:
    """Do what `node` does; a Go to move on at once, None when the run paused or finished here."""
    match node:
        case MessageNode():
            return _message(run, node)
        case AskNode():
            _ask(run, node)
            return None
        case ConditionNode():
            return Go("then", node.then) if run.holds(node.when) else Go("else", node.otherwise)
        case SetNode():
            _apply_operations(run, node.operations)
            return Go("next", node.next)
        case WaitNode():
            _schedule_wait(run, node)
            return None
        case WebhookNode():
            _call_webhook(run, node)
            return None
        case AIAnswerNode():
            _ai_answer(run, node)
            return None
        case HandoffNode():
            _hand_off(run, node)
            return None
        case CloseNode():
            run.actions.append(Close())
            run.finish(FinishReason.CLOSED)
            return None
        case GotoNode():
            return _goto(run, node)
        case SplitNode():
            return _split(run, node)
    assert_never(node)


def offer_buttons(
    run: Progress, text: Template, labels: Sequence[str], *, prompt_id: str, image_url: str | None = None
) -> bool:
    """Send `text` with one button per label; False when the runaway limit stopped the run."""
    buttons = tuple(ButtonOption(button_id(prompt_id, index), label) for index, label in enumerate(labels))
    return run.send(run.render(text), image_url=image_url, buttons=buttons)


def ask_question(run: Progress, node: AskNode, text: Template) -> bool:
    """Send the ask's question (with its choices as buttons, under the current prompt id)."""
    if node.input is InputKind.CHOICE and run.state.prompt_id is not None:
        labels = [choice.label for choice in node.choices]
        return offer_buttons(run, text, labels, prompt_id=run.state.prompt_id)
    return run.send(run.render(text))


def ask_ai(run: Progress, question: str) -> None:
    """Hand the question to the AI bot; with nothing to ask, wait for the visitor to say something."""
    if question.strip() == "":
        run.pause(Waiting.INPUT)
        return
    request_id = run.next_id("a")
    run.actions.append(AskAI(request_id, question))
    run.pause(Waiting.AI, request_id=request_id)


def split_bucket(contact_key: str, node_id: str) -> int:
    """0..99, the same for a contact at a split node every time."""
    digest = hashlib.sha256(f"{contact_key}\x1f{node_id}".encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % 100


def choose_variant(percents: Sequence[int], bucket: int) -> int | None:
    """The variant whose share of 0..99 holds `bucket`; short of 100, the rest goes to the last."""
    covered = 0
    for index, percent in enumerate(percents):
        covered += percent
        if bucket < covered:
            return index
    return len(percents) - 1 if percents else None


def _message(run: Progress, node: MessageNode) -> Go | None:
    if node.buttons == ():
        return Go("next", node.next) if run.send(run.render(node.text), image_url=node.image_url) else None
    prompt_id = run.next_id("p")
    labels = [button.label for button in node.buttons]
    if offer_buttons(run, node.text, labels, prompt_id=prompt_id, image_url=node.image_url):
        run.pause(Waiting.INPUT, prompt_id=prompt_id)
    return None


def _ask(run: Progress, node: AskNode) -> None:
    prompt_id = run.next_id("p") if node.input is InputKind.CHOICE else None
    run.pause(Waiting.INPUT, prompt_id=prompt_id)
    if not ask_question(run, node, node.text):
        return
    if node.timeout_seconds is not None:
        timer_id = run.next_id("t")
        run.actions.append(ScheduleTimer(timer_id, timedelta(seconds=node.timeout_seconds)))
        run.pause(Waiting.INPUT, timer_id=timer_id, prompt_id=prompt_id)


def _apply_operations(run: Progress, operations: Sequence[Assign | Tagging]) -> None:
    for operation in operations:
        if isinstance(operation, Assign):
            value = operation.value
            run.write(operation.target, run.render(value) if isinstance(value, Template) else value)
        elif operation.add:
            run.actions.append(AddTag(operation.tag))
            run.state = replace(run.state, facts=run.state.facts.with_tag(operation.tag))
        else:
            run.actions.append(RemoveTag(operation.tag))
            run.state = replace(run.state, facts=run.state.facts.without_tag(operation.tag))


def _schedule_wait(run: Progress, node: WaitNode) -> None:
    timer_id = run.next_id("t")
    run.actions.append(ScheduleTimer(timer_id, timedelta(seconds=node.seconds)))
    run.pause(Waiting.TIMER, timer_id=timer_id)


def _call_webhook(run: Progress, node: WebhookNode) -> None:
    request_id = run.next_id("w")
    headers = {name: run.render(value) for name, value in node.headers}
    body = _render_body(run, node.body)
    run.actions.append(CallWebhook(request_id, node.method, run.render(node.url), headers, body, node.timeout_seconds))
    run.pause(Waiting.WEBHOOK, request_id=request_id)


def _render_body(run: Progress, body: Body) -> JsonValue:
    match body:
        case Template():
            return run.render(body)
        case BodyList(items):
            return [_render_body(run, item) for item in items]
        case BodyObject(fields):
            return {name: _render_body(run, value) for name, value in fields}
    return body


def _ai_answer(run: Progress, node: AIAnswerNode) -> None:
    if node.prompt is not None:
        if run.send(run.render(node.prompt)):
            run.pause(Waiting.INPUT)
        return
    if node.question is not None:
        ask_ai(run, run.render(node.question))
    else:
        ask_ai(run, as_text(run.lookup(Var("vars", LAST_INPUT))))


def _hand_off(run: Progress, node: HandoffNode) -> None:
    summary = None if node.summary is None else run.render(node.summary)
    run.actions.append(HandOff(HandoffReason.FLOW, node.group_id, node.group_name, summary))
    run.finish(FinishReason.HANDED_OFF)


def _goto(run: Progress, node: GotoNode) -> Go | None:
    if node.flow_id is None:
        return Go("goto", node.target)
    run.actions.append(StartFlow(node.flow_id))
    run.finish(FinishReason.SWITCHED_FLOW)
    return None


def _split(run: Progress, node: SplitNode) -> Go:
    index = choose_variant(
        [variant.percent for variant in node.variants], split_bucket(run.state.facts.contact_key, node.id)
    )
    if index is None:
        return Go("variant", None)
    return Go(variant_edge(index), node.variants[index].target)
