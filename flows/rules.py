"""The structured form of a condition (pure), for graph editors: JSON objects that build the same
tree as the text language. A string anywhere a rule may stand is read as the text language.

    {"all": [rule, ...]}   {"any": [rule, ...]}   {"not": rule}
    {"var": "contact.email", "op": "is_set"}
    {"var": "conversation.channel", "op": "eq", "value": "telegram"}
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from flows.expressions import (
    MAX_DEPTH,
    AllOf,
    AnyOf,
    Compare,
    Comparison,
    Expr,
    IsSet,
    ListOf,
    Literal,
    Matches,
    Not,
    Var,
    compile_pattern,
    parse_expression,
)
from flows.tokens import ExpressionError
from flows.values import Value

COMPARISONS = {
    "eq": Comparison.EQ,
    "ne": Comparison.NE,
    "lt": Comparison.LT,
    "le": Comparison.LE,
    "gt": Comparison.GT,
    "ge": Comparison.GE,
    "contains": Comparison.CONTAINS,
    "in": Comparison.IN,
}
NEGATED_COMPARISONS = {"not_contains": Comparison.CONTAINS, "not_in": Comparison.IN}
PRESENCE = ("is_set", "is_not_set")
OPERATORS = (*COMPARISONS, *NEGATED_COMPARISONS, "matches", *PRESENCE)


def parse_rule(rule: object) -> Expr:
    """The tree of a rule in either form; an ExpressionError's `where` locates the bad part."""
    return _rule(rule, "", 0)


def _rule(rule: object, where: str, depth: int) -> Expr:
    if depth > MAX_DEPTH:
        raise ExpressionError("Rules are nested too deeply (at most {limit} levels).", where=where, limit=MAX_DEPTH)
    if isinstance(rule, str):
        return _text_rule(rule, where)
    if not isinstance(rule, Mapping):
        raise ExpressionError("A rule is a text expression or an object.", where=where)
    for combinator in ("all", "any"):
        if combinator in rule:
            return _combination(combinator, rule, where, depth)
    if "not" in rule:
        _expect_keys(rule, {"not"}, where)
        return Not(_rule(rule["not"], f"{where}.not", depth + 1))
    if "var" in rule:
        return _test(rule, where)
    raise ExpressionError("A rule object has `all`, `any`, `not` or `var`.", where=where)


def _text_rule(source: str, where: str) -> Expr:
    try:
        return parse_expression(source)
    except ExpressionError as error:
        error.where = where + error.where
        raise


def _combination(combinator: str, rule: Mapping[object, object], where: str, depth: int) -> Expr:
    _expect_keys(rule, {combinator}, where)
    members = rule[combinator]
    if not isinstance(members, Sequence) or isinstance(members, str):
        raise ExpressionError(
            "`{combinator}` takes a list of rules.", where=f"{where}.{combinator}", combinator=combinator
        )
    operands = tuple(_rule(member, f"{where}.{combinator}[{index}]", depth + 1) for index, member in enumerate(members))
    return AllOf(operands) if combinator == "all" else AnyOf(operands)


def _test(rule: Mapping[object, object], where: str) -> Expr:
    _expect_keys(rule, {"var", "op", "value"}, where)
    subject = _variable(rule["var"], f"{where}.var")
    op = rule.get("op")
    if op not in OPERATORS:
        raise ExpressionError(
            "Unknown operator {op!r}; use one of: {known}.", where=f"{where}.op", op=op, known=", ".join(OPERATORS)
        )
    if op in PRESENCE:
        return IsSet(subject) if op == "is_set" else Not(IsSet(subject))
    if "value" not in rule:
        raise ExpressionError("Operator {op!r} needs a `value`.", where=f"{where}.value", op=op)
    value = rule["value"]
    if op == "matches":
        if not isinstance(value, str):
            raise ExpressionError("`matches` takes a pattern text.", where=f"{where}.value")
        return Matches(subject, _pattern(value, f"{where}.value"))
    comparison = Compare(COMPARISONS.get(str(op)) or NEGATED_COMPARISONS[str(op)], subject, _value(value, where))
    return Not(comparison) if op in NEGATED_COMPARISONS else comparison


def _variable(path: object, where: str) -> Var:
    parsed = _text_rule(path, where) if isinstance(path, str) else None
    if not isinstance(parsed, Var):
        raise ExpressionError("`var` is a variable path such as contact.email.", where=where)
    return parsed


def _pattern(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return compile_pattern(pattern)
    except ExpressionError as error:
        error.where = where
        raise


def _value(value: object, where: str) -> Expr:
    if isinstance(value, list | tuple):
        return ListOf(tuple(Literal(_scalar(item, f"{where}.value[{index}]")) for index, item in enumerate(value)))
    return Literal(_scalar(value, f"{where}.value"))


def _scalar(value: object, where: str) -> Value:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ExpressionError("A rule's value is text, a number, true, false, null or a list of those.", where=where)


def _expect_keys(rule: Mapping[object, object], allowed: set[str], where: str) -> None:
    unknown = sorted(str(key) for key in rule if key not in allowed)
    if unknown:
        raise ExpressionError("Unexpected key(s) {keys} in this rule.", where=where, keys=", ".join(unknown))
