"""The condition language: parsed by hand (never eval'd), evaluated totally, hostile input refused."""

import pytest

from flows.evaluation import Lookup, evaluate, holds
from flows.expressions import (
    AllOf,
    AnyOf,
    Compare,
    Comparison,
    IsSet,
    Literal,
    Not,
    Var,
    parse_expression,
    variables_in,
)
from flows.tokens import ExpressionError, RegexError
from flows.values import Value

FACTS: dict[str, Value] = {
    "contact.name": "Anna",
    "contact.age": "21",
    "contact.tags": ("vip", "beta"),
    "contact.email": "anna@example.com",
    "contact.phone": "",
    "conversation.channel": "telegram",
    "workspace.within_working_hours": True,
    "vars.count": 3,
    "vars.ratio": 0.5,
}


def lookup(values: dict[str, Value]) -> Lookup:
    return lambda var: values.get(str(var))


def check(source: str, values: dict[str, Value] = FACTS) -> bool:
    return holds(parse_expression(source), lookup(values))


@pytest.mark.parametrize(
    "source",
    [
        'contact.name == "anna"',
        "contact.name != 'Bob'",
        "contact.age > 18",
        "contact.age >= 21 and contact.age <= 21",
        "vars.count < 3.5",
        "vars.ratio == 0.5",
        'contact.tags contains "VIP"',
        '"beta" in contact.tags',
        'conversation.channel in ["web", "telegram"]',
        'conversation.channel not in ["web", "whatsapp"]',
        'contact.email contains "@EXAMPLE"',
        'contact.email matches "@example\\\\.com$"',
        "contact.email is set",
        "contact.phone is not set",
        "contact.missing is not set",
        "workspace.within_working_hours",
        "workspace.within_working_hours == true",
        "not contact.phone is set",
        "true or false and false",
        "(contact.age > 30 or contact.tags contains 'vip') and not (vars.count == 4)",
        "contact.email is set and conversation.channel == 'telegram' and contact.age > 20",
    ],
)
def test_true_conditions(source: str) -> None:
    assert check(source)


@pytest.mark.parametrize(
    "source",
    [
        "contact.age > 30",
        "contact.name > 5",  # unrelated kinds: false, not an error
        "contact.missing == 'x'",
        "contact.missing > 1",
        'contact.tags contains "gold"',
        "contact.phone is set",
        "(true or false) and false",
        "not workspace.within_working_hours",
        'contact.name matches "^B"',
        "contact.missing matches '.*'",
    ],
)
def test_false_conditions(source: str) -> None:
    assert not check(source)


def test_the_tree_keeps_precedence_or_below_and_below_not() -> None:
    tree = parse_expression("not contact.email is set or vars.a == 1 and vars.b")
    assert tree == AnyOf(
        (
            Not(IsSet(Var("contact", "email"))),
            AllOf((Compare(Comparison.EQ, Var("vars", "a"), Literal(1)), Var("vars", "b"))),
        )
    )


def test_variables_are_listed_in_order() -> None:
    tree = parse_expression("contact.email is set and (vars.plan == 'pro' or page.url contains 'pricing')")
    assert [str(var) for var in variables_in(tree)] == ["contact.email", "vars.plan", "page.url"]


def test_literals() -> None:
    assert evaluate(parse_expression("'it\\'s'"), lookup({})) == "it's"
    assert evaluate(parse_expression("-2.5"), lookup({})) == -2.5
    assert evaluate(parse_expression("null"), lookup({})) is None
    assert evaluate(parse_expression("[1, 'a', true]"), lookup({})) == (1, "a", True)


@pytest.mark.parametrize(
    "source",
    [
        "__import__('os')",
        "__import__('os').system('rm -rf /')",
        "os.system('ls')",
        "contact.name.__class__",
        "().__class__.__bases__",
        "contact.name()",
        "eval('1')",
        "lambda: 1",
        "contact['name']",
        "contact.name + 'x'",
        "contact",
        "contact.",
        "'unterminated",
        "a == ",
        "contact.name == 'a' and",
        "contact.name is 'x'",
        "contact.name matches contact.email",
        "vars.x = 1",
        "{{ contact.name }}",
        "and.or",
        "",
    ],
)
def test_anything_outside_the_grammar_is_a_parse_error(source: str) -> None:
    with pytest.raises(ExpressionError):
        parse_expression(source)


def test_errors_name_the_position() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression("contact.name == 'a' @ 1")
    assert caught.value.position == 20
    assert "position 20" in caught.value.message


def test_hostile_nesting_and_length_are_refused_without_exhausting_the_stack() -> None:
    with pytest.raises(ExpressionError, match="Nested too deeply"):
        parse_expression("(" * 900 + "true" + ")" * 900)
    with pytest.raises(ExpressionError, match="Nested too deeply"):
        parse_expression("not " * 400 + "true")
    with pytest.raises(ExpressionError, match="limited"):
        parse_expression("true or " * 1000 + "true")


def test_an_invalid_regex_is_reported_as_such() -> None:
    with pytest.raises(RegexError, match="Invalid regular expression"):
        parse_expression("contact.email matches '(unclosed'")


@pytest.mark.parametrize("pattern", ["(a+)+$", "(\\w*)*@", "(x{1,9})+"])
def test_patterns_that_can_backtrack_for_ever_are_refused(pattern: str) -> None:
    with pytest.raises(RegexError, match="repeats a repetition"):
        parse_expression(f"contact.email matches '{pattern}'")


def test_matches_looks_at_a_bounded_amount_of_text() -> None:
    long_text = "a" * 100_000 + "needle"
    assert not holds(parse_expression("vars.x matches 'needle'"), lookup({"vars.x": long_text}))
