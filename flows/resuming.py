"""Waking a paused run (pure): the visitor's text or button press, a timer, a webhook's or the AI's
result. Each function returns False, touching nothing that counts, when the event does not fit
what the run waits for: a stale button, another timer, a result for an earlier request."""

from __future__ import annotations

from dataclasses import replace

from flows.actions import HandOff, HandoffReason
from flows.answers import check_answer, match_option, pressed_index
from flows.events import AI_PERSON_BUTTON, AIOutcome, AIResult, WebhookOutcome, WebhookResult
from flows.facts import AI_SUMMARY, LAST_INPUT
from flows.graph import AIAnswerNode, AskNode, InputKind, MessageNode, WaitNode, WebhookNode, button_edge
from flows.nodes import ask_ai, ask_question, follow, offer_buttons
from flows.progress import Progress
from flows.state import FinishReason, Waiting
from flows.values import Value, from_json, read_json_path

MAX_INPUT_LENGTH = 4000  # of the visitor's text kept in vars.last_input


def resume_with_text(run: Progress, text: str) -> bool:
    node = run.flow.node(run.state.node_id)
    if run.state.waiting is not Waiting.INPUT or not isinstance(node, MessageNode | AskNode | AIAnswerNode):
        return False
    run.heard_visitor()
    run.remember(LAST_INPUT, text[:MAX_INPUT_LENGTH])
    match node:
        case MessageNode():
            _text_at_buttons(run, node, text)
        case AskNode():
            _answer(run, node, text)
        case AIAnswerNode():
            run.leave()
            ask_ai(run, text)
    return True


def resume_with_button(run: Progress, pressed: str) -> bool:
    node = run.flow.node(run.state.node_id)
    if run.state.waiting is not Waiting.INPUT:
        return False
    if isinstance(node, MessageNode):
        index = pressed_index(run.state.prompt_id, pressed, len(node.buttons))
        if index is None:
            return False
        run.heard_visitor()
        _press(run, node, index)
        return True
    if isinstance(node, AskNode) and node.input is InputKind.CHOICE:
        index = pressed_index(run.state.prompt_id, pressed, len(node.choices))
        if index is None:
            return False
        run.heard_visitor()
        run.remember(LAST_INPUT, node.choices[index].label)
        _accept(run, node, node.choices[index].value)
        return True
    if isinstance(node, AIAnswerNode) and pressed == AI_PERSON_BUTTON:  # offered under an AI answer
        run.heard_visitor()
        run.leave()
        _ai_handed_off(run, node, None)  # the runtime tells the operators why
        return True
    return False


def resume_with_timer(run: Progress, timer_id: str) -> bool:
    node = run.flow.node(run.state.node_id)
    if run.state.timer_id is None or timer_id != run.state.timer_id:
        return False
    if isinstance(node, WaitNode) and run.state.waiting is Waiting.TIMER:
        run.leave(timer_fired=True)
        follow(run, "next", node.next)
        return True
    if isinstance(node, AskNode) and run.state.waiting is Waiting.INPUT:
        run.leave(timer_fired=True)
        if node.on_timeout is None:
            run.finish(FinishReason.TIMED_OUT)
        else:
            follow(run, "timeout", node.on_timeout)
        return True
    return False


def resume_with_webhook(run: Progress, result: WebhookResult) -> bool:
    node = run.flow.node(run.state.node_id)
    if not _awaits(run, Waiting.WEBHOOK, result.request_id) or not isinstance(node, WebhookNode):
        return False
    run.leave()
    if result.outcome is WebhookOutcome.OK:
        for name, path in node.save:
            run.remember(name, from_json(read_json_path(result.body, path)))
        follow(run, "next", node.next)
    elif node.on_error is not None:
        follow(run, "error", node.on_error)
    else:
        follow(run, "next", node.next)
    return True


def resume_with_ai(run: Progress, result: AIResult) -> bool:
    node = run.flow.node(run.state.node_id)
    if not _awaits(run, Waiting.AI, result.request_id) or not isinstance(node, AIAnswerNode):
        return False
    run.leave()
    if result.outcome is AIOutcome.ANSWERED:
        if node.next is None and node.question is None:  # the visitor's next question goes to the AI again
            run.pause(Waiting.INPUT)
        else:
            follow(run, "next", node.next)
        return True
    _ai_handed_off(run, node, result.summary)
    return True


def _ai_handed_off(run: Progress, node: AIAnswerNode, summary: str | None) -> None:
    run.remember(AI_SUMMARY, summary)
    if node.on_handoff is not None:
        follow(run, "handoff", node.on_handoff)
    else:
        run.actions.append(HandOff(HandoffReason.AI, summary=summary))
        run.finish(FinishReason.HANDED_OFF)


def _awaits(run: Progress, waiting: Waiting, request_id: str) -> bool:
    return run.state.waiting is waiting and run.state.request_id is not None and run.state.request_id == request_id


def _text_at_buttons(run: Progress, node: MessageNode, text: str) -> None:
    index = match_option([button.label for button in node.buttons], text)
    if index is not None:
        _press(run, node, index)
    elif node.on_text is not None:
        run.leave()
        follow(run, "text", node.on_text)
    elif run.state.prompt_id is not None:
        # Show the same buttons again under the same prompt id: the earlier ones stay valid.
        labels = [button.label for button in node.buttons]
        offer_buttons(run, node.text, labels, prompt_id=run.state.prompt_id, image_url=node.image_url)


def _press(run: Progress, node: MessageNode, index: int) -> None:
    button = node.buttons[index]
    run.remember(LAST_INPUT, button.label)
    run.leave()
    follow(run, button_edge(index), button.target)


def _answer(run: Progress, node: AskNode, text: str) -> None:
    if node.input is InputKind.CHOICE:
        labels = [choice.label for choice in node.choices]
        index = match_option(labels, text, values=[choice.value for choice in node.choices])
        value: Value = None if index is None else node.choices[index].value
    else:
        value = check_answer(node.validator, node.pattern, text)
    if value is None:
        _retry(run, node)
    else:
        _accept(run, node, value)


def _accept(run: Progress, node: AskNode, value: Value) -> None:
    run.leave()
    if node.save_to is not None:
        run.write(node.save_to, value)
    follow(run, "next", node.next)


def _retry(run: Progress, node: AskNode) -> None:
    retries = run.state.retries + 1
    if retries < node.attempts:
        run.state = replace(run.state, retries=retries)
        ask_question(run, node, node.text if node.retry_text is None else node.retry_text)
        return
    run.leave()
    if node.on_give_up is None:
        run.finish(FinishReason.GAVE_UP)
    else:
        follow(run, "give_up", node.on_give_up)
