"""The questions the AI bot could not answer (it handed off for want of an article) or answered
unhelpfully (the visitor said so), not yet dealt with by an editor: read for the report, and
dismissed — marked resolved — a group at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Permission
from bots.ai.grouping import Question
from bots.ai.models import AIAnswer
from bots.ai.pipeline import UNANSWERED
from core.ids import AIAnswerId

UNHELPFUL = "unhelpful"  # the reason of an answer the visitor said did not help
PERIOD = timedelta(days=90)
LIMIT = 500


async def list_unanswered(
    session: AsyncSession, actor: Actor, *, now: datetime, period: timedelta = PERIOD, limit: int = LIMIT
) -> list[Question]:
    """The workspace's unresolved ones of the last `period`, newest first."""
    actor.require(Permission.EDIT_KNOWLEDGE_BASE)
    rows = await session.scalars(
        select(AIAnswer)
        .where(
            AIAnswer.workspace_id == actor.workspace_id,
            AIAnswer.resolved_at.is_(None),
            AIAnswer.created_at >= now - period,
            or_(
                and_(AIAnswer.decision == "handoff", AIAnswer.reason.in_([str(reason) for reason in UNANSWERED])),
                AIAnswer.helpful.is_(False),
            ),
        )
        .order_by(AIAnswer.created_at.desc(), AIAnswer.id.desc())
        .limit(limit)
    )
    return [
        Question(
            answer_id=row.id,
            text=row.question,
            language=row.language,
            reason=UNHELPFUL if row.helpful is False else row.reason or UNHELPFUL,
            asked_at=row.created_at,
            # pgvector reads vectors as numpy arrays; the grouping wants plain floats.
            embedding=None if row.question_embedding is None else [float(x) for x in row.question_embedding],
        )
        for row in rows
    ]


async def dismiss_unanswered(
    session: AsyncSession, actor: Actor, answer_ids: Sequence[AIAnswerId], *, at: datetime
) -> int:
    """Mark these questions dealt with; ids of another workspace, or resolved already, are ignored.
    Returns how many were dismissed."""
    actor.require(Permission.EDIT_KNOWLEDGE_BASE)
    if not answer_ids:
        return 0
    result = await session.execute(
        update(AIAnswer)
        .where(
            AIAnswer.workspace_id == actor.workspace_id,
            AIAnswer.id.in_(list(answer_ids)),
            AIAnswer.resolved_at.is_(None),
        )
        .values(resolved_at=at)
        .returning(AIAnswer.id)
    )
    return len(result.all())
