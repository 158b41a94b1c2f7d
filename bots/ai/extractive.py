"""The answer without a language model (pure): the sentences of the retrieved passages that share
the question's rarer words, whole sentences only, a few hundred characters at most. Words are
compared by their Snowball stems, English or Russian by the word's alphabet."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import snowballstemmer  # type: ignore[import-untyped]  # the Snowball stemmers, pure Python

MAX_CHARS = 420
MAX_SENTENCES = 3
RANK_DISCOUNT = 0.15  # per rank: a later passage must match this much better to be chosen
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_WORD = re.compile(r"\w+")
_CYRILLIC = re.compile(r"[а-яё]")
_ENGLISH = snowballstemmer.stemmer("english")
_RUSSIAN = snowballstemmer.stemmer("russian")
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
        _stem(word) for word in (w.casefold() for w in _WORD.findall(text)) if len(word) > 2 and word not in _STOPWORDS
    }


@functools.lru_cache(maxsize=50_000)
def _stem(word: str) -> str:
    """Snowball's stem in the word's alphabet's language ("costs" and "cost", "тарифа" and "тариф")."""
    stemmer = _RUSSIAN if _CYRILLIC.search(word) else _ENGLISH
    return str(stemmer.stemWord(word))


@dataclass(frozen=True)
class Extract:
    source: int  # which passage it came from
    text: str
    score: float  # 0: no sentence shares a word with the question


def extract_answer(question: str, passages: Sequence[str]) -> Extract | None:
    """The best sentences of the passages (ranked best first): where the question's rarer words
    meet; a later passage must score clearly higher to win. None when every passage is empty."""
    best: Extract | None = None
    for rank, passage in enumerate(passages):
        found = _best_window(question, passage)
        if found is None:
            continue
        score = found[1] * (1.0 - RANK_DISCOUNT * rank)
        if best is None or score > best.score:
            best = Extract(rank, found[0], score)
    return best


def _best_window(question: str, passage: str) -> tuple[str, float] | None:
    """The best-matching sentence and those after it while they fit, with its score: each shared
    word counts 1/(the passage's sentences that have it), so "Pro costs $29" beats the fifth
    sentence about Pro. The passage's opening when no sentence shares a word (a match by meaning)."""
    found = sentences(passage)
    if not found:
        return None
    wanted = _stems(question)
    stems = [_stems(sentence) & wanted for sentence in found]
    spread = {stem: sum(stem in each for each in stems) for stem in wanted}
    scores = [sum(1.0 / spread[stem] for stem in each) for each in stems]
    best = max(range(len(found)), key=lambda index: (scores[index], -index))
    start = best if scores[best] > 0 else 0
    picked: list[str] = []
    for sentence in found[start:]:
        if picked and (len(picked) >= MAX_SENTENCES or sum(map(len, picked)) + len(sentence) > MAX_CHARS):
            break
        picked.append(sentence)
    answer = " ".join(picked)
    if len(answer) > MAX_CHARS * 2:
        answer = answer[: MAX_CHARS * 2].rsplit(" ", 1)[0] + "…"
    return answer, scores[best]
