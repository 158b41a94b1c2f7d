"""Condition, set, wait, webhook, AI answer, handoff, close, goto and split nodes."""

from collections import Counter
from datetime import timedelta

from core.ids import GroupId
from flows.actions import (
    AddTag,
    AskAI,
    CallWebhook,
    Close,
    EdgeTaken,
    HandOff,
    HandoffReason,
    RemoveTag,
    RunEnded,
    ScheduleTimer,
    SetConversationAttribute,
    StartFlow,
)
from flows.events import AIOutcome, AIResult, TimerFired, UserText, WebhookOutcome, WebhookResult
from flows.facts import Facts
from flows.state import FinishReason, Waiting
from flows.values import JsonValue
from tests.flows import flow_of, play, texts


def say(node_id: str, text: str) -> dict[str, JsonValue]:
    return {"kind": "message", "id": node_id, "text": text}


def test_condition_over_facts_takes_then_or_else() -> None:
    flow = flow_of(
        {
            "kind": "condition",
            "id": "c",
            "when": {
                "all": [
                    "workspace.within_working_hours",
                    {"var": "conversation.channel", "op": "eq", "value": "telegram"},
                    "contact.is_returning and contact.language == 'ru' and contact.tags contains 'vip'",
                    "page.url contains '/pricing'",
                ]
            },
            "then": "yes",
            "else": "no",
        },
        say("yes", "yes"),
        say("no", "no"),
    )
    facts = Facts(channel="telegram", is_returning=True, language="ru", tags=("vip",), page_url="https://x.io/pricing")
    _, actions = play(flow, facts=facts)
    assert texts(actions) == ["yes"]
    assert EdgeTaken("c", "then", "yes") in actions
    _, actions = play(flow, facts=Facts(channel="telegram", within_working_hours=False))
    assert texts(actions) == ["no"]


def test_set_writes_properties_tags_attributes_and_variables() -> None:
    operations: list[JsonValue] = [
        {"op": "set", "path": "contact.plan", "value": "{{ contact.name | upper }}"},
        {"op": "set", "path": "conversation.topic", "value": "billing"},
        {"op": "set", "path": "vars.count", "value": 3},
        {"op": "add_tag", "tag": "lead"},
        {"op": "remove_tag", "tag": "cold"},
    ]
    flow = flow_of(
        {"kind": "set", "id": "s", "operations": operations, "next": "m"},
        say("m", "{{ contact.plan }} {{ conversation.topic }} {{ vars.count }} {{ contact.tags }}"),
    )
    state, actions = play(flow, facts=Facts(contact={"name": "ann"}, tags=("cold",)))
    assert AddTag("lead") in actions
    assert RemoveTag("cold") in actions
    assert SetConversationAttribute("topic", "billing") in actions
    assert texts(actions) == ["ANN billing 3 lead"]
    assert state.variables["count"] == 3


def test_wait_schedules_a_timer_and_resumes_only_on_that_timer() -> None:
    flow = flow_of({"kind": "wait", "id": "w", "seconds": 90, "next": "m"}, say("m", "later"))
    state, actions = play(flow)
    assert ScheduleTimer("t1", timedelta(seconds=90)) in actions
    assert state.waiting is Waiting.TIMER
    for stale in (TimerFired("t0"), TimerFired("t2"), UserText("hello?")):
        assert play(flow, stale, state=state) == (state, [])
    _, actions = play(flow, TimerFired("t1"), state=state)
    assert texts(actions) == ["later"]


WEBHOOK = flow_of(
    {
        "kind": "webhook",
        "id": "w",
        "method": "POST",
        "url": "https://crm.example.com/orders?email={{ contact.email }}",
        "headers": {"X-Token": "abc"},
        "body": {"email": "{{ contact.email }}", "tags": ["{{ contact.tags }}"], "n": 1},
        "timeout_seconds": 5,
        "save": {"status": "data.status", "first": "data.items.0.id", "missing": "data.nope"},
        "next": "ok",
        "on_error": "failed",
    },
    say("ok", "{{ vars.status }} {{ vars.first }} [{{ vars.missing }}]"),
    say("failed", "CRM is down"),
)


def test_webhook_call_and_result_mapping() -> None:
    state, actions = play(WEBHOOK, facts=Facts(contact={"email": 'a"b@c.co'}, tags=("x", "y")))
    assert (
        CallWebhook(
            "w1",
            "POST",
            'https://crm.example.com/orders?email=a"b@c.co',
            {"X-Token": "abc"},
            {"email": 'a"b@c.co', "tags": ["x, y"], "n": 1},
            5.0,
        )
        in actions
    )
    assert state.waiting is Waiting.WEBHOOK
    body: JsonValue = {"data": {"status": "shipped", "items": [{"id": 7}]}}
    _, actions = play(WEBHOOK, WebhookResult("w1", WebhookOutcome.OK, 200, body), state=state)
    assert texts(actions) == ["shipped 7 []"]


