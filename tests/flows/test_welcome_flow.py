"""The demo welcome bot, walked through as a visitor would, in English and Russian."""

import pytest

from flows.actions import AskAI, HandOff, HandoffReason, SetContactProperty
from flows.events import AI_PERSON_BUTTON, AIOutcome, AIResult, ButtonPressed, UserText
from flows.facts import Facts
from flows.graph import Flow
from flows.loading import parse_flow
from flows.samples import LANGUAGES, welcome_flow
from flows.state import FinishReason, Waiting
from flows.triggers import ChatOpened, ChatOpenedTrigger, matching_trigger
from tests.flows import last_buttons, play, texts

WELCOME = parse_flow(welcome_flow("en"))


def test_it_starts_when_the_chat_opens() -> None:
    assert matching_trigger(WELCOME.triggers, ChatOpened()) == ChatOpenedTrigger()


def test_a_known_visitor_is_greeted_by_name_an_unknown_one_is_not() -> None:
    _, actions = play(WELCOME, facts=Facts(contact={"name": "Anna"}))
    assert texts(actions) == ["Hi, Anna!", "How can we help?"]
    assert [button.label for button in last_buttons(actions)] == ["Ask a question", "Talk to a person", "Pricing"]
    _, actions = play(WELCOME)
    assert texts(actions) == ["How can we help?"]


def test_ask_a_question_goes_to_the_ai_bot() -> None:
    state, actions = play(WELCOME, ButtonPressed("p1:0"), UserText("Do you integrate with Telegram?"))
    assert AskAI("a2", "Do you integrate with Telegram?") in actions
    state, _ = play(WELCOME, AIResult("a2", AIOutcome.ANSWERED), state=state)
    assert state.waiting is Waiting.INPUT and not state.finished  # the next question goes to the AI too
    state, actions = play(WELCOME, UserText("And WhatsApp?"), state=state)
    assert AskAI("a3", "And WhatsApp?") in actions


def test_talk_to_a_person_under_an_ai_answer_hands_off() -> None:
    state, _ = play(WELCOME, UserText("how much is it?"))
    state, _ = play(WELCOME, AIResult("a2", AIOutcome.ANSWERED), state=state)
    state, actions = play(WELCOME, ButtonPressed(AI_PERSON_BUTTON), state=state)
    assert state.finished
    assert any(isinstance(action, HandOff) for action in actions)


def test_typing_at_the_menu_asks_the_ai_bot_directly() -> None:
    _, actions = play(WELCOME, UserText("how much is it?"))
    assert AskAI("a2", "how much is it?") in actions


def test_talk_to_a_person_asks_for_an_email_then_hands_off_in_working_hours() -> None:
    _, actions = play(WELCOME, UserText("Talk to a person"), UserText("not an email"), UserText("anna@example.com"))
    assert texts(actions)[1:] == [
        "What is your email? We'll write there if we miss you here.",
        "That doesn't look like an email. Could you check it?",
    ]
    assert SetContactProperty("email", "anna@example.com") in actions
    handoff = next(action for action in actions if isinstance(action, HandOff))
    assert (handoff.reason, handoff.group_name) == (HandoffReason.FLOW, "Support")
    assert handoff.summary is not None and "anna@example.com" in handoff.summary


def test_a_known_email_is_not_asked_and_after_hours_the_visitor_is_told() -> None:
    facts = Facts(contact={"email": "a@b.co"}, within_working_hours=False)
    state, actions = play(WELCOME, ButtonPressed("p1:1"), facts=facts)
    assert texts(actions)[1].startswith("We're offline right now")
    assert "a@b.co" in texts(actions)[1]
    assert state.finish_reason is FinishReason.HANDED_OFF


def test_three_wrong_emails_still_reach_a_person() -> None:
    state, actions = play(WELCOME, UserText("2"), UserText("x"), UserText("y"), UserText("z"))
    assert state.finish_reason is FinishReason.HANDED_OFF
    assert not any(isinstance(action, SetContactProperty) for action in actions)


def test_pricing_then_back_to_a_person() -> None:
    state, actions = play(WELCOME, UserText("pricing"))
    assert texts(actions)[-1].startswith("Start is free")
    _, actions = play(WELCOME, UserText("2"), state=state)
    assert texts(actions)[0].startswith("What is your email?")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_every_text(language: str) -> None:
    flow: Flow = parse_flow(welcome_flow(language))
    _, actions = play(flow, UserText("3"), facts=Facts(contact={"name": "Anna"}))
    assert len(texts(actions)) == 3
    assert all(text.strip() != "" and "{{" not in text for text in texts(actions))


def test_russian_texts() -> None:
    _, actions = play(parse_flow(welcome_flow("ru")), facts=Facts(contact={"name": "Анна"}))
    assert texts(actions) == ["Здравствуйте, Анна!", "Чем мы можем помочь?"]
