"""Grouping the questions the AI bot could not answer into topics for the editors' report (pure):
questions with the same words are one wording; greedily, the most frequent wording first, each joins
the group whose first wording is most like it by the cosine of their vectors (at least SIMILARITY),
or starts one. Wordings without a vector stay groups of their own."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

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
    question: str  # the most frequent wording (the newest of equally frequent ones), as last asked
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
    """Groups, the biggest first (then the most recent). Give the questions newest first. Questions
    with the same words are one wording; wordings, the most frequent first, then join the group whose
    first wording's vector is closest (at least `similarity`), or start one."""
    groups: list[_Group] = []
    leaders: list[tuple[Vector, _Group]] = []
    # For unit vectors |a - b|² = 2 - 2·cos: the nearest leader is the most similar one. math.dist
    # runs in C, 4× a Python dot product (a report groups up to 500 questions: ~125,000 comparisons).
    reach = math.sqrt(max(0.0, 2.0 - 2.0 * similarity))
    for wording in sorted(_wordings(questions), key=lambda wording: -len(wording.members)):  # stable: newest first
        group = None if wording.vector is None else _nearest(leaders, wording.vector, reach)
        if group is None:
            group = _Group()
            groups.append(group)
            if wording.vector is not None:
                leaders.append((wording.vector, group))
        group.wordings.append(wording)
    built = [group.built() for group in groups]
    return sorted(built, key=lambda group: (-group.count, -group.latest_at.timestamp()))


def cosine(first: Sequence[float], second: Sequence[float]) -> float:
    first_unit, second_unit = _unit(first), _unit(second)
    if first_unit is None or second_unit is None:
        return 0.0
    return 1.0 - math.dist(first_unit, second_unit) ** 2 / 2.0


def _unit(embedding: Sequence[float] | None) -> Vector | None:
    if embedding is None:
        return None
    vector = tuple(float(value) for value in embedding)
    norm = math.sqrt(sum(value * value for value in vector))
    if norm == 0.0 or math.isnan(norm):
        return None
    return tuple(value / norm for value in vector)


def _wordings(questions: Sequence[Question]) -> list[_Wording]:
    by_words: dict[str, _Wording] = {}
    for question in questions:
        wording = by_words.setdefault(normalised(question.text), _Wording(question.text.strip()))
        wording.members.append(question)
        if wording.vector is None:
            wording.vector = _unit(question.embedding)
    return list(by_words.values())


def _nearest(leaders: Sequence[tuple[Vector, _Group]], vector: Vector, reach: float) -> _Group | None:
    best: _Group | None = None
    best_distance = reach
    for leader, group in leaders:
        if len(leader) == len(vector) and (distance := math.dist(leader, vector)) <= best_distance:
            best, best_distance = group, distance
    return best


@dataclass
class _Wording:
    """Questions with the same words; `text` is the newest one's."""

    text: str
    members: list[Question] = field(default_factory=list)
    vector: Vector | None = None  # the newest member's that has one


@dataclass
class _Group:
    wordings: list[_Wording] = field(default_factory=list)  # the first is the most frequent: the leader

    def built(self) -> QuestionGroup:
        members = [member for wording in self.wordings for member in wording.members]
        members.sort(key=lambda member: member.asked_at, reverse=True)
        languages = Counter(member.language for member in members)
        reasons = Counter(member.reason for member in members)
        return QuestionGroup(
            question=self.wordings[0].text,
            language=languages.most_common(1)[0][0],
            count=len(members),
            examples=tuple(wording.text for wording in self.wordings[:EXAMPLES]),
            latest_at=members[0].asked_at,
            reasons=tuple(reason for reason, _ in reasons.most_common()),
            answer_ids=tuple(member.answer_id for member in members),
        )
