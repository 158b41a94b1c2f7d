"""Every kind of error that keeps a flow from being published, each located by a JSON path."""

import pytest

from flows.loading import FlowInvalid, build_flow, check_flow_document, parse_flow
from flows.samples import sample_flow, welcome_flow
from flows.validation import FlowErrorCode
from flows.values import JsonValue
from tests.flows import document_of

Code = FlowErrorCode


def errors(document: object) -> list[tuple[str, FlowErrorCode]]:
    return [(error.path, error.code) for error in check_flow_document(document)]


def message(text: str = "hi", **fields: JsonValue) -> dict[str, JsonValue]:
    return {"kind": "message", "id": "m", "text": text, **fields}


def close(node_id: str = "end") -> dict[str, JsonValue]:
    return {"kind": "close", "id": node_id}


def test_the_samples_are_valid() -> None:
    assert errors(welcome_flow("en")) == []
    assert errors(welcome_flow("ru")) == []
    assert errors(sample_flow(50)) == []


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ([], [("", Code.INVALID_SHAPE)]),
        ({"schema": 1, "nodes": "x"}, [("nodes", Code.INVALID_SHAPE)]),
        ({"schema": 1, "nodes": [{"kind": "close"}]}, [("nodes[0].id", Code.INVALID_SHAPE)]),
        (
            {"schema": 1, "nodes": [{"kind": "close", "id": "a", "colour": 1}]},
            [("nodes[0].colour", Code.INVALID_SHAPE)],
        ),
        ({"schema": 1, "nodes": [{"id": "a"}]}, [("nodes[0].kind", Code.INVALID_SHAPE)]),
        ({"nodes": []}, [("schema", Code.UNSUPPORTED_SCHEMA)]),
        ({"schema": 2, "nodes": []}, [("schema", Code.UNSUPPORTED_SCHEMA)]),
        ({"schema": 1, "nodes": [{"kind": "teleport", "id": "a"}]}, [("nodes[0].kind", Code.UNKNOWN_KIND)]),
        (
            document_of(message(buttons=[{"label": "ok", "target": "end"}, {"label": ""}]), close()),
            [("nodes[0].buttons[1].label", Code.INVALID_SHAPE)],
        ),
        (
            document_of({"kind": "set", "id": "s", "operations": [{"op": "add_tag"}]}),
            [("nodes[0].operations[0].tag", Code.INVALID_SHAPE)],
        ),
        (
            {"schema": 1, "triggers": [{"type": "keyword", "keywords": []}], "nodes": []},
            [("triggers[0].keywords", Code.INVALID_SHAPE)],
        ),
    ],
)
def test_shape_errors(document: object, expected: list[tuple[str, FlowErrorCode]]) -> None:
    assert errors(document) == expected


def test_shape_errors_name_the_node() -> None:
    document = document_of(message(buttons=[{"label": ""}]))
    assert [error.node_id for error in check_flow_document(document)] == ["m"]


def test_missing_start() -> None:
    # Without a start, nothing is called unreachable: that would flag every node at once.
    assert errors({"schema": 1, "nodes": [close()]}) == [("start", Code.MISSING_START)]
    assert ("start", Code.MISSING_START) in errors(document_of(close(), start="nowhere"))


def test_duplicate_ids() -> None:
    document = document_of(message(next="m"), {"kind": "close", "id": "m"})
    assert ("nodes[1].id", Code.DUPLICATE_ID) in errors(document)


def test_dangling_and_missing_targets() -> None:
    node = message(buttons=[{"label": "a", "target": "end"}, {"label": "b", "target": "ghost"}, {"label": "c"}])
    assert errors(document_of(node, close())) == [
        ("nodes[0].buttons[1].target", Code.DANGLING_TARGET),
        ("nodes[0].buttons[2].target", Code.MISSING_TARGET),
    ]


