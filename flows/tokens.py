"""The expression language's tokenizer (pure): source text to a list of tokens, or an
ExpressionError naming the position of the first character it cannot read."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from core.errors import InvalidInput

MAX_SOURCE_LENGTH = 2000

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<name>[^\W\d]\w*)
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<operator>==|!=|<=|>=|<|>)
    | (?P<punctuation>[().,\[\]|])
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {"n": "\n", "t": "\t"}


class ExpressionError(InvalidInput):
    """An expression, rule or template that cannot be read. `position` counts characters from the
    start of the text; `where` locates the part of a structured rule, e.g. `.all[2].op`."""

    def __init__(self, template: str, /, *, position: int = 0, where: str = "", **params: object) -> None:
        super().__init__(template, position=position, **params)
        self.position = position
        self.where = where


class RegexError(ExpressionError):
    """A `matches` pattern or an answer pattern that Python's re module cannot compile."""


class TokenKind(StrEnum):
    NAME = "name"
    NUMBER = "number"
    STRING = "string"
    OPERATOR = "operator"
    PUNCTUATION = "punctuation"
    END = "end"


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str  # as written (for a string: its value, quotes and escapes resolved)
    position: int

    def describe(self) -> str:
        return "the end" if self.kind is TokenKind.END else repr(self.text)


def tokenize(source: str) -> list[Token]:
    if len(source) > MAX_SOURCE_LENGTH:
        raise ExpressionError("An expression is limited to {limit} characters.", limit=MAX_SOURCE_LENGTH)
    tokens: list[Token] = []
    position = 0
    while position < len(source):
        found = _TOKEN.match(source, position)
        if found is None or found.lastgroup is None:
            raise ExpressionError(
                "Unexpected character {character!r} at position {position}.",
                position=position,
                character=source[position],
            )
        if found.lastgroup != "space":
            tokens.append(_token(found.lastgroup, found.group(), position))
        position = found.end()
    tokens.append(Token(TokenKind.END, "", len(source)))
    return tokens


def _token(group: str, text: str, position: int) -> Token:
    if group == "string":
        return Token(TokenKind.STRING, _unquote(text), position)
    return Token(TokenKind(group), text, position)


def _unquote(quoted: str) -> str:
    body = quoted[1:-1]
    return re.sub(r"\\(.)", lambda escape: _ESCAPES.get(escape.group(1), escape.group(1)), body, flags=re.DOTALL)
