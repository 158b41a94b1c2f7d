"""What a visitor's question says before any retrieval (pure): which language it is in, whether
they ask for a person or are fed up, whether it touches a topic the workspace always gives to a
human. Conservative on purpose: a false "asks for a person" only costs an operator's minute."""

from __future__ import annotations

import re
from collections.abc import Iterable

LANGUAGES = ("en", "ru")
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)
_PUNCTUATION = re.compile(r"[^\w\s]")

_PEOPLE_EN = r"(?:human|person|people|agent|operator|representative|someone|somebody|manager|staff|support)"
_PEOPLE_RU = r"(?:оператор\w*|человек\w*|сотрудник\w*|менеджер\w*|консультант\w*|специалист\w*|живого|живым)"
_ALONE_WORDS = (
    "human operator agent person representative someone "
    "оператор оператора человек человека менеджер консультант специалист"
)
_ALONE = frozenset(_ALONE_WORDS.split())
_ASKS_FOR_PERSON = re.compile(
    # English: talk to a human, a real person, connect me with an agent, transfer me
    rf"\b(?:talk|speak|chat|connect|put)\s+(?:me\s+)?(?:to|with|through to)\s+(?:a|an|the|some|your)?\s*"
    rf"(?:real\s+|live\s+)?{_PEOPLE_EN}\b|"
    r"\b(?:real|live)\s+(?:person|human|agent)\b|"
    rf"\b(?:want|need|get)\s+(?:me\s+)?(?:a|an|to talk to a)\s+(?:real\s+)?(?:human|person|operator|agent)\b|"
    r"\btransfer\s+me\b|"
    # Russian: позовите оператора, хочу с человеком, соедините со специалистом, живой человек
    rf"(?:позов\w*|позвать|дайте|дай|нужен|нужна|хочу|(?:соедин|свяж|связат|поговор|пообща)\w*\s+(?:с|со)|переключ\w*\s+на)"
    rf"\s+(?:\w+\s+)?{_PEOPLE_RU}|"
    r"жив\w*\s+человек\w*|\bс\s+человеком\b",
    re.IGNORECASE,
)
_FED_UP = re.compile(
    r"\b(?:useless|stupid bot|dumb bot|you are not helping|you're not helping|"
    r"бесит|достал\w*|тупой бот|бесполезн\w*)\b",
    re.IGNORECASE,
)


def question_language(text: str, fallback: str) -> str:
    """ "ru" when the text is mostly Cyrillic, "en" when mostly Latin, else `fallback` (if known)."""
    cyrillic, latin = len(_CYRILLIC.findall(text)), len(_LATIN.findall(text))
    if cyrillic > latin:
        return "ru"
    if latin > cyrillic:
        return "en"
    return fallback if fallback in LANGUAGES else "en"


def asks_for_person(text: str) -> bool:
    """A request for a person ("оператор!", "talk to a human", "позовите специалиста") or plain
    frustration; a question that merely mentions one ("which mobile operator…") is not."""
    alone = normalised(_PUNCTUATION.sub(" ", text))
    if alone in _ALONE or alone.removeprefix("a ").removeprefix("the ") in _ALONE:
        return True
    return _ASKS_FOR_PERSON.search(text) is not None or _FED_UP.search(text) is not None


def normalised(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split())


def stop_topic_in(text: str, topics: Iterable[str]) -> str | None:
    """The first stop topic the question mentions (case- and ё-insensitive, as a phrase prefix, so
    "refund" matches "refunds" and "возврат" matches "возврата")."""
    words = " " + normalised(_PUNCTUATION.sub(" ", text))
    for topic in topics:
        wanted = normalised(topic)
        if wanted and f" {wanted}" in words:
            return topic
    return None
