"""Who a broadcast goes to (pure): a segment of a bot's subscribers, from its JSON form and back, and
in words. Every condition given must hold; no condition means every subscriber. Unsubscribed people
are never in an audience (broadcasts.audience applies that)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from core.errors import InvalidInput, Phrase
from core.ids import TagId

MAX_TAGS = 50
MAX_PROPERTIES = 10
MAX_PROPERTY_LENGTH = 200
MAX_DAYS = 3650
_KNOWN = frozenset({"tag_ids", "properties", "subscribed_since", "active_within_days", "last_active_before"})


@dataclass(frozen=True)
class Segment:
    tag_ids: tuple[TagId, ...] = ()  # has any of these tags (on any of their dialogs)
    properties: tuple[tuple[str, str], ...] = ()  # contact property equals, for each pair
    subscribed_since: date | None = None  # subscribed on or after this day (workspace's time zone)
    active_within_days: int | None = None  # wrote to the bot within the last N days
    last_active_before: date | None = None  # has not written to the bot since before this day

    @property
    def is_everyone(self) -> bool:
        return self == Segment()


def parse_segment(data: Mapping[str, object]) -> Segment:
    """A segment from its JSON form, or InvalidInput naming what is wrong."""
    unknown = sorted(set(data) - _KNOWN)
    if unknown:
        raise InvalidInput("Unknown audience condition: {name}.", field="audience", name=unknown[0])
    return Segment(
        tag_ids=_tag_ids(data.get("tag_ids")),
        properties=_properties(data.get("properties")),
        subscribed_since=_day(data.get("subscribed_since"), "subscribed_since"),
        active_within_days=_days(data.get("active_within_days")),
        last_active_before=_day(data.get("last_active_before"), "last_active_before"),
    )


def segment_json(segment: Segment) -> dict[str, object]:
    """The stored form: only the conditions that are set."""
    data: dict[str, object] = {}
    if segment.tag_ids:
        data["tag_ids"] = [int(tag) for tag in segment.tag_ids]
    if segment.properties:
        data["properties"] = dict(segment.properties)
    if segment.subscribed_since is not None:
        data["subscribed_since"] = segment.subscribed_since.isoformat()
    if segment.active_within_days is not None:
        data["active_within_days"] = segment.active_within_days
    if segment.last_active_before is not None:
        data["last_active_before"] = segment.last_active_before.isoformat()
    return data


def describe_segment(segment: Segment) -> Phrase:
    """The conditions in words, for messages like "Nobody matches this audience: …"."""
    if segment.is_everyone:
        return Phrase("every subscriber of the bot")
    parts: list[Phrase | str] = []
    if segment.tag_ids:
        parts.append(Phrase("with any of the chosen tags ({count})", count=len(segment.tag_ids)))
    parts += [f"{name} = {value}" for name, value in segment.properties]
    if segment.subscribed_since is not None:
        parts.append(Phrase("subscribed since {date}", date=segment.subscribed_since.isoformat()))
    if segment.active_within_days is not None:
        parts.append(Phrase("active in the last {days} days", days=segment.active_within_days))
    if segment.last_active_before is not None:
        parts.append(Phrase("not active since {date}", date=segment.last_active_before.isoformat()))
    return Phrase("subscribers {conditions}", conditions=tuple(parts))


def _tag_ids(value: object) -> tuple[TagId, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_TAGS:
        raise InvalidInput("Choose at most {limit} tags.", field="audience", limit=MAX_TAGS)
    if not all(isinstance(tag, int) and not isinstance(tag, bool) and tag > 0 for tag in value):
        raise InvalidInput("Choose tags from the list.", field="audience")
    return tuple(sorted({TagId(tag) for tag in value}))


def _properties(value: object) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict) or len(value) > MAX_PROPERTIES:
        raise InvalidInput("Give at most {limit} contact properties.", field="audience", limit=MAX_PROPERTIES)
    pairs = []
    for name, wanted in value.items():
        valid = isinstance(name, str) and isinstance(wanted, str) and 0 < len(name.strip()) <= MAX_PROPERTY_LENGTH
        if not valid or len(wanted) > MAX_PROPERTY_LENGTH:
            raise InvalidInput("A contact property needs a name and a value (text).", field="audience")
        pairs.append((name.strip(), wanted))
    return tuple(sorted(pairs))


def _day(value: object, name: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInput("{name}: give a date like 2026-01-31.", field="audience", name=name)


def _days(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
        raise InvalidInput("Give the number of days as 1 to {limit}.", field="audience", limit=MAX_DAYS)
    return value
