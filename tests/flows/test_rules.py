"""The structured rule form builds the same trees as the text language, and locates its mistakes."""

import pytest

from flows.evaluation import holds
from flows.expressions import parse_expression
from flows.rules import parse_rule
from flows.tokens import ExpressionError, RegexError
from flows.values import Value

FACTS: dict[str, Value] = {"contact.email": "a@b.co", "conversation.channel": "web", "contact.tags": ("vip",)}


def check(rule: object) -> bool:
    return holds(parse_rule(rule), lambda var: FACTS.get(str(var)))


def test_structured_and_text_forms_build_the_same_tree() -> None:
    structured = {
        "all": [
            {"var": "contact.email", "op": "is_set"},
            {"any": [{"var": "conversation.channel", "op": "eq", "value": "web"}, "contact.tags contains 'vip'"]},
        ]
    }
    text = "contact.email is set and (conversation.channel == 'web' or contact.tags contains 'vip')"
    assert parse_rule(structured) == parse_expression(text)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"var": "contact.email", "op": "is_not_set"}, False),
        ({"var": "conversation.channel", "op": "in", "value": ["telegram", "web"]}, True),
        ({"var": "conversation.channel", "op": "not_in", "value": ["telegram"]}, True),
        ({"var": "contact.tags", "op": "not_contains", "value": "vip"}, False),
        ({"var": "contact.email", "op": "matches", "value": "@b\\.co$"}, True),
        ({"not": {"var": "contact.email", "op": "is_set"}}, False),
        ({"all": []}, True),
        ({"any": []}, False),
    ],
)
def test_operators(rule: object, expected: bool) -> None:
    assert check(rule) is expected


@pytest.mark.parametrize(
    ("rule", "where"),
    [
        ({"all": [{"var": "contact.email", "op": "is_set"}, {"var": "contact.x", "op": "bogus"}]}, ".all[1].op"),
        ({"any": [{"not": {"var": "contact email", "op": "is_set"}}]}, ".any[0].not.var"),
        ({"var": "contact.email", "op": "eq"}, ".value"),
        ({"var": "contact.email", "op": "eq", "value": {"nested": 1}}, ".value"),
        ({"all": "contact.email is set"}, ".all"),
        ({"all": [], "extra": 1}, ""),
        ({"something": 1}, ""),
        (42, ""),
        ({"all": ["contact.email ==="]}, ".all[0]"),
    ],
)
def test_mistakes_are_located(rule: object, where: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_rule(rule)
    assert caught.value.where == where


def test_bad_patterns_are_regex_errors_at_their_value() -> None:
    with pytest.raises(RegexError) as caught:
        parse_rule({"any": [{"var": "contact.email", "op": "matches", "value": "[a-"}]})
    assert caught.value.where == ".any[0].value"


def test_hostile_nesting_is_refused() -> None:
    rule: object = {"var": "contact.email", "op": "is_set"}
    for _ in range(100):
        rule = {"not": rule}
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_rule(rule)
