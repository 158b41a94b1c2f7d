"""Checks on what a language model wrote before anyone sees it (pure): it must cite, only sources
it was given, stay short, and not recite its instructions. What passes is shown without the [n]
markers (the sources are listed under the answer instead)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bots.ai.prompts import NO_ANSWER, RULES

MAX_CHARS = 1_500
_CITATION = re.compile(r"\s?\[(\d{1,2})\]")
_SENTENCE_END = re.compile(r"[.!?…](?=\s|$)")
LEAK_WORDS = 6  # this many consecutive words of the rules in an answer is a leak


class Verdict(StrEnum):
    OK = "ok"
    NO_ANSWER = "not-in-knowledge-base"  # the model says the sources do not hold it
    UNCITED = "ai-uncited"  # no citation: not grounded
    BAD_CITATION = "ai-bad-citation"  # a citation of a source it was not given
    LEAK = "ai-leak"  # it recited its instructions
    EMPTY = "ai-empty"


@dataclass(frozen=True)
class Checked:
    verdict: Verdict
    text: str = ""  # shown to the visitor (markers removed), when OK
    cited: tuple[int, ...] = ()  # source numbers, in order of first citation


def check_answer(raw: str, source_count: int) -> Checked:
    text = raw.strip()
    if not text:
        return Checked(Verdict.EMPTY)
    if NO_ANSWER in text:
        return Checked(Verdict.NO_ANSWER)
    if _recites_rules(text):
        return Checked(Verdict.LEAK)
    numbers = [int(number) for number in _CITATION.findall(text)]
    if not numbers:
        return Checked(Verdict.UNCITED)
    if any(not 1 <= number <= source_count for number in numbers):
        return Checked(Verdict.BAD_CITATION)
    return Checked(Verdict.OK, visible_text(text), tuple(dict.fromkeys(numbers)))


def visible_text(text: str) -> str:
    """Without [n] markers, trimmed to MAX_CHARS at a sentence end."""
    plain = _CITATION.sub("", text).strip()
    if len(plain) <= MAX_CHARS:
        return plain
    ends = [match.end() for match in _SENTENCE_END.finditer(plain, 0, MAX_CHARS)]
    return plain[: ends[-1]] if ends else plain[:MAX_CHARS].rsplit(" ", 1)[0] + "…"


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


_RULE_RUNS = frozenset(
    " ".join(words[index : index + LEAK_WORDS])
    for line in RULES.splitlines()
    if len(words := _words(line)) >= LEAK_WORDS
    for index in range(len(words) - LEAK_WORDS + 1)
)


def _recites_rules(text: str) -> bool:
    words = _words(text)
    return any(
        " ".join(words[index : index + LEAK_WORDS]) in _RULE_RUNS for index in range(len(words) - LEAK_WORDS + 1)
    )