def test_webhook_failure_and_timeout_take_the_error_branch() -> None:
    state, _ = play(WEBHOOK)
    for outcome in (WebhookOutcome.FAILED, WebhookOutcome.TIMEOUT):
        _, actions = play(WEBHOOK, WebhookResult("w1", outcome), state=state)
        assert texts(actions) == ["CRM is down"]
    assert play(WEBHOOK, WebhookResult("w0", WebhookOutcome.OK), state=state) == (state, [])


def test_webhook_failure_without_an_error_branch_goes_on() -> None:
    flow = flow_of({"kind": "webhook", "id": "w", "url": "https://x.io", "next": "m"}, say("m", "on"))
    _, actions = play(flow, WebhookResult("w1", WebhookOutcome.FAILED))
    assert texts(actions) == ["on"]


def test_ai_answer_with_a_prompt_asks_the_visitor_first() -> None:
    flow = flow_of({"kind": "ai_answer", "id": "ai", "prompt": "Ask me", "next": "m"}, say("m", "anything else?"))
    state, actions = play(flow, UserText("how do refunds work?"))
    assert texts(actions) == ["Ask me"]
    assert AskAI("a1", "how do refunds work?") in actions
    assert state.waiting is Waiting.AI
    _, actions = play(flow, AIResult("a1", AIOutcome.ANSWERED), state=state)
    assert texts(actions) == ["anything else?"]


def test_ai_answer_without_a_prompt_asks_the_last_text() -> None:
    flow = flow_of(
        {"kind": "message", "id": "m", "text": "Pick", "buttons": [{"label": "A", "target": "m"}], "on_text": "ai"},
        {"kind": "ai_answer", "id": "ai", "question": "Q: {{ vars.last_input }}"},
    )
    state, actions = play(flow, UserText("is it free?"))
    assert AskAI("a2", "Q: is it free?") in actions
    state, actions = play(flow, AIResult("a2", AIOutcome.ANSWERED), state=state)
    assert state.finish_reason is FinishReason.COMPLETED


def test_ai_handoff_takes_its_branch_or_hands_off() -> None:
    with_branch = flow_of(
        {"kind": "ai_answer", "id": "ai", "prompt": "Ask", "on_handoff": "h"},
        {"kind": "handoff", "id": "h", "group_id": 4, "summary": "AI: {{ vars.ai_summary }}"},
    )
    state, _ = play(with_branch, UserText("refund now"))
    _, actions = play(with_branch, AIResult("a1", AIOutcome.HANDOFF, "wants a refund"), state=state)
    assert HandOff(HandoffReason.FLOW, GroupId(4), None, "AI: wants a refund") in actions
    without = flow_of({"kind": "ai_answer", "id": "ai", "prompt": "Ask"})
    state, _ = play(without, UserText("refund now"))
    state, actions = play(without, AIResult("a1", AIOutcome.HANDOFF, "wants a refund"), state=state)
    assert HandOff(HandoffReason.AI, summary="wants a refund") in actions
    assert state.finish_reason is FinishReason.HANDED_OFF


def test_handoff_and_close_end_the_run() -> None:
    flow = flow_of({"kind": "handoff", "id": "h", "group": "Support", "summary": "{{ contact.name }} needs help"})
    state, actions = play(flow, facts=Facts(contact={"name": "Anna"}))
    assert HandOff(HandoffReason.FLOW, None, "Support", "Anna needs help") in actions
    assert actions[-1] == RunEnded("h", FinishReason.HANDED_OFF)
    state, actions = play(flow_of({"kind": "close", "id": "c"}))
    assert Close() in actions
    assert state.finish_reason is FinishReason.CLOSED


def test_goto_a_node_or_another_flow() -> None:
    flow = flow_of({"kind": "goto", "id": "g", "target": "m"}, say("m", "jumped"))
    _, actions = play(flow)
    assert texts(actions) == ["jumped"]
    assert EdgeTaken("g", "goto", "m") in actions
    state, actions = play(flow_of({"kind": "goto", "id": "g", "flow_id": 12}))
    assert StartFlow(12) in actions
    assert state.finish_reason is FinishReason.SWITCHED_FLOW


def test_split_is_sticky_per_contact_and_close_to_its_percentages() -> None:
    flow = flow_of(
        {"kind": "split", "id": "s", "variants": [{"percent": 30, "target": "a"}, {"percent": 70, "target": "b"}]},
        say("a", "A"),
        say("b", "B"),
    )

    def variant(contact: str) -> str:
        return texts(play(flow, facts=Facts(contact_key=contact))[1])[0]

    assert all(variant("contact-1") == variant("contact-1") for _ in range(3))
    shares = Counter(variant(f"contact-{n}") for n in range(1000))
    assert 250 < shares["A"] < 350
