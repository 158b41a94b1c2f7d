"""The retrieval and hand-off measures: recall@k and MRR count ranks as defined, AUROC is the
Mann-Whitney statistic (ties count one half, checked against counting every pair), and the best
threshold maximises Youden's J with the threshold between the two groups' scores."""

import itertools
import random

import pytest

from knowledge_base.quality import (
    Threshold,
    auroc,
    best_threshold,
    describe,
    mean_reciprocal_rank,
    quality_figures,
    recall_at_k,
)


def pairwise_auroc(positive: list[float], negative: list[float]) -> float:
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(positive, negative))
    return wins / (len(positive) * len(negative))


def test_recall_at_k_counts_the_expected_id_among_the_first_k() -> None:
    ranked = [["a", "b", "c"], ["c", "a"], [], ["b", "c", "d", "e", "a", "f"]]
    expected = ["a", "a", "a", "a"]
    assert recall_at_k(ranked, expected, 1) == 0.25
    assert recall_at_k(ranked, expected, 2) == 0.5
    assert recall_at_k(ranked, expected, 5) == 0.75
    assert recall_at_k(ranked, expected, 10) == 0.75
    with pytest.raises(ValueError, match="k must"):
        recall_at_k(ranked, expected, 0)
    with pytest.raises(ValueError, match="one ranking"):
        recall_at_k(ranked, expected[:2], 1)
    with pytest.raises(ValueError, match="no queries"):
        recall_at_k([], [], 1)


def test_mean_reciprocal_rank_is_zero_for_a_miss() -> None:
    ranked = [[1, 2, 3], [2, 1], [3, 2], [2, 3, 4, 1]]
    assert mean_reciprocal_rank(ranked, [1, 1, 1, 1]) == pytest.approx((1 + 1 / 2 + 0 + 1 / 4) / 4)


def test_auroc_is_one_for_perfect_separation_a_half_for_ties_and_zero_reversed() -> None:
    assert auroc([0.9, 0.8], [0.1, 0.2, 0.3]) == 1.0
    assert auroc([0.1], [0.9]) == 0.0
    assert auroc([0.5, 0.5], [0.5]) == 0.5
    assert auroc([0.9, 0.5], [0.5, 0.1]) == pytest.approx((1 + 1 + 0.5 + 1) / 4)
    with pytest.raises(ValueError, match="both"):
        auroc([], [0.1])


def test_auroc_matches_counting_every_pair_with_many_ties() -> None:
    rng = random.Random(7)
    for _ in range(50):
        positive = [rng.choice([0.1, 0.2, 0.3, 0.4, 0.5]) for _ in range(rng.randint(1, 12))]
        negative = [rng.choice([0.0, 0.1, 0.2, 0.3]) for _ in range(rng.randint(1, 12))]
        assert auroc(positive, negative) == pytest.approx(pairwise_auroc(positive, negative))


def test_the_best_threshold_lies_between_separated_groups() -> None:
    threshold = best_threshold([0.9, 0.85, 0.8], [0.7, 0.6])
    assert threshold == Threshold(value=threshold.value, true_positive_rate=1.0, false_positive_rate=0.0)
    assert threshold.value == pytest.approx(0.75)
    assert threshold.youden_j == 1.0


def test_the_best_threshold_trades_off_overlapping_groups_by_youden_j() -> None:
    positive = [0.95, 0.9, 0.85, 0.82, 0.7]
    negative = [0.84, 0.75, 0.6, 0.5]
    threshold = best_threshold(positive, negative)
    # Every candidate's J computed by hand: above 0.8 keeps 4/5 and lets 1/4 through (J 0.55);
    # between 0.84 and 0.85 keeps 3/5 and none (J 0.6), the best; above 0.65 keeps all, lets 2/4 (J 0.5).
    assert threshold.value == pytest.approx(0.845)
    assert (threshold.true_positive_rate, threshold.false_positive_rate) == (0.6, 0.0)
    for value in sorted(set(positive + negative)):
        j = sum(p >= value for p in positive) / 5 - sum(n >= value for n in negative) / 4
        assert j <= threshold.youden_j + 1e-9


def test_among_equally_good_thresholds_the_lowest_wins() -> None:
    threshold = best_threshold([0.9, 0.5], [0.7, 0.1])  # J is 0.5 between 0.1 and 0.5, and between 0.7 and 0.9
    assert threshold.value == pytest.approx(0.3)
    assert threshold.youden_j == 0.5


def test_quality_figures_gather_everything_and_describe_reads_them() -> None:
    figures = quality_figures([["a", "b"], ["a", "b"]], ["a", "b"], [0.9, 0.8], [0.2])
    assert (figures.recall_at_1, figures.recall_at_5, figures.mrr) == (0.5, 1.0, 0.75)
    assert (figures.questions, figures.answerable, figures.out_of_scope, figures.auroc) == (2, 2, 1, 1.0)
    line = describe("en", figures)
    assert line.startswith("en: 2 questions, recall@1 0.500, recall@5 1.000, MRR 0.750")
    assert "AUROC 1.000" in line
