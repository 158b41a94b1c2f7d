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

_ASKS_FOR_PERSON = re.compile(
    r"\b(?:"
    # English: a person, an operator, a human…
    r"human|humans|operator|operators|agent|representative|real person|live person|live chat|"
    r"(?:talk|speak|chat)\s+(?:to|with)\s+(?:a|an|the|some)?\s*(?:one|someone|person|people|human|agent|support)|"
    r"(?:connect|transfer)\s+me|"
    # Russian: оператор, живой человек, позовите/соедините…
    r"оператор\w*|сотрудник\w*|менеджер\w*|консультант\w*|жив\w*\s+человек\w*|"
    r"с\s+человеком|человека\s+позов\w*|позов\w*|соедин\w*|переключ\w*"
    r")\b",
    re.IGNORECASE,
)
_FED_UP = re.compile(
    r"\b(?:useless|stupid bot|dumb bot|not helpful|doesn'?t help|terrible|awful|ridiculous|"
    r"бесит|достал\w*|ужасн\w*|тупой|бесполезн\w*|не помога\w*|не понима\w*)\b|!!!|\?\?\?",
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
