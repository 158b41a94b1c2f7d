"""Sample flow documents (pure): the demo welcome bot in English or Russian, and a generated flow of
any size for tests and benchmarks. Both are valid: `check_flow_document` finds nothing."""

from __future__ import annotations

from collections.abc import Callable

from flows.answers import button_id
from flows.events import AIOutcome, AIResult, ButtonPressed, Event, TimerFired, UserText, WebhookOutcome, WebhookResult
from flows.graph import AnswerFormat, AskNode, Flow
from flows.state import RunState, Waiting
from flows.values import JsonValue

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "hello": "Hi, {{ contact.name }}!",
        "menu": "How can we help?",
        "ask_question": "Ask a question",
        "talk_to_person": "Talk to a person",
        "pricing": "Pricing",
        "ai_prompt": "What would you like to know? Type your question.",
        "ask_email": "What is your email? We'll write there if we miss you here.",
        "retry_email": "That doesn't look like an email. Could you check it?",
        "summary": '{{ contact.name | default("A visitor") }} ({{ contact.email | default("no email") }}) '
        "asked for a person. {{ vars.ai_summary }}",
        "offline": "We're offline right now and will be back during working hours. "
        'We\'ll answer you here or at {{ contact.email | default("your email") }}.',
        "pricing_text": "Start is free; Pro is $29 per workspace per month, with unlimited operators. What next?",
    },
    "ru": {
        "hello": "Здравствуйте, {{ contact.name }}!",
        "menu": "Чем мы можем помочь?",
        "ask_question": "Задать вопрос",
        "talk_to_person": "Связаться с оператором",
        "pricing": "Цены",
        "ai_prompt": "Что вы хотели бы узнать? Напишите свой вопрос.",
        "ask_email": "Укажите ваш email: если мы не успеем ответить здесь, напишем туда.",
        "retry_email": "Похоже, это не email. Проверьте, пожалуйста.",
        "summary": '{{ contact.name | default("Посетитель") }} ({{ contact.email | default("без email") }}) '
        "просит оператора. {{ vars.ai_summary }}",
        "offline": "Сейчас мы не на связи и вернёмся в рабочее время. "
        'Ответим здесь или на {{ contact.email | default("вашу почту") }}.',
        "pricing_text": "Тариф Start бесплатный; Pro — 2900 ₽ в месяц за рабочее пространство, "
        "операторов без ограничений. Что дальше?",
    },
}
LANGUAGES = tuple(_TEXTS)


def welcome_flow(language: str = "en") -> dict[str, JsonValue]:
    """The demo welcome bot: greets a known visitor by name, then offers the AI bot, a person (after
    asking for an email when unknown; offline outside working hours) and pricing."""
    text = _TEXTS.get(language, _TEXTS["en"])
    return {"schema": 1, "start": "known_name", "triggers": [{"type": "chat_opened"}], "nodes": _welcome_nodes(text)}


def ai_first_line_flow() -> dict[str, JsonValue]:
    """The AI bot answering a dialog's first message (and every question after it) directly; what
    it cannot answer goes to the default queue with its summary."""
    nodes: list[JsonValue] = [
        {"kind": "ai_answer", "id": "answer", "on_handoff": "to_queue"},
        {"kind": "handoff", "id": "to_queue", "summary": "{{ vars.ai_summary }}"},
    ]
    return {"schema": 1, "start": "answer", "triggers": [{"type": "first_message"}], "nodes": nodes}


def sample_flow(nodes: int = 50) -> dict[str, JsonValue]:
    """A valid flow of exactly `nodes` nodes (at least 1): a chain through every kind of node that
    stays in the flow, ending in a close node. Every node is reachable; the only loop ("Start
    over") waits for the visitor. `next_event` drives a run of it to the end."""
    count = max(nodes, 1)
    generated: list[JsonValue] = [_SAMPLE_KINDS[index % len(_SAMPLE_KINDS)](index, count) for index in range(count - 1)]
    generated.append({"kind": "close", "id": _node_id(count - 1)})
    triggers: list[JsonValue] = [{"type": "chat_opened"}, {"type": "keyword", "keywords": ["start over"]}]
    return {"schema": 1, "start": _node_id(0), "triggers": triggers, "nodes": generated}


def next_event(flow: Flow, state: RunState) -> Event | None:
    """The event that moves a run on, as a cooperative visitor and runtime would: press the first
    button, give a valid answer, fire the timer, return a result. None once the run is over."""
    node = flow.node(state.node_id)
    if state.finished or node is None:
        return None
    if state.waiting is Waiting.TIMER and state.timer_id is not None:
        return TimerFired(state.timer_id)
    if state.waiting is Waiting.WEBHOOK and state.request_id is not None:
        return WebhookResult(state.request_id, WebhookOutcome.OK, 200, {"data": {"status": "paid"}})
    if state.waiting is Waiting.AI and state.request_id is not None:
        return AIResult(state.request_id, AIOutcome.ANSWERED)
    if state.prompt_id is not None:
        return ButtonPressed(button_id(state.prompt_id, 0))
    return UserText(_SAMPLE_ANSWERS.get(node.validator, "hello") if isinstance(node, AskNode) else "hello")


_SAMPLE_ANSWERS: dict[AnswerFormat | None, str] = {
    AnswerFormat.EMAIL: "visitor@example.com",
    AnswerFormat.PHONE: "+1 202 555 0100",
}