def test_every_kind_of_edge_is_checked_for_dangling() -> None:
    nodes: list[dict[str, JsonValue]] = [
        {"kind": "condition", "id": "c", "when": "true", "then": "x1", "else": "x2"},
        {"kind": "ask", "id": "a", "text": "?", "next": "x3", "on_give_up": "x4", "on_timeout": "x5"},
        {"kind": "webhook", "id": "w", "url": "https://example.com", "next": "x6", "on_error": "x7"},
        {"kind": "ai_answer", "id": "ai", "next": "x8", "on_handoff": "x9"},
        {"kind": "goto", "id": "g", "target": "x10"},
        {"kind": "split", "id": "s", "variants": [{"percent": 100, "target": "x11"}]},
        {"kind": "wait", "id": "wt", "seconds": 1, "next": "x12"},
        {"kind": "message", "id": "m", "text": "", "on_text": "x13"},
    ]
    dangling = [path for path, code in errors(document_of(*nodes)) if code is Code.DANGLING_TARGET]
    assert dangling == [
        "nodes[0].then",
        "nodes[0].else",
        "nodes[1].next",
        "nodes[1].on_give_up",
        "nodes[1].on_timeout",
        "nodes[2].next",
        "nodes[2].on_error",
        "nodes[3].next",
        "nodes[3].on_handoff",
        "nodes[4].target",
        "nodes[5].variants[0].target",
        "nodes[6].next",
        "nodes[7].on_text",
    ]


def test_goto_needs_a_node_or_a_flow() -> None:
    assert errors(document_of({"kind": "goto", "id": "g"})) == [("nodes[0].target", Code.MISSING_TARGET)]
    assert errors(document_of({"kind": "goto", "id": "g", "flow_id": 7})) == []


def test_unreachable_nodes() -> None:
    assert errors(document_of(message(next="end"), close(), close("orphan"))) == [("nodes[2]", Code.UNREACHABLE)]


def test_a_loop_without_a_pause_is_refused_with_its_path() -> None:
    nodes: list[dict[str, JsonValue]] = [
        {"kind": "set", "id": "a", "operations": [{"op": "add_tag", "tag": "x"}], "next": "b"},
        {"kind": "condition", "id": "b", "when": "contact.email is set", "then": "end", "else": "c"},
        {"kind": "goto", "id": "c", "target": "a"},
        close(),
    ]
    found = check_flow_document(document_of(*nodes))
    assert [(error.path, error.code) for error in found] == [("nodes[0]", Code.LOOP_WITHOUT_PAUSE)]
    assert "a → b → c → a" in found[0].message


def test_a_self_loop_is_a_loop() -> None:
    assert errors(document_of({"kind": "goto", "id": "g", "target": "g"})) == [("nodes[0]", Code.LOOP_WITHOUT_PAUSE)]


@pytest.mark.parametrize(
    "pause",
    [
        {"kind": "ask", "id": "p", "text": "?", "next": "a"},
        {"kind": "wait", "id": "p", "seconds": 5, "next": "a"},
        {"kind": "message", "id": "p", "text": "?", "buttons": [{"label": "again", "target": "a"}]},
        {"kind": "ai_answer", "id": "p", "prompt": "Ask me", "next": "a"},
    ],
)
def test_a_loop_through_a_pause_is_fine(pause: dict[str, JsonValue]) -> None:
    loop = {"kind": "message", "id": "a", "text": "again", "next": "p"}
    assert errors(document_of(loop, pause)) == []


def test_unknown_variables() -> None:
    nodes: list[dict[str, JsonValue]] = [
        message("Hi {{ contact.name }} {{ contcat.name }}", next="c"),
        {"kind": "condition", "id": "c", "when": "vars.plan == 'pro' or page.colour == 'red'", "then": "end"},
        {"kind": "handoff", "id": "end", "summary": "{{ workspace.within_working_hours }} {{ vars.ai_summary }}"},
    ]
    found = check_flow_document(document_of(*nodes))
    assert [(error.path, error.code) for error in found] == [
        ("nodes[0].text", Code.UNKNOWN_VARIABLE),
        ("nodes[1].when", Code.UNKNOWN_VARIABLE),
        ("nodes[1].when", Code.UNKNOWN_VARIABLE),
    ]
    assert "contcat.name" in found[0].message
    assert "vars.plan" in found[1].message
    assert "page has referrer, title, url" in found[2].message


