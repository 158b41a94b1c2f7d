"""The questions the AI bot could not answer, grouped by topic, over JSON (editors and admins):
`GET /api/v1/ai/unanswered` (optionally `?similarity=0.9`), and `POST /api/v1/ai/unanswered/dismiss`
with `{"answer_ids": [...]}` to mark a group dealt with."""

from __future__ import annotations

import asyncio

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from admin.api import json_response
from admin.identity import api_actor
from bots.ai.grouping import SIMILARITY, QuestionGroup, group_questions
from bots.ai.unanswered import LIMIT, PERIOD, dismiss_unanswered, list_unanswered
from core.bodies import read_json
from core.errors import InvalidInput
from core.ids import AIAnswerId
from core.keys import clock_key, database_key

routes = web.RouteTableDef()
MIN_SIMILARITY = 0.5


class DismissBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    answer_ids: list[int] = Field(max_length=LIMIT)


def group_json(group: QuestionGroup) -> dict[str, object]:
    return {
        "question": group.question,
        "language": group.language,
        "count": group.count,
        "examples": list(group.examples),
        "latest_at": group.latest_at.isoformat(),
        "reasons": list(group.reasons),
        "answer_ids": list(group.answer_ids),
    }


def similarity_of(request: web.Request) -> float:
    text = request.query.get("similarity")
    if text is None:
        return SIMILARITY
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not MIN_SIMILARITY <= value <= 1.0:
        raise InvalidInput("Give a similarity from 0.5 to 1.", field="similarity")
    return value


@routes.get("/api/v1/ai/unanswered")
async def unanswered(request: web.Request) -> web.Response:
    similarity = similarity_of(request)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        questions = await list_unanswered(tx.session, actor, now=request.app[clock_key].now())
    # CPU-bound (cosines of a few hundred vectors): off the event loop, after the transaction.
    groups = await asyncio.to_thread(group_questions, questions, similarity=similarity)
    return json_response(
        {
            "groups": [group_json(group) for group in groups],
            "similarity": similarity,
            "period_days": PERIOD.days,
        }
    )


@routes.post("/api/v1/ai/unanswered/dismiss")
async def dismiss(request: web.Request) -> web.Response:
    body = await read_json(request, DismissBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        ids = [AIAnswerId(answer_id) for answer_id in body.answer_ids]
        count = await dismiss_unanswered(tx.session, actor, ids, at=request.app[clock_key].now())
    return json_response({"dismissed": count})
