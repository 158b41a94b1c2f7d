"""Grouping unanswered questions by topic (pure): by the cosine of their vectors against each group's
first question, or by their words when there is no vector; the most frequent wording represents a
group, the biggest groups come first."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bots.ai.grouping import Question, cosine, group_questions, normalised
from core.ids import AIAnswerId

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
REFUND = (1.0, 0.0, 0.0)
REFUND_AGAIN = (0.95, math.sqrt(1 - 0.95**2), 0.0)  # cosine 0.95 with REFUND
DELIVERY = (0.0, 0.0, 1.0)
_ids = iter(range(1, 1_000))


def asked(
    text: str,
    embedding: Sequence[float] | None = None,
    *,
    minutes_ago: int = 0,
    language: str = "en",
    reason: str = "weak-evidence",
) -> Question:
    return Question(
        answer_id=AIAnswerId(next(_ids)),
        text=text,
        language=language,
        reason=reason,
        asked_at=NOW - timedelta(minutes=minutes_ago),
        embedding=embedding,
    )


def test_the_same_words_are_one_question_whatever_the_case_punctuation_and_spacing() -> None:
    assert normalised("  How do I get a REFUND?! ") == normalised("how do i get a refund")
    assert normalised("Где мой заказ? Ёлки!") == "где мой заказ елки"
    questions = [asked("How do I get a refund?"), asked("how do  I get a refund"), asked("Where is my parcel?")]
    groups = group_questions(questions)
    assert [(group.question, group.count) for group in groups] == [
        ("How do I get a refund?", 2),
        ("Where is my parcel?", 1),
    ]


def test_questions_whose_vectors_are_close_group_and_far_ones_do_not() -> None:
    questions = [
        asked("Can I return my order?", REFUND, minutes_ago=1),
        asked("Money back please", REFUND_AGAIN, minutes_ago=2),
        asked("When will my parcel arrive?", DELIVERY, minutes_ago=3),
    ]
    groups = group_questions(questions)
    assert [group.count for group in groups] == [2, 1]
    assert groups[0].examples == ("Can I return my order?", "Money back please")
    assert groups[1].question == "When will my parcel arrive?"


def test_cosine_ignores_length() -> None:
    assert math.isclose(cosine(REFUND, REFUND_AGAIN), 0.95)
    assert math.isclose(cosine((2.0, 0.0, 0.0), REFUND), 1.0)
    assert math.isclose(cosine(REFUND, DELIVERY), 0.0, abs_tol=1e-12)
    assert cosine((0.0, 0.0, 0.0), REFUND) == 0.0


def test_the_similarity_is_configurable() -> None:
    questions = [asked("Can I return my order?", REFUND), asked("Money back please", REFUND_AGAIN)]
    assert [group.count for group in group_questions(questions, similarity=0.99)] == [1, 1]
    assert [group.count for group in group_questions(questions, similarity=0.9)] == [2]


def test_a_question_without_a_vector_joins_the_group_with_its_words() -> None:
    questions = [
        asked("Refund?", REFUND),
        asked("refund"),  # stored before vectors were kept
        asked("Money back please", REFUND_AGAIN),
        asked("Tracking"),
        asked("Zero", (0.0, 0.0, 0.0)),  # a zero vector says nothing: grouped by words
    ]
    groups = group_questions(questions)
    assert sorted((group.question, group.count) for group in groups) == [("Refund?", 3), ("Tracking", 1), ("Zero", 1)]


def test_the_most_frequent_wording_represents_the_group_and_the_newest_wins_ties() -> None:
    questions = [
        asked("Money back please", REFUND_AGAIN, minutes_ago=1),
        asked("Can I get a refund?", REFUND, minutes_ago=2),
        asked("can i get a refund", REFUND, minutes_ago=3),
    ]
    (group,) = group_questions(questions)
    assert group.question == "Can I get a refund?"
    assert group.examples == ("Can I get a refund?", "Money back please")
    assert group.latest_at == NOW - timedelta(minutes=1)
    (tie,) = group_questions(questions[:1] + questions[1:2])
    assert tie.question == "Money back please"


def test_a_group_keeps_every_id_its_reasons_language_and_at_most_five_examples() -> None:
    questions = [asked(f"Refund {number}", REFUND, language="ru") for number in range(7)]
    questions.append(asked("Refund 0", REFUND, reason="unhelpful"))
    (group,) = group_questions(questions)
    assert group.count == 8
    assert sorted(group.answer_ids) == sorted(question.answer_id for question in questions)
    assert group.examples == ("Refund 0", "Refund 1", "Refund 2", "Refund 3", "Refund 4")
    assert group.reasons == ("weak-evidence", "unhelpful")
    assert group.language == "ru"


def test_the_biggest_groups_come_first_then_the_latest() -> None:
    questions = [
        asked("Parcel", DELIVERY, minutes_ago=5),
        asked("Opening hours", minutes_ago=1),
        asked("Refund", REFUND, minutes_ago=10),
        asked("Money back please", REFUND_AGAIN, minutes_ago=11),
    ]
    assert [group.question for group in group_questions(questions)] == ["Refund", "Opening hours", "Parcel"]
    assert group_questions([]) == []
