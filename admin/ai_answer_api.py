"""`POST /api/v1/ai/answer` (docs/ai-api.md): one question put to the AI bot by an API client, through
the very pipeline the widget's questions go through (the workspace's AI settings, public and bot-only
articles, extractive answers when no model endpoint is set), without streaming. The outcome is
stored in ai_answers under `api:<Idempotency-Key>` (or `api:<uuid4>`) and metered as one AI question
in the same transaction; a repeated Idempotency-Key gets the stored answer, the pipeline not run
again. Editors and admins: Permission.EDIT_KNOWLEDGE_BASE, by API key or session."""

from __future__ import annotations

import uuid

from aiohttp import web
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import Workspace
from accounts.roles import Permission
from admin.ai_answer_pipeline import answer_pipeline
from admin.api import json_response
from admin.identity import api_actor
from billing.meter import Metric, record_usage
from bots.ai.delivery import UNMETERED, store_outcome
from bots.ai.models import AIAnswer
from bots.ai.pipeline import QUESTION_MAX, Asked, Outcome, Reason
from bots.ai.settings import ai_config
from core.bodies import read_json
from core.errors import Conflict, InvalidInput
from core.ids import WorkspaceId
from core.keys import clock_key, database_key, secret_box_key
from knowledge_base.validation import Locale

routes = web.RouteTableDef()
PATH = "/api/v1/ai/answer"
QUESTION_LIMIT = 4_000  # characters a question may have (the pipeline reads its first QUESTION_MAX)
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX = 100  # ai_answers.request_key holds 120 characters, "api:" included
KEY_PREFIX = "api:"
REPLAYED_HEADER = "Idempotent-Replayed"
Json = dict[str, object]


class QuestionBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    question: str
    locale: Locale | None = None  # the language of a question without letters; None: the workspace's


async def read_question(request: web.Request) -> QuestionBody:
    """The body `{question, locale?}`, or an InvalidInput saying what is wrong with it."""
    body = await read_json(request, QuestionBody)  # not JSON, not this shape; over the body limit: 413
    question = body.question.strip()
    if not question:
        raise InvalidInput("The question is empty.", field="question")
    if len(question) > QUESTION_LIMIT:
        raise InvalidInput("The question is longer than {limit} characters.", limit=QUESTION_LIMIT, field="question")
    return body.model_copy(update={"question": question})


def request_key(request: web.Request) -> tuple[str, bool]:
    """The answer's key in ai_answers and the meter, and whether the client chose it."""
    given = request.headers.get(IDEMPOTENCY_HEADER)
    if given is None:
        return f"{KEY_PREFIX}{uuid.uuid4()}", False
    given = given.strip()
    if not given or len(given) > IDEMPOTENCY_KEY_MAX or not given.isprintable() or not given.isascii():
        raise InvalidInput(
            "The Idempotency-Key header must be 1 to {limit} printable ASCII characters.",
            limit=IDEMPOTENCY_KEY_MAX,
            field=IDEMPOTENCY_HEADER,
        )
    return f"{KEY_PREFIX}{given}", True


def outcome_json(outcome: Outcome) -> Json:
    return {
        "decision": "answer" if outcome.answered else "handoff",
        "answer": outcome.text if outcome.answered else "",
        "sources": [
            {"article_id": citation.article_id, "title": citation.title, "url": citation.url}
            for citation in outcome.citations
        ],
        "reason": None if outcome.answered else outcome.reason,
    }


def stored_json(row: AIAnswer) -> Json:
    """The response rebuilt from the stored answer (a repeated Idempotency-Key)."""
    return {
        "decision": row.decision,
        "answer": row.answer if row.decision == "answer" else "",
        "sources": [
            {"article_id": source.get("article_id"), "title": source.get("title"), "url": source.get("url")}
            for source in row.sources
        ],
        "reason": row.reason if row.decision == "handoff" else None,
    }


async def stored_answer(session: AsyncSession, workspace_id: WorkspaceId, key: str) -> AIAnswer | None:
    return await session.scalar(
        select(AIAnswer).where(AIAnswer.workspace_id == workspace_id, AIAnswer.request_key == key)
    )


def replay(row: AIAnswer, question: str) -> web.Response:
    """The stored answer, if it was stored for this question: a key is not reused for another one."""
    if row.question != _as_stored(question):
        raise Conflict("This Idempotency-Key was already used for another question.", field=IDEMPOTENCY_HEADER)
    response = json_response(stored_json(row))
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _as_stored(question: str) -> str:
    """The question as the pipeline records it (bots.ai.pipeline.AnswerPipeline.answer)."""
    return " ".join(question.split())[:QUESTION_MAX]


@routes.post(PATH)
async def answer(request: web.Request) -> web.Response:
    database = request.app[database_key]
    async with database.transaction() as tx:
        actor = await api_actor(request, tx.session)
        actor.require(Permission.EDIT_KNOWLEDGE_BASE)
    question = await read_question(request)
    key, chosen = request_key(request)
    async with database.transaction() as tx:
        if chosen and (row := await stored_answer(tx.session, actor.workspace_id, key)) is not None:
            return replay(row, question.question)
        config = await ai_config(tx.session, actor.workspace_id, request.app[secret_box_key])
        workspace_locale = await tx.session.scalar(
            select(Workspace.default_locale).where(Workspace.id == actor.workspace_id)
        )
    fallback = question.locale.value if question.locale else (workspace_locale or "en")[:2]
    asked = Asked(actor.workspace_id, actor.workspace_slug, question.question, fallback)
    if config.enabled:
        outcome = await answer_pipeline(request.app).answer(asked, config)
    else:  # as the widget's AI bot does (bots.ai.service.AIBot)
        outcome = Outcome(False, _as_stored(question.question), fallback, config.mode, reason=Reason.OFF.value)
    async with database.transaction() as tx:
        stored = await store_outcome(tx.session, actor.workspace_id, key, outcome)
        if stored is None:  # the same key answered meanwhile by a concurrent request
            row = await stored_answer(tx.session, actor.workspace_id, key)
            if row is not None:
                return replay(row, question.question)
        elif outcome.reason not in UNMETERED:
            await record_usage(
                tx.session,
                workspace_id=actor.workspace_id,
                metric=Metric.AI_QUESTION,
                quantity=1,
                idempotency_key=key,
                occurred_at=request.app[clock_key].now(),
            )
    return json_response(outcome_json(outcome))