def _welcome_nodes(text: dict[str, str]) -> list[JsonValue]:
    menu_buttons: list[JsonValue] = [
        {"label": text["ask_question"], "target": "ask_ai"},
        {"label": text["talk_to_person"], "target": "need_email"},
        {"label": text["pricing"], "target": "pricing"},
    ]
    ask_email: dict[str, JsonValue] = {
        "kind": "ask",
        "id": "ask_email",
        "text": text["ask_email"],
        "validator": "email",
        "attempts": 3,
        "retry_text": text["retry_email"],
        "save_to": "contact.email",
        "next": "working_hours",
        "on_give_up": "working_hours",
    }
    return [
        {"kind": "condition", "id": "known_name", "when": "contact.name is set", "then": "hello", "else": "menu"},
        {"kind": "message", "id": "hello", "text": text["hello"], "next": "menu"},
        {"kind": "message", "id": "menu", "text": text["menu"], "buttons": menu_buttons, "on_text": "ai_typed"},
        {"kind": "ai_answer", "id": "ask_ai", "prompt": text["ai_prompt"], "on_handoff": "working_hours"},
        {"kind": "ai_answer", "id": "ai_typed", "on_handoff": "working_hours"},
        _condition("need_email", {"var": "contact.email", "op": "is_set"}, "working_hours", "ask_email"),
        ask_email,
        _condition("working_hours", "workspace.within_working_hours", "to_support", "offline"),
        {"kind": "handoff", "id": "to_support", "group": "Support", "summary": text["summary"]},
        {"kind": "message", "id": "offline", "text": text["offline"], "next": "to_support_offline"},
        {"kind": "handoff", "id": "to_support_offline", "group": "Support", "summary": text["summary"]},
        {"kind": "message", "id": "pricing", "text": text["pricing_text"], "buttons": menu_buttons[:2]},
    ]


def _condition(node_id: str, when: JsonValue, then: str, otherwise: str) -> dict[str, JsonValue]:
    return {"kind": "condition", "id": node_id, "when": when, "then": then, "else": otherwise}


def _node_id(index: int) -> str:
    return f"n{index}"


def _menu(index: int, count: int) -> dict[str, JsonValue]:
    buttons: list[JsonValue] = [
        {"label": "Next", "target": _node_id(index + 1)},
        {"label": "Skip", "target": _node_id(min(index + 2, count - 1))},
        {"label": "Start over", "target": _node_id(0)},
    ]
    return {"kind": "message", "id": _node_id(index), "text": f"Step {index}: what next?", "buttons": buttons}


def _ask(index: int, count: int) -> dict[str, JsonValue]:
    return {
        "kind": "ask",
        "id": _node_id(index),
        "text": "Your email?",
        "validator": "email",
        "save_to": "contact.email",
        "next": _node_id(index + 1),
    }


def _branch(index: int, count: int) -> dict[str, JsonValue]:
    rule: JsonValue = {"any": [{"var": "contact.email", "op": "is_set"}, "contact.tags contains 'vip'"]}
    return _condition(_node_id(index), rule, _node_id(index + 1), _node_id(min(index + 2, count - 1)))


def _set(index: int, count: int) -> dict[str, JsonValue]:
    operations: list[JsonValue] = [
        {"op": "set", "path": "vars.step", "value": str(index)},
        {"op": "add_tag", "tag": "sampled"},
    ]
    return {"kind": "set", "id": _node_id(index), "operations": operations, "next": _node_id(index + 1)}


def _split(index: int, count: int) -> dict[str, JsonValue]:
    variants: list[JsonValue] = [
        {"percent": 50, "target": _node_id(index + 1)},
        {"percent": 50, "target": _node_id(min(index + 2, count - 1))},
    ]
    return {"kind": "split", "id": _node_id(index), "variants": variants}


def _thanks(index: int, count: int) -> dict[str, JsonValue]:
    text = "Thanks, {{ contact.name | default('friend') }}. Step {{ vars.step | default('?') }}."
    return {"kind": "message", "id": _node_id(index), "text": text, "next": _node_id(index + 1)}


def _wait(index: int, count: int) -> dict[str, JsonValue]:
    return {"kind": "wait", "id": _node_id(index), "seconds": 5, "next": _node_id(index + 1)}


def _webhook(index: int, count: int) -> dict[str, JsonValue]:
    return {
        "kind": "webhook",
        "id": _node_id(index),
        "url": "https://crm.example.com/contacts?email={{ contact.email }}",
        "body": {"step": "{{ vars.step }}", "tags": "{{ contact.tags }}"},
        "save": {"status": "data.status"},
        "next": _node_id(index + 1),
        "on_error": _node_id(index + 1),
    }


def _ai(index: int, count: int) -> dict[str, JsonValue]:
    return {
        "kind": "ai_answer",
        "id": _node_id(index),
        "question": "{{ vars.last_input }}",
        "next": _node_id(index + 1),
    }


def _goto(index: int, count: int) -> dict[str, JsonValue]:
    return {"kind": "goto", "id": _node_id(index), "target": _node_id(index + 1)}


_SAMPLE_KINDS: tuple[Callable[[int, int], dict[str, JsonValue]], ...] = (
    _menu,
    _ask,
    _branch,
    _set,
    _split,
    _thanks,
    _wait,
    _webhook,
    _ai,
    _goto,
)
