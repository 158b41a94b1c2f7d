"""The AI bot's outcome, delivered in a transaction of its own after it was worked out: stored once
(by the request's key) with the question and its sources, said to the visitor — the answer with
links to the public articles it used and buttons for a verdict, or an honest hand-off line — the
question metered, and the flow run stepped with the result. Citations are re-checked here: an
article unpublished meanwhile is never cited."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bots.ai.metering import record_ai_question
from bots.ai.models import AIAnswer
from bots.ai.pipeline import BOT_READS, Outcome, Reason
from bots.ai.requests import AIRequest
from bots.ai.settings import AIConfig
from bots.ai.texts import Say, text_for
from bots.effects import Followup
from bots.notes import in_workspace_language
from bots.runs import cancel_timer, run_state
from bots.runtime import Turn, handle_new_messages, step_run, turn_for_run
from channels.base import ChannelKind
from channels.rendering import render_buttons
from conversations.bot_actions import send_as_bot
from core.i18n import N_
from core.ids import AIAnswerId, ArticleId, ConversationId, MessageId, WorkspaceId
from flows.events import AI_HELPFUL_BUTTON, AI_UNHELPFUL_BUTTON, AIOutcome, AIResult
from flows.state import Waiting
from knowledge_base.models import Article
from knowledge_base.validation import ArticleStatus

# Routed by a rule before any retrieval: the AI bot took no part, nothing is metered.
UNMETERED = (Reason.ASKED_FOR_PERSON.value, Reason.EMPTY.value, Reason.STOP_TOPIC.value, Reason.OFF.value)
SOURCES_CHANGED = "sources-changed"
SUMMARIES = {
    Reason.ASKED_FOR_PERSON.value: N_("The visitor asked for a person: “{question}”"),
    Reason.STOP_TOPIC.value: N_("A topic that always goes to a person ({detail}): “{question}”"),
    Reason.EMPTY.value: N_("The visitor sent nothing the AI bot could answer."),
    Reason.WEAK_EVIDENCE.value: N_("The knowledge base has no good article for: “{question}”"),
    Reason.NOT_IN_KNOWLEDGE_BASE.value: N_("The knowledge base does not answer: “{question}”"),
    Reason.AI_ERROR.value: N_("The AI bot failed ({detail}) on: “{question}”"),
    Reason.OFF.value: N_("The AI bot is turned off; the question: “{question}”"),
    SOURCES_CHANGED: N_("The articles for this answer changed meanwhile: “{question}”"),
}


async def deliver_answer(
    session: AsyncSession, request: AIRequest, outcome: Outcome, config: AIConfig, *, now: datetime
) -> Followup:
    """Step the run with `outcome` if it still waits for this request; nothing otherwise (the
    deadline fired, an operator took over, it was delivered already)."""
    found = await turn_for_run(session, request.run_id, now)
    if found is None:
        return Followup()
    turn, run = found
    state = run_state(run)
    if state.waiting is not Waiting.AI or state.request_id != request.request_id:
        return Followup()
    outcome = await _still_citable(session, request.workspace_id, outcome)
    answer_id = await _store(session, request, outcome)
    if answer_id is None:
        return Followup()
    if outcome.answered:
        message_id = await _say_answer(turn, outcome, config)
        row = await session.scalar(select(AIAnswer).where(AIAnswer.id == answer_id))
        if row is not None:
            row.message_id = message_id
    else:
        await _say(turn, handoff_line(outcome, config))
    if outcome.reason not in UNMETERED:
        await record_ai_question(session, turn.conversation, gap=config.question_gap, at=turn.now)
    await cancel_timer(session, run, request.request_id, at=turn.now)
    result = AIOutcome.ANSWERED if outcome.answered else AIOutcome.HANDOFF
    summary = None if outcome.answered else await _summary(turn, outcome)
    await step_run(turn, run, AIResult(request.request_id, result, summary))
    await handle_new_messages(turn)  # what the visitor wrote while the bot was answering
    return turn.followup


async def _still_citable(session: AsyncSession, workspace_id: WorkspaceId, outcome: Outcome) -> Outcome:
    if not outcome.citations:
        return outcome
    ids = [citation.article_id for citation in outcome.citations]
    live = set(
        await session.scalars(
            select(Article.id).where(
                Article.workspace_id == workspace_id,
                Article.id.in_(ids),
                Article.status == ArticleStatus.PUBLISHED,
                Article.visibility.in_([str(visibility) for visibility in BOT_READS]),
            )
        )
    )
    kept = tuple(citation for citation in outcome.citations if citation.article_id in live)
    if outcome.answered and not kept:
        return replace(outcome, answered=False, text="", citations=(), reason=SOURCES_CHANGED)
    return replace(outcome, citations=kept)


async def _store(session: AsyncSession, request: AIRequest, outcome: Outcome) -> AIAnswerId | None:
    return await store_outcome(session, request.workspace_id, request.key, outcome, request.conversation_id)


async def store_outcome(
    session: AsyncSession,
    workspace_id: WorkspaceId,
    key: str,
    outcome: Outcome,
    conversation_id: ConversationId | None = None,
) -> AIAnswerId | None:
    """The answer's row; None when `key` was stored already."""
    statement = (
        insert(AIAnswer)
        .values(
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            request_key=key,
            question=outcome.question,
            language=outcome.language,
            decision="answer" if outcome.answered else "handoff",
            reason=outcome.reason,
            mode=outcome.mode,
            prompt_version=outcome.prompt_version,
            top_cosine=outcome.top_cosine,
            sources=[_source_json(citation.article_id, citation.title, citation.url) for citation in outcome.citations],
            answer=outcome.text,
            question_embedding=outcome.question_vector,
        )
        .on_conflict_do_nothing(index_elements=["workspace_id", "request_key"])
        .returning(AIAnswer.id)
    )
    return await session.scalar(statement)


