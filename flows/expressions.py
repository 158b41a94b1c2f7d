"""The condition language (pure): a tiny expression language read by a hand-written tokenizer and
recursive-descent parser into a small tree. Nothing is ever handed to Python's eval; a name is only
ever a variable path. The grammar is in docs/flows.md."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias

from flows.tokens import ExpressionError, RegexError, Token, TokenKind, tokenize
from flows.values import Value

KEYWORDS = frozenset({"and", "or", "not", "contains", "in", "matches", "is", "set", "true", "false", "null"})
MAX_DEPTH = 32  # nesting of parentheses, lists and `not`: keeps hostile input from exhausting the stack
MAX_PATTERN_LENGTH = 300
_NESTED_REPETITION = re.compile(r"\((?:[^()\\]|\\.)*[+*}]\)[+*{]")  # a quantified group ending in a quantifier
_LITERAL_NAMES: dict[str, Value] = {"true": True, "false": False, "null": None}


class Comparison(StrEnum):
    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    CONTAINS = "contains"
    IN = "in"


@dataclass(frozen=True)
class Literal:
    value: Value


@dataclass(frozen=True)
class Var:
    """A variable path: `root.name`, e.g. contact.email or vars.plan."""

    root: str
    name: str

    def __str__(self) -> str:
        return f"{self.root}.{self.name}"


@dataclass(frozen=True)
class ListOf:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class AllOf:
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class AnyOf:
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Compare:
    op: Comparison
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Matches:
    subject: Expr
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class IsSet:
    operand: Expr


Expr: TypeAlias = "Literal | Var | ListOf | Not | AllOf | AnyOf | Compare | Matches | IsSet"


def parse_expression(source: str) -> Expr:
    """The tree of a condition such as `contact.email is set and conversation.channel == "telegram"`."""
    parser = Parser(source)
    expr = parser.expression()
    parser.expect_end()
    return expr


def compile_pattern(pattern: str, *, position: int = 0) -> re.Pattern[str]:
    """A pattern the visitor's text is matched against. Nested repetition such as `(a+)+` is refused:
    on some inputs it backtracks for ever, and the visitor chooses the input."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise RegexError("A pattern is limited to {limit} characters.", position=position, limit=MAX_PATTERN_LENGTH)
    if _NESTED_REPETITION.search(pattern) is not None:
        raise RegexError(
            "The pattern {pattern!r} repeats a repetition, like (a+)+, which can take for ever; simplify it.",
            position=position,
            pattern=pattern,
        )
    try:
        return re.compile(pattern)
    except re.error as error:
        raise RegexError(
            "Invalid regular expression {pattern!r}: {reason}.", position=position, pattern=pattern, reason=error.msg
        ) from error


def variables_in(expr: Expr) -> tuple[Var, ...]:
    """Every variable the expression reads, in order of appearance."""
    found: list[Var] = []
    pending = [expr]
    while pending:
        current = pending.pop()
        if isinstance(current, Var):
            found.append(current)
        pending.extend(reversed(_children(current)))
    return tuple(found)


def _children(expr: Expr) -> tuple[Expr, ...]:
    match expr:
        case Not(operand) | IsSet(operand) | Matches(operand, _):
            return (operand,)
        case AllOf(operands) | AnyOf(operands) | ListOf(operands):
            return operands
        case Compare(_, left, right):
            return (left, right)
    return ()