def test_variables_saved_by_ask_set_and_webhook_are_known() -> None:
    nodes: list[dict[str, JsonValue]] = [
        {"kind": "ask", "id": "a", "text": "?", "save_to": "vars.size", "next": "s"},
        {"kind": "set", "id": "s", "operations": [{"op": "set", "path": "vars.plan", "value": "pro"}], "next": "w"},
        {"kind": "webhook", "id": "w", "url": "https://example.com", "save": {"order": "data.id"}, "next": "m"},
        message("{{ vars.size }} {{ vars.plan }} {{ vars.order }} {{ vars.last_input }}"),
    ]
    assert errors(document_of(*nodes)) == []


def test_invalid_regex_in_an_ask_and_in_a_condition() -> None:
    nodes: list[dict[str, JsonValue]] = [
        {"kind": "ask", "id": "a", "text": "?", "validator": "regex", "pattern": "([0-9", "next": "c"},
        {"kind": "condition", "id": "c", "when": {"any": [{"var": "vars.x", "op": "matches", "value": "*"}]}},
        {"kind": "condition", "id": "d", "when": "contact.email matches '(?<'"},
    ]
    assert errors(document_of(*nodes, start="a"))[:3] == [
        ("nodes[0].pattern", Code.INVALID_REGEX),
        ("nodes[1].when.any[0].value", Code.INVALID_REGEX),
        ("nodes[2].when", Code.INVALID_REGEX),
    ]


def test_invalid_expressions_templates_targets_and_urls() -> None:
    nodes: list[dict[str, JsonValue]] = [
        {"kind": "condition", "id": "c", "when": "__import__('os')", "then": "m"},
        message("Hi {{ contact.name", next="a"),
        {"kind": "ask", "id": "a", "text": "?", "save_to": "contact.tags", "next": "s"},
        {"kind": "set", "id": "s", "operations": [{"op": "set", "path": "page.url", "value": 1}], "next": "w"},
        {"kind": "webhook", "id": "w", "url": "{{ vars.host }}/x"},
    ]
    assert errors(document_of(*nodes)) == [
        ("nodes[0].when", Code.INVALID_EXPRESSION),
        ("nodes[1].text", Code.INVALID_TEMPLATE),
        ("nodes[2].save_to", Code.INVALID_TARGET),
        ("nodes[3].operations[0].path", Code.INVALID_TARGET),
        ("nodes[4].url", Code.INVALID_URL),
        ("nodes[4].url", Code.UNKNOWN_VARIABLE),
    ]


def test_split_percentages_must_add_up_to_100() -> None:
    split: dict[str, JsonValue] = {
        "kind": "split",
        "id": "s",
        "variants": [{"percent": 30, "target": "a"}, {"percent": 60, "target": "b"}],
    }
    assert errors(document_of(split, close("a"), close("b"))) == [("nodes[0].variants", Code.SPLIT_NOT_100)]


def test_choices_and_patterns_that_are_needed() -> None:
    nodes: list[dict[str, JsonValue]] = [
        {"kind": "ask", "id": "a", "text": "?", "input": "choice", "next": "b"},
        {"kind": "ask", "id": "b", "text": "?", "validator": "regex"},
    ]
    assert errors(document_of(*nodes)) == [
        ("nodes[0].choices", Code.MISSING_CHOICES),
        ("nodes[1].pattern", Code.MISSING_PATTERN),
    ]


def test_parse_flow_refuses_with_every_error() -> None:
    with pytest.raises(FlowInvalid) as caught:
        parse_flow(document_of(message(next="ghost"), close("orphan")))
    assert {error.code for error in caught.value.errors} == {Code.DANGLING_TARGET, Code.UNREACHABLE}
    assert "nodes[0].next" in caught.value.message


def test_build_flow_gives_a_flow_with_its_errors_for_previews() -> None:
    flow, found = build_flow(document_of(message("Hi {{ broken", next="end"), close()))
    assert flow is not None
    assert [error.code for error in found] == [Code.INVALID_TEMPLATE]