def _source_json(article_id: ArticleId, title: str, url: str | None) -> dict[str, object]:
    return {"article_id": article_id, "title": title, "url": url}


def handoff_line(outcome: Outcome, config: AIConfig) -> str:
    """What the bot tells the visitor as it hands the dialog on."""
    what = Say.HANDOFF_UNKNOWN
    if outcome.reason == Reason.ASKED_FOR_PERSON:
        what = Say.HANDOFF_ASKED
    elif outcome.reason == Reason.AI_ERROR:
        what = Say.HANDOFF_ERROR
    return text_for(what, outcome.language, config.texts)


def answer_with_links(outcome: Outcome, config: AIConfig) -> str:
    links = [f"{citation.title} — {citation.url}" for citation in outcome.citations if citation.url]
    if not links:
        return outcome.text
    return f"{outcome.text}\n\n{text_for(Say.READ_MORE, outcome.language, config.texts)}:\n" + "\n".join(links)


async def _say_answer(turn: Turn, outcome: Outcome, config: AIConfig) -> MessageId:
    options = (
        (AI_HELPFUL_BUTTON, text_for(Say.BUTTON_HELPFUL, outcome.language, config.texts)),
        (AI_UNHELPFUL_BUTTON, text_for(Say.BUTTON_UNHELPFUL, outcome.language, config.texts)),
    )
    return await _say(turn, answer_with_links(outcome, config), options)


async def _say(turn: Turn, text: str, options: tuple[tuple[str, str], ...] = ()) -> MessageId:
    body, shown = render_buttons(ChannelKind(turn.conversation.channel), text, options)
    message = await send_as_bot(turn.session, turn.conversation, text=body, at=turn.now, buttons=shown)
    turn.sent.append(message)
    return message.id


async def _summary(turn: Turn, outcome: Outcome) -> str:
    template = SUMMARIES.get(outcome.reason or "", SUMMARIES[Reason.WEAK_EVIDENCE.value])
    return await in_workspace_language(turn, template, question=outcome.question[:300], detail=outcome.detail[:120])
