"""Evaluating a condition tree (pure and total): any expression over any values gives a value, never
an exception. Text compares without regard to case; text that spells a number compares as one;
a comparison between values of unrelated kinds is simply false."""

from __future__ import annotations

from collections.abc import Callable
from typing import assert_never

from flows.expressions import AllOf, AnyOf, Compare, Comparison, Expr, IsSet, ListOf, Literal, Matches, Not, Var
from flows.values import Value, as_number, as_text, is_set, is_truthy

Lookup = Callable[[Var], Value]
MAX_SUBJECT_LENGTH = 2000  # `matches` looks at this much text: bounds the work a slow pattern can do

_BOOLEAN_WORDS = {"true": True, "false": False}


def evaluate(expr: Expr, lookup: Lookup) -> Value:
    match expr:
        case Literal(value):
            return value
        case Var():
            return lookup(expr)
        case ListOf(items):
            return tuple(evaluate(item, lookup) for item in items)
        case Not(operand):
            return not holds(operand, lookup)
        case AllOf(operands):
            return all(holds(operand, lookup) for operand in operands)
        case AnyOf(operands):
            return any(holds(operand, lookup) for operand in operands)
        case IsSet(operand):
            return is_set(evaluate(operand, lookup))
        case Matches(subject, pattern):
            text = evaluate(subject, lookup)
            return is_set(text) and pattern.search(as_text(text)[:MAX_SUBJECT_LENGTH]) is not None
        case Compare(op, left, right):
            return compare(op, evaluate(left, lookup), evaluate(right, lookup))
    assert_never(expr)


def holds(expr: Expr, lookup: Lookup) -> bool:
    """The expression as a condition."""
    return is_truthy(evaluate(expr, lookup))


def compare(op: Comparison, left: Value, right: Value) -> bool:
    match op:
        case Comparison.EQ:
            return values_equal(left, right)
        case Comparison.NE:
            return not values_equal(left, right)
        case Comparison.CONTAINS:
            return contains(left, right)
        case Comparison.IN:
            return contains(right, left)
    order = _order(left, right)
    if order is None:
        return False
    return {Comparison.LT: order < 0, Comparison.LE: order <= 0, Comparison.GT: order > 0}.get(op, order >= 0)


def values_equal(left: Value, right: Value) -> bool:
    if isinstance(left, tuple) and isinstance(right, tuple):
        return len(left) == len(right) and all(values_equal(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, tuple) or isinstance(right, tuple):
        return False
    if isinstance(left, bool) or isinstance(right, bool):
        return _as_boolean(left) is not None and _as_boolean(left) == _as_boolean(right)
    left_number, right_number = as_number(left), as_number(right)
    if left_number is not None and right_number is not None:
        return left_number == right_number
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    return left is None and right is None


def contains(container: Value, item: Value) -> bool:
    """A list holds an equal item; text holds the other value's text (ignoring case)."""
    if isinstance(container, tuple):
        return any(values_equal(element, item) for element in container)
    if isinstance(container, str) and item is not None and not isinstance(item, tuple):
        return as_text(item).casefold() in container.casefold()
    return False


def _order(left: Value, right: Value) -> int | None:
    left_number, right_number = as_number(left), as_number(right)
    if left_number is not None and right_number is not None:
        return (left_number > right_number) - (left_number < right_number)
    if isinstance(left, str) and isinstance(right, str):
        a, b = left.casefold(), right.casefold()
        return (a > b) - (a < b)
    return None


def _as_boolean(value: Value) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _BOOLEAN_WORDS.get(value.strip().casefold())
    return None
