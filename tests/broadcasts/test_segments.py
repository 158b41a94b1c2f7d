"""Audience segments from JSON and in words (pure)."""

from datetime import date

import pytest

from broadcasts.segments import Segment, describe_segment, parse_segment, segment_json
from core.errors import InvalidInput
from core.i18n import load_catalogs
from core.ids import TagId


def test_a_segment_round_trips_through_its_json_form() -> None:
    data: dict[str, object] = {
        "tag_ids": [3, 1, 3],
        "properties": {"plan": "pro"},
        "subscribed_since": "2026-01-31",
        "active_within_days": 30,
        "last_active_before": "2026-03-01",
    }
    segment = parse_segment(data)
    assert segment == Segment(
        tag_ids=(TagId(1), TagId(3)),
        properties=(("plan", "pro"),),
        subscribed_since=date(2026, 1, 31),
        active_within_days=30,
        last_active_before=date(2026, 3, 1),
    )
    assert parse_segment(segment_json(segment)) == segment
    assert parse_segment({}) == Segment()
    assert segment_json(Segment()) == {}


def test_the_segment_in_words_in_either_language() -> None:
    assert str(describe_segment(Segment())) == "every subscriber of the bot"
    words = describe_segment(parse_segment({"tag_ids": [1, 2], "properties": {"plan": "pro"}, "active_within_days": 7}))
    assert str(words) == "subscribers with any of the chosen tags (2), plan = pro, active in the last 7 days"
    russian = load_catalogs()["ru"].gettext
    refusal = InvalidInput("Nobody matches this audience: {audience}.", audience=words)
    assert refusal.translated(russian) == (
        "Под эту аудиторию никто не подходит: подписчики с любым из выбранных тегов (2), plan = pro, "
        "активные за последние дни: 7."
    )


@pytest.mark.parametrize(
    "data",
    [
        {"colour": "red"},
        {"tag_ids": "1"},
        {"tag_ids": [0]},
        {"tag_ids": [True]},
        {"properties": {"plan": 1}},
        {"properties": {"": "x"}},
        {"subscribed_since": "31.01.2026"},
        {"subscribed_since": 20260131},
        {"active_within_days": 0},
        {"active_within_days": "7"},
    ],
)
def test_a_bad_condition_is_refused(data: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        parse_segment(data)
