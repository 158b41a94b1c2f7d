"""The answer without a language model (pure): the sentences of the best passage that share the
most words with the question, whole sentences only, a few hundred characters at most. Words are
compared by their first five letters, a crude stem that works for English and Russian alike."""

from __future__ import annotations

import re

MAX_CHARS = 420
MAX_SENTENCES = 3
STEM = 5
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_WORD = re.compile(r"\w+")
_STOPWORD_TEXT = (
    "the and for are you your can how what when where which who why does with this that from have will "
    "there their into about our out use get may not any all its "
    "как что это где когда кто почему зачем или для при без над под про так там тут есть был была "
    "было были мне вам вас нас наш ваш его они она оно мой моя чем если можно нужно ли же"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def sentences(passage: str) -> list[str]:
    """The passage's sentences, markup bullets and empty lines dropped."""
    parts = (part.strip().lstrip("-*•#> ").strip() for part in _SENTENCE_END.split(passage))
    return [part for part in parts if part]


def _stems(text: str) -> set[str]:
    return {
        word[:STEM] for word in (w.casefold() for w in _WORD.findall(text)) if len(word) > 2 and word not in _STOPWORDS
    }


def extract_answer(question: str, passage: str) -> str:
    """The best-matching sentence and those after it while they fit; the passage's opening when no
    sentence shares a word with the question (the passage matched by meaning)."""
    found = sentences(passage)
    if not found:
        return ""
    wanted = _stems(question)
    scores = [len(wanted & _stems(sentence)) for sentence in found]
    best = max(range(len(found)), key=lambda index: (scores[index], -index))
    start = best if scores[best] > 0 else 0
    picked: list[str] = []
    for sentence in found[start:]:
        if picked and (len(picked) >= MAX_SENTENCES or sum(map(len, picked)) + len(sentence) > MAX_CHARS):
            break
        picked.append(sentence)
    answer = " ".join(picked)
    return answer if len(answer) <= MAX_CHARS * 2 else answer[: MAX_CHARS * 2].rsplit(" ", 1)[0] + "…"
