"""Message nodes: text with variables, images, buttons pressed or typed, unmatched text."""

from flows.actions import ButtonOption, EdgeTaken, NodeEntered, RunEnded, SendMessage
from flows.events import ButtonPressed, UserText
from flows.facts import Facts
from flows.state import FinishReason, Waiting
from tests.flows import flow_of, last_buttons, play, texts

MENU = flow_of(
    {
        "kind": "message",
        "id": "menu",
        "text": "Hi {{ contact.name | default('there') }}, pick one",
        "image_url": "https://example.com/a.png",
        "buttons": [
            {"label": "Ask a question", "target": "question"},
            {"label": "Pricing", "target": "pricing"},
        ],
    },
    {"kind": "message", "id": "question", "text": "Ask away"},
    {"kind": "message", "id": "pricing", "text": "It is free"},
)


def test_a_message_with_buttons_sends_them_and_waits() -> None:
    state, actions = play(MENU, facts=Facts(contact={"name": "Anna"}))
    assert actions == [
        NodeEntered("menu"),
        SendMessage(
            "Hi Anna, pick one",
            "https://example.com/a.png",
            (ButtonOption("p1:0", "Ask a question"), ButtonOption("p1:1", "Pricing")),
        ),
    ]
    assert (state.node_id, state.waiting, state.prompt_id) == ("menu", Waiting.INPUT, "p1")


def test_pressing_a_button_follows_its_edge() -> None:
    state, actions = play(MENU, ButtonPressed("p1:1"))
    assert texts(actions)[-1] == "It is free"
    assert EdgeTaken("menu", "button:1", "pricing") in actions
    assert actions[-1] == RunEnded("pricing", FinishReason.COMPLETED)
    assert state.finished
    assert state.variables["last_input"] == "Pricing"


def test_typing_a_label_or_its_number_counts_as_pressing() -> None:
    for typed in ("pricing", "  PRICING ", "2"):
        _, actions = play(MENU, UserText(typed))
        assert texts(actions)[-1] == "It is free", typed


def test_unmatched_text_shows_the_same_buttons_again() -> None:
    state, actions = play(MENU, UserText("what?"))
    assert texts(actions) == ["Hi there, pick one", "Hi there, pick one"]
    assert last_buttons(actions) == (ButtonOption("p1:0", "Ask a question"), ButtonOption("p1:1", "Pricing"))
    assert state.waiting is Waiting.INPUT
    assert state.messages_since_input == 1
    # The buttons of the first sending still work.
    _, more = play(MENU, ButtonPressed("p1:0"), state=state)
    assert texts(more) == ["Ask away"]


def test_unmatched_text_goes_to_on_text_when_set() -> None:
    flow = flow_of(
        {"kind": "message", "id": "menu", "text": "Pick", "buttons": [{"label": "A", "target": "a"}], "on_text": "ai"},
        {"kind": "message", "id": "a", "text": "A"},
        {"kind": "message", "id": "ai", "text": "You said {{ vars.last_input }}"},
    )
    _, actions = play(flow, UserText("how do refunds work?"))
    assert texts(actions)[-1] == "You said how do refunds work?"
    assert EdgeTaken("menu", "text", "ai") in actions


def test_messages_without_buttons_chain_on() -> None:
    flow = flow_of(
        {"kind": "message", "id": "a", "text": "one", "next": "b"},
        {"kind": "message", "id": "b", "text": "two"},
    )
    state, actions = play(flow)
    assert texts(actions) == ["one", "two"]
    assert state.finish_reason is FinishReason.COMPLETED