class Parser:
    """Recursive descent over the tokens: or > and > not > comparison > operand (loosest first).
    Templates reuse it to read a placeholder's expression before its filters."""

    def __init__(self, source: str) -> None:
        self._tokens = tokenize(source)
        self._index = 0
        self._depth = 0

    @property
    def current(self) -> Token:
        return self._tokens[self._index]

    def advance(self) -> Token:
        token = self.current
        if token.kind is not TokenKind.END:
            self._index += 1
        return token

    def accept(self, text: str) -> bool:
        """Take the current token if it is this keyword or punctuation."""
        token = self.current
        if token.kind in (TokenKind.NAME, TokenKind.PUNCTUATION, TokenKind.OPERATOR) and token.text == text:
            self._index += 1
            return True
        return False

    def expect(self, text: str, *, hint: str = "") -> None:
        if not self.accept(text):
            raise ExpressionError(
                "Expected {expected!r} at position {position}, found {found}.{hint}",
                position=self.current.position,
                expected=text,
                found=self.current.describe(),
                hint=hint,
            )

    def expect_end(self) -> None:
        if self.current.kind is not TokenKind.END:
            raise ExpressionError(
                "Unexpected {found} at position {position}.",
                position=self.current.position,
                found=self.current.describe(),
            )

    def expect_name(self) -> str:
        token = self.current
        if token.kind is not TokenKind.NAME:
            raise ExpressionError(
                "Expected a name at position {position}, found {found}.",
                position=token.position,
                found=token.describe(),
            )
        return self.advance().text

    def expression(self) -> Expr:
        operands = [self._conjunction()]
        while self.accept("or"):
            operands.append(self._conjunction())
        return operands[0] if len(operands) == 1 else AnyOf(tuple(operands))

    def literal(self) -> Value:
        """A string, number, true, false or null written in place."""
        token = self.current
        if token.kind is TokenKind.STRING:
            return self.advance().text
        if token.kind is TokenKind.NUMBER:
            text = self.advance().text
            return float(text) if "." in text else int(text)
        if token.kind is TokenKind.NAME and token.text in _LITERAL_NAMES:
            return _LITERAL_NAMES[self.advance().text]
        raise ExpressionError(
            "Expected a value at position {position}, found {found}.", position=token.position, found=token.describe()
        )

    def _conjunction(self) -> Expr:
        operands = [self._negation()]
        while self.accept("and"):
            operands.append(self._negation())
        return operands[0] if len(operands) == 1 else AllOf(tuple(operands))

    def _negation(self) -> Expr:
        if self.accept("not"):
            with self._nested():
                return Not(self._negation())
        return self._comparison()

    def _comparison(self) -> Expr:
        left = self._operand()
        token = self.current
        if token.kind is TokenKind.OPERATOR:
            self.advance()
            return Compare(Comparison(token.text), left, self._operand())
        if self.accept("contains"):
            return Compare(Comparison.CONTAINS, left, self._operand())
        if self.accept("in"):
            return Compare(Comparison.IN, left, self._operand())
        if self.accept("not"):
            self.expect("in", hint=" (after a value, `not` only forms `not in`)")
            return Not(Compare(Comparison.IN, left, self._operand()))
        if self.accept("matches"):
            return Matches(left, self._pattern())
        if self.accept("is"):
            return self._is_set(left)
        return left

    def _is_set(self, operand: Expr) -> Expr:
        negated = self.accept("not")
        self.expect("set", hint=" (write `is set` or `is not set`)")
        return Not(IsSet(operand)) if negated else IsSet(operand)

    def _pattern(self) -> re.Pattern[str]:
        token = self.current
        if token.kind is not TokenKind.STRING:
            raise ExpressionError(
                "`matches` takes a quoted pattern, found {found} at position {position}.",
                position=token.position,
                found=token.describe(),
            )
        self.advance()
        return compile_pattern(token.text, position=token.position)

    def _operand(self) -> Expr:
        token = self.current
        if self.accept("("):
            with self._nested():
                inner = self.expression()
            self.expect(")")
            return inner
        if self.accept("["):
            return self._list()
        if token.kind is TokenKind.NAME and token.text not in _LITERAL_NAMES:
            return self._variable()
        return Literal(self.literal())

    def _list(self) -> Expr:
        items: list[Expr] = []
        with self._nested():
            while not self.accept("]"):
                if items:
                    self.expect(",")
                items.append(Literal(self.literal()))
        return ListOf(tuple(items))

    def _variable(self) -> Var:
        token = self.advance()
        if token.text in KEYWORDS:
            raise ExpressionError(
                "Unexpected {found} at position {position}.", position=token.position, found=token.describe()
            )
        self.expect(".", hint=" Variables are written like contact.name or vars.plan.")
        name = self.expect_name()
        if self.current.text == "." and self.current.kind is TokenKind.PUNCTUATION:
            raise ExpressionError(
                "A variable has two parts, like contact.name (position {position}).", position=self.current.position
            )
        return Var(token.text, name)

    @contextmanager
    def _nested(self) -> Iterator[None]:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise ExpressionError(
                "Nested too deeply at position {position} (at most {limit} levels).",
                position=self.current.position,
                limit=MAX_DEPTH,
            )
        try:
            yield
        finally:
            self._depth -= 1
