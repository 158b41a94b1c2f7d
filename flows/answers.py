"""Reading the visitor's answers (pure): checking an ask's answer against its format, matching typed
text to buttons ("Pricing", "pricing ", "3"), and the ids of the buttons a step offers."""

from __future__ import annotations

import re
from collections.abc import Sequence

from flows.evaluation import MAX_SUBJECT_LENGTH
from flows.graph import AnswerFormat
from flows.values import Value

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")
_PHONE = re.compile(r"\+?[\d\s().-]{7,25}")
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
_PHONE_DIGITS = range(7, 16)  # E.164 allows at most 15 digits


def check_answer(answer_format: AnswerFormat | None, pattern: re.Pattern[str] | None, text: str) -> Value:
    """The answer as it is saved (trimmed; a number as a number), or None when it does not fit."""
    answer = text.strip()
    if answer == "" or len(answer) > MAX_SUBJECT_LENGTH:
        return None
    match answer_format:
        case AnswerFormat.EMAIL:
            return answer if _EMAIL.fullmatch(answer) else None
        case AnswerFormat.PHONE:
            return answer if _is_phone(answer) else None
        case AnswerFormat.NUMBER:
            return _number(answer)
        case AnswerFormat.REGEX:
            return answer if pattern is not None and pattern.fullmatch(answer) else None
    return answer


def match_option(labels: Sequence[str], text: str, *, values: Sequence[str] = ()) -> int | None:
    """The index of the option the visitor meant by typing `text`: its label (or value), ignoring
    case and surrounding spaces, or its number counted from 1."""
    typed = text.strip().casefold()
    for index, label in enumerate(labels):
        if label.strip().casefold() == typed:
            return index
    for index, value in enumerate(values):
        if value.strip().casefold() == typed:
            return index
    if typed.isdecimal() and len(typed) <= 3 and 1 <= int(typed) <= len(labels):
        return int(typed) - 1
    return None


def button_id(prompt_id: str, index: int) -> str:
    return f"{prompt_id}:{index}"


def pressed_index(prompt_id: str | None, pressed: str, count: int) -> int | None:
    """Which button of the current prompt `pressed` is; None for another prompt's (stale) button."""
    prefix, separator, index = pressed.rpartition(":")
    if prompt_id is None or separator == "" or prefix != prompt_id:
        return None
    if not (index.isdecimal() and len(index) <= 3 and int(index) < count):
        return None
    return int(index)


def _is_phone(answer: str) -> bool:
    digits = sum(character.isdigit() for character in answer)
    return _PHONE.fullmatch(answer) is not None and digits in _PHONE_DIGITS


def _number(answer: str) -> int | float | None:
    if _NUMBER.fullmatch(answer) is None:
        return None
    if answer.lstrip("-").isdecimal():
        return int(answer)
    return float(answer.replace(",", "."))
