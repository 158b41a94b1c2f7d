"""Ask nodes: validators, retries with a re-ask, give-up and timeout branches, saving the answer."""

from datetime import timedelta

import pytest

from flows.actions import CancelTimer, EdgeTaken, RunEnded, ScheduleTimer, SetContactProperty
from flows.events import ButtonPressed, TimerFired, UserText
from flows.state import FinishReason, Waiting
from flows.values import JsonValue
from tests.flows import effect_types, flow_of, last_buttons, play, texts

AFTER = {"kind": "message", "id": "after", "text": "Saved {{ vars.answer }}"}
GAVE_UP = {"kind": "message", "id": "gave_up", "text": "Never mind"}
TIMED_OUT = {"kind": "message", "id": "timed_out", "text": "Too slow"}


def ask(**fields: JsonValue) -> dict[str, JsonValue]:
    return {"kind": "ask", "id": "q", "text": "Your answer?", "save_to": "vars.answer", "next": "after", **fields}


@pytest.mark.parametrize(
    ("validator", "good", "bad", "saved"),
    [
        ("email", " anna@example.com ", "anna@example", "anna@example.com"),
        ("phone", "+7 (912) 345-67-89", "12345", "+7 (912) 345-67-89"),
        ("number", "3,5", "three", "3.5"),
        ("number", "42", "4 2", "42"),
        (None, "anything at all", "   ", "anything at all"),
    ],
)
def test_validators(validator: str | None, good: str, bad: str, saved: str) -> None:
    flow = flow_of(ask(validator=validator), AFTER)
    state, actions = play(flow, UserText(bad), UserText(good))
    assert texts(actions) == ["Your answer?", "Your answer?", f"Saved {saved}"]
    assert state.finished


def test_regex_validator_must_match_the_whole_answer() -> None:
    flow = flow_of(ask(validator="regex", pattern=r"\d{6}"), AFTER)
    _, actions = play(flow, UserText("1234567"), UserText("123456"))
    assert texts(actions)[-1] == "Saved 123456"


def test_retries_use_the_retry_text_then_give_up() -> None:
    flow = flow_of(ask(validator="email", attempts=3, retry_text="Try again", on_give_up="gave_up"), AFTER, GAVE_UP)
    state, actions = play(flow, UserText("x"), UserText("y"))
    assert state.retries == 2
    assert state.waiting is Waiting.INPUT
    state, more = play(flow, UserText("z"), state=state)
    assert texts(actions + more) == ["Your answer?", "Try again", "Try again", "Never mind"]
    assert EdgeTaken("q", "give_up", "gave_up") in more


def test_giving_up_without_a_branch_ends_the_run() -> None:
    flow = flow_of(ask(validator="email", attempts=1), AFTER)
    state, actions = play(flow, UserText("nope"))
    assert state.finish_reason is FinishReason.GAVE_UP
    assert actions[-1] == RunEnded("q", FinishReason.GAVE_UP)


def test_answers_saved_to_the_contact_become_properties_and_facts() -> None:
    flow = flow_of(
        ask(validator="email", save_to="contact.email"),
        {"kind": "message", "id": "after", "text": "We'll write to {{ contact.email }}"},
    )
    state, actions = play(flow, UserText("a@b.co"))
    assert SetContactProperty("email", "a@b.co") in actions
    assert texts(actions)[-1] == "We'll write to a@b.co"
    assert state.facts.contact["email"] == "a@b.co"


def test_a_timeout_schedules_a_timer_and_takes_its_branch() -> None:
    flow = flow_of(ask(timeout_seconds=600, on_timeout="timed_out"), AFTER, TIMED_OUT)
    state, actions = play(flow)
    assert ScheduleTimer("t1", timedelta(seconds=600)) in actions
    assert (state.timer_id, state.waiting) == ("t1", Waiting.INPUT)
    state, more = play(flow, TimerFired("t1"), state=state)
    assert texts(more) == ["Too slow"]
    assert "CancelTimer" not in effect_types(more)


def test_a_timeout_without_a_branch_ends_the_run() -> None:
    flow = flow_of(ask(timeout_seconds=60), AFTER)
    state, _ = play(flow, TimerFired("t1"))
    assert state.finish_reason is FinishReason.TIMED_OUT


def test_answering_in_time_cancels_the_timer() -> None:
    flow = flow_of(ask(timeout_seconds=60, on_timeout="timed_out"), AFTER, TIMED_OUT)
    state, actions = play(flow, UserText("fine"))
    assert CancelTimer("t1") in actions
    late, nothing = play(flow, TimerFired("t1"), state=state)
    assert (late, nothing) == (state, [])


def test_choices_by_button_by_label_or_by_number() -> None:
    flow = flow_of(
        ask(input="choice", choices=[{"label": "Small", "value": "s"}, {"label": "Large", "value": "l"}]), AFTER
    )
    state, actions = play(flow)
    assert [button.label for button in last_buttons(actions)] == ["Small", "Large"]
    for event in (ButtonPressed(last_buttons(actions)[1].id), UserText("large"), UserText("2"), UserText("L")):
        _, more = play(flow, event, state=state)
        assert texts(more) == ["Saved l"], event


def test_an_unmatched_choice_is_asked_again_with_the_same_buttons() -> None:
    flow = flow_of(ask(input="choice", choices=[{"label": "Yes"}, {"label": "No"}], retry_text="Yes or no?"), AFTER)
    state, actions = play(flow, UserText("maybe"))
    assert texts(actions) == ["Your answer?", "Yes or no?"]
    assert [button.id for button in last_buttons(actions)] == ["p1:0", "p1:1"]
    _, more = play(flow, ButtonPressed("p1:0"), state=state)
    assert texts(more) == ["Saved Yes"]
