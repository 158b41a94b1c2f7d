"""Properties: on any valid flow (and on any flow with a valid shape, however broken its graph),
any sequence of events never makes `step` raise, and every state it returns is valid and survives
a trip through JSON."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.actions import RunEnded, ScheduleTimer, SendMessage
from flows.engine import step
from flows.events import (
    AIOutcome,
    AIResult,
    ButtonPressed,
    Event,
    FactsRefreshed,
    Start,
    TimerFired,
    UserText,
    WebhookOutcome,
    WebhookResult,
)
from flows.facts import Facts
from flows.graph import Flow, edges_of
from flows.invariants import state_is_valid
from flows.loading import build_flow, check_flow_document
from flows.samples import sample_flow, welcome_flow
from flows.state import RunState, new_run
from flows.state_json import state_from_json, state_to_json
from flows.values import JsonValue

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
Node = dict[str, JsonValue]
Draw = st.DrawFn

TEMPLATES = [
    "Hi {{ contact.name | default('there') }}",
    "Plain text",
    "{{ vars.last_input }} at {{ page.url }}",
    "{{ workspace.within_working_hours }} {{ contact.tags }}",
]
CONDITIONS: list[JsonValue] = [
    "contact.email is set",
    "workspace.within_working_hours",
    {"any": [{"var": "contact.tags", "op": "contains", "value": "vip"}, "contact.is_returning"]},
    "vars.last_input == '1' or vars.last_input matches '^\\\\d+$'",
    "conversation.channel in ['web', 'telegram']",
]
TEXTS = ["1", "2", "3", "0", "Yes", "no", "a@b.co", "+7 912 345 67 89", "42", "hello", "", "Next", "x" * 5000]
BODIES: list[JsonValue] = [None, {"data": {"status": "ok"}}, {"data": {"status": ["a", {"b": 1}]}}, [1, 2], "text"]
FACTS = st.builds(
    Facts,
    contact_key=st.sampled_from(["", "1", "2", "contact-9"]),
    contact=st.sampled_from([{}, {"name": "Anna"}, {"email": "a@b.co", "name": "Bo"}]),
    tags=st.sampled_from([(), ("vip",)]),
    is_returning=st.booleans(),
    channel=st.sampled_from([None, "web", "telegram"]),
    within_working_hours=st.booleans(),
)


def _pick(draw: Draw, choices: list[str | None]) -> str | None:
    return draw(st.sampled_from(choices))


def _node(draw: Draw, index: int, ids: list[str]) -> Node:
    """Node `index`: edges go forward, except from nodes that pause, so every loop pauses."""
    node_id, later = ids[index], ids[index + 1 :]
    forward: list[str | None] = [*later, None]
    anywhere: list[str | None] = [*ids, None]
    kind = draw(st.sampled_from(["message", "ask", "condition", "set", "wait", "webhook", "ai_answer", "end", "jump"]))
    text = draw(st.sampled_from(TEMPLATES))
    if kind == "message":
        count = draw(st.integers(0, 3)) if later or index > 0 else 0
        targets = ids if count else later
        buttons: list[JsonValue] = [{"label": f"B{n}", "target": draw(st.sampled_from(targets))} for n in range(count)]
        edges = anywhere if count else forward
        return {
            "kind": "message",
            "id": node_id,
            "text": text,
            "buttons": buttons,
            "next": _pick(draw, edges),
            "on_text": _pick(draw, edges) if count else None,
        }
    if kind == "ask":
        return _ask(draw, node_id, text, anywhere)
    if kind == "condition":
        return {
            "kind": "condition",
            "id": node_id,
            "when": draw(st.sampled_from(CONDITIONS)),
            "then": _pick(draw, forward),
            "else": _pick(draw, forward),
        }
    if kind == "set":
        operations: list[JsonValue] = [
            {"op": "add_tag", "tag": "vip"},
            {"op": "set", "path": "contact.email", "value": "{{ vars.last_input }}"},
        ]
        return {"kind": "set", "id": node_id, "operations": operations, "next": _pick(draw, forward)}
    if kind == "wait":
        return {"kind": "wait", "id": node_id, "seconds": 5, "next": _pick(draw, anywhere)}
    if kind == "webhook":
        return {
            "kind": "webhook",
            "id": node_id,
            "url": "https://example.com/{{ contact.name }}",
            "body": {"a": ["{{ vars.last_input }}"]},
            "save": {"status": "data.status"},
            "next": _pick(draw, forward),
            "on_error": _pick(draw, forward),
        }
    if kind == "ai_answer":
        prompt = draw(st.sampled_from([None, "Ask me"]))
        edges = anywhere if prompt is not None else forward
        return {
            "kind": "ai_answer",
            "id": node_id,
            "prompt": prompt,
            "next": _pick(draw, edges),
            "on_handoff": _pick(draw, edges),
        }
    if kind == "jump" and later:
        return _jump(draw, node_id, later)
    endings: list[Node] = [
        {"kind": "close", "id": node_id},
        {"kind": "handoff", "id": node_id, "group": "Support", "summary": text},
        {"kind": "goto", "id": node_id, "flow_id": 3},
    ]
    return draw(st.sampled_from(endings))


def _ask(draw: Draw, node_id: str, text: str, anywhere: list[str | None]) -> Node:
    choice = draw(st.booleans())
    node: Node = {
        "kind": "ask",
        "id": node_id,
        "text": text,
        "attempts": draw(st.integers(1, 3)),
        "next": _pick(draw, anywhere),
        "on_give_up": _pick(draw, anywhere),
        "save_to": "vars.answer",
    }
    if choice:
        node.update(input="choice", choices=[{"label": "Yes"}, {"label": "No", "value": "n"}])
    else:
        node["validator"] = draw(st.sampled_from([None, "email", "phone", "number"]))
    if draw(st.booleans()):
        node.update(timeout_seconds=30, on_timeout=_pick(draw, anywhere))
    return node


def _jump(draw: Draw, node_id: str, later: list[str]) -> Node:
    if draw(st.booleans()):
        return {"kind": "goto", "id": node_id, "target": draw(st.sampled_from(later))}
    first = draw(st.integers(0, 100))
    variants: list[JsonValue] = [
        {"percent": first, "target": draw(st.sampled_from(later))},
        {"percent": 100 - first, "target": draw(st.sampled_from(later))},
    ]
    return {"kind": "split", "id": node_id, "variants": variants}


@st.composite
def valid_flows(draw: Draw) -> dict[str, JsonValue]:
    ids = [f"n{index}" for index in range(draw(st.integers(1, 9)))]
    document: dict[str, JsonValue] = {
        "schema": 1,
        "start": "n0",
        "nodes": [_node(draw, i, ids) for i in range(len(ids))],
    }
    return _reachable_only(document)


def _reachable_only(document: dict[str, JsonValue]) -> dict[str, JsonValue]:
    flow, _ = build_flow(document)
    assert flow is not None
    reached, pending = {"n0"}, ["n0"]
    while pending:
        for edge in edges_of(flow.by_id[pending.pop()]):
            if edge.target is not None and edge.target not in reached:
                reached.add(edge.target)
                pending.append(edge.target)
    nodes = document["nodes"]
    assert isinstance(nodes, list)
    return {**document, "nodes": [node for node in nodes if isinstance(node, dict) and node["id"] in reached]}


@st.composite
def broken_flows(draw: Draw) -> dict[str, JsonValue]:
    """Valid in shape, anything in graph: dangling edges, loops without pauses, no start."""
    ids = [f"n{index}" for index in range(draw(st.integers(1, 6)))]
    targets: list[str | None] = [*ids, "ghost", None]
    nodes: list[JsonValue] = [_broken_node(draw, node_id, targets) for node_id in ids]
    return {"schema": 1, "start": _pick(draw, targets), "nodes": nodes}


def _broken_node(draw: Draw, node_id: str, targets: list[str | None]) -> Node:
    kind = draw(st.sampled_from(["goto", "message", "buttons", "condition", "split", "choice"]))
    target = _pick(draw, targets)
    if kind == "goto":
        return {"kind": "goto", "id": node_id, "target": target}
    if kind == "message":
        return {"kind": "message", "id": node_id, "text": "m", "next": target}
    if kind == "buttons":
        return {"kind": "message", "id": node_id, "text": "b", "buttons": [{"label": "x", "target": target}]}
    if kind == "condition":
        return {"kind": "condition", "id": node_id, "when": "contact.x is set", "then": target, "else": target}
    if kind == "split":
        return {"kind": "split", "id": node_id, "variants": [{"percent": 40, "target": target}]}
    return {"kind": "ask", "id": node_id, "text": "?", "input": "choice", "next": target}


def _event(data: st.DataObject, state: RunState, seen: dict[str, list[str]]) -> Event:
    """Mostly events that fit the state (the current buttons, timer, request), some stale or junk."""
    kind = data.draw(st.sampled_from(["text", "text", "button", "button", "timer", "result", "facts", "start"]))
    if kind == "text":
        return UserText(data.draw(st.sampled_from(TEXTS)))
    if kind == "button":
        current = [button for button in seen["buttons"] if button.startswith(f"{state.prompt_id}:")]
        return ButtonPressed(data.draw(st.sampled_from([*current, *current, *seen["buttons"], "p0:0", "junk"])))
    if kind == "timer":
        return TimerFired(data.draw(st.sampled_from([state.timer_id or "t0", *seen["timers"], "t0"])))
    request = data.draw(st.sampled_from([state.request_id or "r0", state.request_id or "r0", "w0", "a0"]))
    if kind == "result" and (state.request_id or "").startswith("w"):
        body = data.draw(st.sampled_from(BODIES))
        return WebhookResult(request, data.draw(st.sampled_from(list(WebhookOutcome))), 200, body)
    if kind == "result":
        return AIResult(request, data.draw(st.sampled_from(list(AIOutcome))), data.draw(st.sampled_from([None, "s"])))
    return FactsRefreshed(data.draw(FACTS)) if kind == "facts" else Start(data.draw(FACTS))


def _run_random_events(flow: Flow, data: st.DataObject) -> None:
    """Random events through a run; when it ends, a new run starts (some events go to the ended one)."""
    state = new_run()
    seen: dict[str, list[str]] = {"buttons": [], "timers": []}
    ended = 0
    for _ in range(data.draw(st.integers(1, 30))):
        if state.finished and data.draw(st.booleans()):
            assert ended == 1
            state, ended = new_run(), 0
        event = Start(data.draw(FACTS)) if not state.started else _event(data, state, seen)
        new_state, actions = step(flow, state, event)
        assert state_is_valid(flow, new_state), (event, new_state)
        assert state_from_json(state_to_json(new_state)) == new_state
        if new_state is state:
            assert actions == ()
        ended += sum(isinstance(action, RunEnded) for action in actions)
        seen["buttons"].extend(b.id for a in actions if isinstance(a, SendMessage) for b in a.buttons)
        seen["timers"].extend(a.timer_id for a in actions if isinstance(a, ScheduleTimer))
        state = new_state
    assert ended == (1 if state.finished else 0)


@PROPERTY_SETTINGS
@given(document=valid_flows(), data=st.data())
def test_valid_flows_never_raise_and_keep_valid_states(document: dict[str, JsonValue], data: st.DataObject) -> None:
    assert check_flow_document(document) == []
    flow, _ = build_flow(document)
    assert flow is not None
    _run_random_events(flow, data)


@PROPERTY_SETTINGS
@given(document=broken_flows(), data=st.data())
def test_broken_graphs_never_raise_either(document: dict[str, JsonValue], data: st.DataObject) -> None:
    flow, _ = build_flow(document)
    assert flow is not None
    _run_random_events(flow, data)


@settings(max_examples=60, deadline=None, database=None)
@given(data=st.data(), which=st.sampled_from(["welcome-en", "welcome-ru", "sample"]))
def test_the_samples_never_raise(data: st.DataObject, which: str) -> None:
    document = sample_flow(30) if which == "sample" else welcome_flow(which.removeprefix("welcome-"))
    flow, errors = build_flow(document)
    assert flow is not None and errors == []
    _run_random_events(flow, data)
