"""Grouping the questions the AI bot could not answer into topics for the editors' report (pure):
greedily, each question joins the group whose first question is most like it by the cosine of their
vectors, or one with the same words; questions without a vector group by their words alone."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import mul

from core.ids import AIAnswerId

SIMILARITY = 0.85  # cosine at which two questions are the same topic (e5-small question vectors)
EXAMPLES = 5
_NOT_WORD = re.compile(r"[^\w\s]+")

Vector = tuple[float, ...]


@dataclass(frozen=True)
class Question:
    """One question the bot did not answer well; `reason` is why it is in the report."""

    answer_id: AIAnswerId
    text: str
    language: str
    reason: str
    asked_at: datetime
    embedding: Sequence[float] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class QuestionGroup:
    question: str  # the most frequent wording (the newest of equally frequent ones)
    language: str
    count: int
    examples: tuple[str, ...]  # distinct wordings, the representative first
    latest_at: datetime
    reasons: tuple[str, ...]  # most frequent first
    answer_ids: tuple[AIAnswerId, ...]


def normalised(text: str) -> str:
    """The words of a question, for "the same question": case, punctuation, spacing and ё ignored."""
    return " ".join(_NOT_WORD.sub(" ", text.casefold().replace("ё", "е")).split())


def group_questions(questions: Sequence[Question], *, similarity: float = SIMILARITY) -> list[QuestionGroup]:
    """Groups, the biggest first (then the most recent). Give the questions newest first: the first
    question of a group is the one the others are compared with, and the newest wording wins ties."""
    groups: list[_Group] = []
    by_words: dict[str, _Group] = {}
    for question in questions:
        words = normalised(question.text)
        vector = _unit(question.embedding)
        group = by_words.get(words)
        if group is None and vector is not None:
            group = _closest(groups, vector, similarity)
        if group is None:
            group = _Group()
            groups.append(group)
        by_words.setdefault(words, group)
        group.add(question, words, vector)
    built = [group.built() for group in groups]
    return sorted(built, key=lambda group: (-group.count, -group.latest_at.timestamp()))


def cosine(first: Vector, second: Vector) -> float:
    """Of two unit vectors."""
    return sum(map(mul, first, second))


def _unit(embedding: Sequence[float] | None) -> Vector | None:
    if embedding is None:
        return None
    vector = tuple(float(value) for value in embedding)
    norm = math.sqrt(sum(value * value for value in vector))
    if norm == 0.0 or math.isnan(norm):
        return None
    return tuple(value / norm for value in vector)


def _closest(groups: Sequence[_Group], vector: Vector, similarity: float) -> _Group | None:
    best: _Group | None = None
    best_cosine = similarity
    for group in groups:
        if group.leader is None or len(group.leader) != len(vector):
            continue
        score = cosine(group.leader, vector)
        if score >= best_cosine:
            best, best_cosine = group, score
    return best


@dataclass
class _Group:
    leader: Vector | None = None  # the first vector seen: what later questions are compared with
    members: list[Question] = field(default_factory=list)
    wordings: dict[str, str] = field(default_factory=dict)  # normalised words -> first text seen
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, question: Question, words: str, vector: Vector | None) -> None:
        if self.leader is None:
            self.leader = vector
        self.members.append(question)
        self.wordings.setdefault(words, question.text.strip())
        self.counts[words] += 1

    def built(self) -> QuestionGroup:
        ranked = [words for words, _ in self.counts.most_common()]  # ties keep the order first seen
        languages = Counter(member.language for member in self.members)
        reasons = Counter(member.reason for member in self.members)
        return QuestionGroup(
            question=self.wordings[ranked[0]],
            language=languages.most_common(1)[0][0],
            count=len(self.members),
            examples=tuple(self.wordings[words] for words in ranked[:EXAMPLES]),
            latest_at=max(member.asked_at for member in self.members),
            reasons=tuple(reason for reason, _ in reasons.most_common()),
            answer_ids=tuple(member.answer_id for member in self.members),
        )
