"""Safety: runaway flows stop and hand off, events that do not apply change nothing, and broken or
mismatched flows end a run instead of raising."""

from flows.actions import HandOff, HandoffReason, RunEnded, SendMessage
from flows.engine import start_run, step
from flows.events import (
    AIOutcome,
    AIResult,
    ButtonPressed,
    FactsRefreshed,
    Start,
    TimerFired,
    UserText,
    WebhookOutcome,
    WebhookResult,
)
from flows.facts import Facts
from flows.loading import build_flow, parse_flow
from flows.samples import sample_flow, welcome_flow
from flows.state import FinishReason, RunState, new_run
from flows.values import JsonValue
from tests.flows import document_of, flow_of, play, texts


def chain(length: int) -> list[dict[str, JsonValue]]:
    messages: list[dict[str, JsonValue]] = [
        {"kind": "message", "id": f"m{index}", "text": f"message {index}", "next": f"m{index + 1}"}
        for index in range(length)
    ]
    return [*messages, {"kind": "close", "id": f"m{length}"}]


def test_more_than_ten_messages_without_the_visitor_stops_the_flow() -> None:
    state, actions = play(flow_of(*chain(15)))
    assert len(texts(actions)) == 10
    assert HandOff(HandoffReason.RUNAWAY) in actions
    assert actions[-1] == RunEnded("m10", FinishReason.RUNAWAY)
    assert state.finish_reason is FinishReason.RUNAWAY


def test_the_limit_is_a_parameter_and_exactly_the_limit_is_fine() -> None:
    state, actions = play(flow_of(*chain(10)))
    assert len(texts(actions)) == 10
    assert state.finish_reason is FinishReason.CLOSED
    state, actions = play(flow_of(*chain(10)), message_limit=3)
    assert len(texts(actions)) == 3
    assert state.finish_reason is FinishReason.RUNAWAY


def test_the_count_runs_across_timers_and_resets_on_input() -> None:
    flow = flow_of(
        {"kind": "message", "id": "m", "text": "ping", "next": "w"},
        {"kind": "wait", "id": "w", "seconds": 1, "next": "m"},
    )
    state, actions = play(flow, *(TimerFired(f"t{n}") for n in range(1, 12)))
    assert len(texts(actions)) == 10
    assert state.finish_reason is FinishReason.RUNAWAY


def test_a_loop_that_never_pauses_is_stopped_not_spun() -> None:
    flow, errors = build_flow(
        document_of({"kind": "goto", "id": "a", "target": "b"}, {"kind": "goto", "id": "b", "target": "a"})
    )
    assert flow is not None and errors != []
    state, actions = start_run(flow, Facts())
    assert state.finish_reason is FinishReason.RUNAWAY
    assert HandOff(HandoffReason.RUNAWAY) in actions


def test_a_dangling_edge_ends_the_run_as_broken() -> None:
    flow, _ = build_flow(document_of({"kind": "message", "id": "m", "text": "hi", "next": "ghost"}))
    assert flow is not None
    state, actions = start_run(flow, Facts())
    assert state.finish_reason is FinishReason.BROKEN
    assert actions[-1] == RunEnded("m", FinishReason.BROKEN)
    no_start, _ = build_flow({"schema": 1, "nodes": []})
    assert no_start is not None
    assert start_run(no_start, Facts())[0].finish_reason is FinishReason.BROKEN


def test_events_that_do_not_apply_return_the_very_same_state() -> None:
    flow = flow_of(
        {"kind": "message", "id": "m", "text": "Pick", "buttons": [{"label": "A", "target": "end"}]},
        {"kind": "close", "id": "end"},
    )
    state, _ = play(flow)
    for event in (
        ButtonPressed("p0:0"),
        ButtonPressed("p1:5"),
        ButtonPressed("garbage"),
        ButtonPressed(""),
        TimerFired("t1"),
        WebhookResult("w1", WebhookOutcome.OK),
        AIResult("a1", AIOutcome.ANSWERED),
        Start(Facts()),
    ):
        new_state, actions = step(flow, state, event)
        assert new_state is state, event
        assert actions == (), event


def test_a_second_click_on_the_same_button_is_ignored() -> None:
    flow = flow_of(
        {"kind": "message", "id": "m", "text": "Pick", "buttons": [{"label": "Again", "target": "m"}]},
    )
    state, _ = play(flow)
    state, actions = step(flow, state, ButtonPressed("p1:0"))
    assert [type(action) for action in actions].count(SendMessage) == 1
    again, nothing = step(flow, state, ButtonPressed("p1:0"))
    assert (again, nothing) == (state, ())
    _, fresh = step(flow, state, ButtonPressed("p2:0"))
    assert fresh != ()


def test_nothing_happens_after_the_run_finished() -> None:
    state, _ = play(flow_of({"kind": "close", "id": "c"}))
    for event in (Start(Facts()), UserText("hi"), FactsRefreshed(Facts()), TimerFired("t1")):
        assert step(flow_of({"kind": "close", "id": "c"}), state, event) == (state, ())


def test_refreshed_facts_are_used_by_later_decisions() -> None:
    flow = flow_of(
        {"kind": "wait", "id": "w", "seconds": 60, "next": "c"},
        {"kind": "condition", "id": "c", "when": "workspace.within_working_hours", "then": "open", "else": "shut"},
        {"kind": "message", "id": "open", "text": "open"},
        {"kind": "message", "id": "shut", "text": "shut"},
    )
    _, actions = play(flow, FactsRefreshed(Facts(within_working_hours=False)), TimerFired("t1"))
    assert texts(actions) == ["shut"]


def test_a_state_from_another_flow_never_makes_step_raise() -> None:
    welcome, sample = parse_flow(welcome_flow()), parse_flow(sample_flow(20))
    states: list[RunState] = [new_run()]
    for flow in (welcome, sample):
        state, _ = play(flow)
        states.append(state)
    for state in states:
        for flow in (welcome, sample):
            for event in (UserText("1"), ButtonPressed("p1:0"), TimerFired("t1"), AIResult("a1", AIOutcome.HANDOFF)):
                step(flow, state, event)
