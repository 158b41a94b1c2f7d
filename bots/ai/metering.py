"""AI questions for billing (PRODUCT.md): one per dialog episode the AI bot took part in, an
episode the visitor started sooner than the workspace's gap after the previous one ended counting
with it; recorded in the transaction that stores the bot's answer or hand-off, once per question
however often it is tried."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.meter import Metric, record_usage
from bots.ai.episodes import EpisodeSpan, question_episode
from conversations.models import Conversation, Message


async def record_ai_question(
    session: AsyncSession, conversation: Conversation, *, gap: timedelta, at: datetime
) -> bool:
    """True when this started a new question (a usage row was written)."""
    rows = await session.execute(
        select(Message.episode, func.min(Message.created_at), func.max(Message.created_at))
        .where(Message.conversation_id == conversation.id, Message.episode >= conversation.episode - 20)
        .group_by(Message.episode)
    )
    spans = [EpisodeSpan(episode, first, last) for episode, first, last in rows]
    episode = question_episode(spans, conversation.episode, gap)
    return await record_usage(
        session,
        workspace_id=conversation.workspace_id,
        metric=Metric.AI_QUESTION,
        quantity=1,
        idempotency_key=f"ai-question:{conversation.id}:{episode}",
        occurred_at=at,
        contact_id=conversation.contact_id,
    )
