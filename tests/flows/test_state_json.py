"""Run state survives a trip through JSON; stored state of the wrong shape is refused."""

import json

import pytest

from core.errors import InvalidInput
from flows.engine import step
from flows.events import Start, UserText
from flows.facts import Facts
from flows.loading import parse_flow
from flows.samples import welcome_flow
from flows.state import FinishReason, RunState, Waiting
from flows.state_json import facts_from_json, facts_to_json, state_from_json, state_to_json
from flows.values import JsonValue

FULL = RunState(
    node_id="ask_email",
    waiting=Waiting.INPUT,
    retries=2,
    variables={"plan": "pro", "count": 3, "ratio": 0.5, "ok": True, "none": None, "list": ("a", 1)},
    facts=Facts(
        contact_key="42",
        contact={"name": "Anna"},
        tags=("vip",),
        is_returning=True,
        language="ru",
        channel="telegram",
        conversation={"topic": "billing"},
        page_url="https://x.io",
        page_title="X",
        page_referrer="https://google.com",
        within_working_hours=False,
        workspace_name="Acme",
    ),
    timer_id="t3",
    request_id=None,
    prompt_id="p2",
    sequence=3,
    messages_since_input=1,
)


def round_trip(state: RunState) -> RunState:
    return state_from_json(json.loads(json.dumps(state_to_json(state))))


def test_states_round_trip() -> None:
    assert round_trip(FULL) == FULL
    assert round_trip(RunState()) == RunState()
    finished = RunState(node_id="x", finished=True, finish_reason=FinishReason.RUNAWAY)
    assert round_trip(finished) == finished


def test_a_resumed_state_behaves_like_the_original() -> None:
    flow = parse_flow(welcome_flow())
    state, _ = step(flow, RunState(), Start(Facts()))
    assert step(flow, round_trip(state), UserText("2")) == step(flow, state, UserText("2"))


def test_facts_round_trip() -> None:
    assert facts_from_json(facts_to_json(FULL.facts)) == FULL.facts


@pytest.mark.parametrize(
    "change",
    [
        {"format": 2},
        {"waiting": "dreaming"},
        {"retries": -1},
        {"retries": "2"},
        {"finished": "yes"},
        {"node_id": 5},
        {"variables": {"x": {"nested": 1}}},
        {"facts": {"contact_key": "1"}},
        {"finish_reason": "bored"},
    ],
)
def test_malformed_states_are_refused(change: dict[str, JsonValue]) -> None:
    with pytest.raises(InvalidInput):
        state_from_json({**state_to_json(FULL), **change})


@pytest.mark.parametrize("stored", [None, [], "state", 3])
def test_anything_but_an_object_is_refused(stored: object) -> None:
    with pytest.raises(InvalidInput):
        state_from_json(stored)
    with pytest.raises(InvalidInput):
        facts_from_json(stored)
