"""Measures of retrieval quality and of the hand-off decision (pure, no I/O), as used by the quality
test on public data and by bench/retrieval_quality.py (../shared/RETRIEVAL.md).

Retrieval: for each question the ranked article ids search returned and the one expected article;
recall@k is the share of questions whose article is among the first k, MRR the mean of 1/rank (0
when it is not returned). Hand-off: a score per question (the dense cosine of the best fused
article) for questions the knowledge base answers (positives) and for questions it does not
(negatives); AUROC is the chance that a random positive scores above a random negative (the
Mann-Whitney U statistic, ties counting one half), and the recommended threshold is the one that
maximises Youden's J = true-positive rate - false-positive rate, where a score at or above the
threshold counts as answerable and below it hands off."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TypeVar

Id = TypeVar("Id", bound=Hashable)


@dataclass(frozen=True)
class Threshold:
    value: float  # answer at or above, hand off below
    true_positive_rate: float  # answerable questions kept
    false_positive_rate: float  # out-of-scope questions not handed off

    @property
    def youden_j(self) -> float:
        return self.true_positive_rate - self.false_positive_rate


@dataclass(frozen=True)
class QualityFigures:
    questions: int
    recall_at_1: float
    recall_at_5: float
    mrr: float
    answerable: int
    out_of_scope: int
    auroc: float
    threshold: Threshold


def _check_lengths(ranked_ids_per_query: Sequence[Sequence[Id]], expected_ids: Sequence[Id]) -> None:
    if len(ranked_ids_per_query) != len(expected_ids):
        raise ValueError("one ranking is needed per expected id")
    if not expected_ids:
        raise ValueError("no queries to measure")


def recall_at_k(ranked_ids_per_query: Sequence[Sequence[Id]], expected_ids: Sequence[Id], k: int) -> float:
    """The share of queries whose expected id is among the first `k` of their ranking."""
    _check_lengths(ranked_ids_per_query, expected_ids)
    if k < 1:
        raise ValueError("k must be at least 1")
    found = sum(expected in ranked[:k] for ranked, expected in zip(ranked_ids_per_query, expected_ids, strict=True))
    return found / len(expected_ids)


def mean_reciprocal_rank(ranked_ids_per_query: Sequence[Sequence[Id]], expected_ids: Sequence[Id]) -> float:
    """The mean of 1/rank of the expected id (rank 1 first), 0 for a query that misses it."""
    _check_lengths(ranked_ids_per_query, expected_ids)
    total = 0.0
    for ranked, expected in zip(ranked_ids_per_query, expected_ids, strict=True):
        if expected in ranked:
            total += 1.0 / (list(ranked).index(expected) + 1)
    return total / len(expected_ids)


def auroc(positive_scores: Sequence[float], negative_scores: Sequence[float]) -> float:
    """P(a positive scores above a negative) + P(a tie)/2, from the ranks of all scores together."""
    if not positive_scores or not negative_scores:
        raise ValueError("both positive and negative scores are needed")
    labelled = sorted([(score, True) for score in positive_scores] + [(score, False) for score in negative_scores])
    positive_rank_sum = 0.0
    start = 0
    while start < len(labelled):  # tied scores share the mean of their ranks (1-based)
        end = start
        while end < len(labelled) and labelled[end][0] == labelled[start][0]:
            end += 1
        mean_rank = (start + 1 + end) / 2
        positive_rank_sum += mean_rank * sum(is_positive for _, is_positive in labelled[start:end])
        start = end
    n_pos, n_neg = len(positive_scores), len(negative_scores)
    u = positive_rank_sum - n_pos * (n_pos + 1) / 2
    return u / (n_pos * n_neg)


def best_threshold(positive_scores: Sequence[float], negative_scores: Sequence[float]) -> Threshold:
    """The threshold with the highest Youden's J. Candidates lie halfway between neighbouring distinct
    scores (and just outside the extremes), so a small shift of the scores does not flip a decision;
    among equally good ones the lowest wins (fewer answerable questions handed off)."""
    if not positive_scores or not negative_scores:
        raise ValueError("both positive and negative scores are needed")
    distinct = sorted(set(positive_scores) | set(negative_scores))
    candidates = [distinct[0] - 1e-6, *((a + b) / 2 for a, b in pairwise(distinct))]
    candidates.append(distinct[-1] + 1e-6)
    best: Threshold | None = None
    for value in candidates:
        tpr = sum(score >= value for score in positive_scores) / len(positive_scores)
        fpr = sum(score >= value for score in negative_scores) / len(negative_scores)
        candidate = Threshold(value, tpr, fpr)
        if best is None or candidate.youden_j > best.youden_j + 1e-12:
            best = candidate
    assert best is not None
    return best


def quality_figures(
    ranked_ids_per_query: Sequence[Sequence[Id]],
    expected_ids: Sequence[Id],
    answerable_scores: Sequence[float],
    out_of_scope_scores: Sequence[float],
) -> QualityFigures:
    """All the figures of one evaluation set."""
    return QualityFigures(
        questions=len(expected_ids),
        recall_at_1=recall_at_k(ranked_ids_per_query, expected_ids, 1),
        recall_at_5=recall_at_k(ranked_ids_per_query, expected_ids, 5),
        mrr=mean_reciprocal_rank(ranked_ids_per_query, expected_ids),
        answerable=len(answerable_scores),
        out_of_scope=len(out_of_scope_scores),
        auroc=auroc(answerable_scores, out_of_scope_scores),
        threshold=best_threshold(answerable_scores, out_of_scope_scores),
    )


def describe(name: str, figures: QualityFigures) -> str:
    """One line of figures for a report."""
    t = figures.threshold
    return (
        f"{name}: {figures.questions} questions, recall@1 {figures.recall_at_1:.3f}, "
        f"recall@5 {figures.recall_at_5:.3f}, MRR {figures.mrr:.3f}; hand-off on {figures.answerable} answerable "
        f"vs {figures.out_of_scope} out of scope: AUROC {figures.auroc:.3f}, best threshold {t.value:.3f} "
        f"(keeps {t.true_positive_rate:.0%} answerable, lets through {t.false_positive_rate:.0%} out of scope)"
    )
