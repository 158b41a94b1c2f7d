"""The values a flow reads and writes (pure): what an expression evaluates to, how a value reads as
text, and how a webhook's JSON response becomes a value."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TypeAlias

# A variable's value: text, a number, a yes/no, nothing, or a list (contact.tags).
Value: TypeAlias = "str | int | float | bool | tuple[Value, ...] | None"
# What JSON decodes to; webhook bodies and serialised run state.
JsonValue: TypeAlias = "str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None"

_NUMBER = re.compile(r"\s*-?\d+(?:[.,]\d+)?\s*")
_FALSE_WORDS = frozenset({"false", "no", "0", "off"})


def is_set(value: Value) -> bool:
    """Known and not empty: neither nothing, nor empty text, nor an empty list."""
    return value is not None and value != "" and value != ()


def is_truthy(value: Value) -> bool:
    """A bare value as a condition: set, and not false, zero or a word meaning false ("false", "no")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value.strip().casefold() not in _FALSE_WORDS and value.strip() != ""
    return is_set(value)


def as_number(value: Value) -> float | None:
    """A number, or text that spells one ("42", "3,5"); yes/no values are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value) is not None:
        return float(value.strip().replace(",", "."))
    return None


def as_text(value: Value) -> str:
    """How a value reads inside a message: nothing is empty, lists are comma separated."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, tuple):
        return ", ".join(as_text(item) for item in value)
    return str(value)


def from_json(value: JsonValue) -> Value:
    """A JSON value as a flow value: a list of scalars becomes a list; objects and nested lists
    are kept as their JSON text (a template can still show them)."""
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, list):
        return tuple(_scalar_or_text(item) for item in value)
    return value


def to_json(value: Value) -> JsonValue:
    if isinstance(value, tuple):
        return [to_json(item) for item in value]
    return value


def read_json_path(document: JsonValue, path: Sequence[str]) -> JsonValue:
    """The part of `document` at `path` (object keys and list indexes, e.g. data.items.0.id); None when absent."""
    current = document
    for segment in path:
        if isinstance(current, dict):
            current = current.get(segment)
        elif isinstance(current, list) and segment.isdecimal() and len(segment) < 10 and int(segment) < len(current):
            current = current[int(segment)]
        else:
            return None
    return current


def _scalar_or_text(value: JsonValue) -> Value:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value
