"""Which AI question an episode of a dialog belongs to (pure), by the billing rule of PRODUCT.md:
one question per episode the AI bot took part in, but a visitor who writes into a closed dialog
sooner than the workspace's gap after it ended goes on with the same question."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class EpisodeSpan:
    episode: int
    first_at: datetime  # its first message
    last_at: datetime  # its last message


def question_episode(spans: Sequence[EpisodeSpan], current: int, gap: timedelta) -> int:
    """The episode whose question `current` continues: walk back while each episode began less
    than `gap` after the previous one's last message."""
    by_number = {span.episode: span for span in spans}
    episode = current
    while episode > 1:
        this, before = by_number.get(episode), by_number.get(episode - 1)
        if this is None or before is None or this.first_at - before.last_at >= gap:
            return episode
        episode -= 1
    return episode
