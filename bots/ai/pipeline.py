"""The AI bot's answer to one question, the same for the widget, other channels and the public API:
the visitor's intent first (a person? a stop topic?), then hybrid retrieval over what the bot may
read, the hand-off gate on the best article's dense cosine, then either the best passage's
sentences (extractive: no model configured) or a grounded generation checked by the guardrails.
Nothing here writes: the caller stores the outcome (bots.ai.delivery) in its own transaction."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from bots.ai.chat_model import ChatModelError
from bots.ai.chat_models import ChatModels
from bots.ai.extractive import extract_answer
from bots.ai.guardrails import Verdict, check_answer, visible_text
from bots.ai.intents import asks_for_person, question_language, stop_topic_in
from bots.ai.prompts import NO_ANSWER, PROMPT_VERSION, Said, Source, grounded_messages
from bots.ai.settings import AIConfig, Endpoint
from core.db import Database
from core.ids import ArticleId, WorkspaceId
from knowledge_base.embedders import Embedder
from knowledge_base.search import SearchHit, embed_query, search_articles
from knowledge_base.validation import Visibility

log = logging.getLogger(__name__)

QUESTION_MAX = 2_000  # characters of a question that are read; the rest is ignored
SOURCES = 3  # passages a model is given
SHORT_FOLLOWUP_WORDS = 4  # a question this short is read with the visitor's previous message
LANGUAGE_MARGIN = 0.03  # extractive: a passage in the visitor's language may be this much weaker
MAX_TOKENS = 400
BOT_READS = (Visibility.PUBLIC, Visibility.BOT_ONLY)

OnDraft = Callable[[str], Awaitable[None]]


class Reason(StrEnum):
    ASKED_FOR_PERSON = "visitor-asked"
    STOP_TOPIC = "stop-topic"
    EMPTY = "empty-question"
    WEAK_EVIDENCE = "weak-evidence"
    NOT_IN_KNOWLEDGE_BASE = "not-in-knowledge-base"
    AI_ERROR = "ai-error"
    OFF = "ai-off"  # the workspace turned the AI bot off


UNANSWERED = (Reason.WEAK_EVIDENCE, Reason.NOT_IN_KNOWLEDGE_BASE)  # for the editors' report


@dataclass(frozen=True)
class Citation:
    article_id: ArticleId
    title: str
    url: str | None  # None: a bot-only article, not published anywhere


@dataclass(frozen=True)
class Outcome:
    answered: bool
    question: str
    language: str
    mode: str  # extractive | generative
    text: str = ""  # the answer, without links
    citations: tuple[Citation, ...] = ()
    reason: str | None = None  # why it handed off
    detail: str = ""  # for the operators' note and the logs
    top_cosine: float | None = None
    question_vector: list[float] | None = field(default=None, repr=False)
    prompt_version: str | None = None


@dataclass(frozen=True)
class Asked:
    workspace_id: WorkspaceId
    workspace_slug: str
    question: str
    fallback_language: str  # the contact's or the workspace's, for questions without letters
    history: Sequence[Said] = ()  # the dialog so far, oldest first


class AnswerPipeline:
    def __init__(self, database: Database, embedder: Embedder, models: ChatModels, public_url: str) -> None:
        self._database = database
        self._embedder = embedder
        self._models = models
        self._public_url = public_url.rstrip("/")

    async def close(self) -> None:
        await self._models.close()

    async def answer(self, asked: Asked, config: AIConfig, *, on_draft: OnDraft | None = None) -> Outcome:
        question = " ".join(asked.question.split())[:QUESTION_MAX]
        language = question_language(question, asked.fallback_language)
        base = Outcome(False, question, language, config.mode)
        if not question:
            return _handoff(base, Reason.EMPTY)
        if asks_for_person(question):
            return _handoff(base, Reason.ASKED_FOR_PERSON)
        if (topic := stop_topic_in(question, config.stop_topics)) is not None:
            return _handoff(base, Reason.STOP_TOPIC, topic)
        vector = await embed_query(self._embedder, _query_for(question, asked.history))
        async with self._database.transaction() as tx:
            results = await search_articles(
                tx.session,
                asked.workspace_id,
                _query_for(question, asked.history),
                query_vector=vector,
                model_id=self._embedder.model_id,
                visibilities=BOT_READS,
                limit=SOURCES + 2,
            )
        hits = results.hits
        base = replace(base, top_cosine=results.top_cosine, question_vector=vector)
        # Never guess: no cosine (the embedder failed, or the best article is not embedded yet) is
        # as weak as a low one.
        if not hits or results.top_cosine is None or results.top_cosine < config.threshold:
            return _handoff(base, Reason.WEAK_EVIDENCE, f"best cosine {results.top_cosine}")
        if config.endpoint is None:
            return self._extractive(base, asked, hits, config.threshold)
        return await self._generative(base, asked, config, config.endpoint, hits, on_draft)

    def _extractive(self, base: Outcome, asked: Asked, hits: Sequence[SearchHit], threshold: float) -> Outcome:
        candidates = _extractive_candidates(hits, base.language, threshold)
        found = extract_answer(base.question, [hit.passage for hit in candidates])
        if found is None:
            return _handoff(base, Reason.WEAK_EVIDENCE, "the passages are empty")
        return _answered(base, found.text, (self._citation(asked, candidates[found.source]),))

    async def _generative(
        self,
        base: Outcome,
        asked: Asked,
        config: AIConfig,
        endpoint: Endpoint,
        hits: Sequence[SearchHit],
        on_draft: OnDraft | None,
    ) -> Outcome:
        chosen = list(hits[:SOURCES])
        sources = [Source(number, hit.title, hit.passage) for number, hit in enumerate(chosen, 1)]
        messages = grounded_messages(
            bot_name=config.bot_name,
            instructions=config.instructions,
            language=base.language,
            sources=sources,
            history=asked.history,
            question=base.question,
        )
        base = replace(base, prompt_version=PROMPT_VERSION)
        try:
            completion = await self._models(endpoint).complete(
                messages, max_tokens=MAX_TOKENS, on_delta=None if on_draft is None else _drafts(on_draft)
            )
        except ChatModelError as error:
            log.warning("the model failed; handing off", extra={"reason": str(error.reason), "detail": error.detail})
            return _handoff(base, Reason.AI_ERROR, f"{error.reason}: {error.detail}"[:300])
        checked = check_answer(completion.text, len(sources))
        if checked.verdict is Verdict.NO_ANSWER:
            return _handoff(base, Reason.NOT_IN_KNOWLEDGE_BASE)
        if checked.verdict is not Verdict.OK:
            log.warning("a generated answer failed its checks", extra={"verdict": str(checked.verdict)})
            return _handoff(base, Reason.AI_ERROR, str(checked.verdict))
        cited = tuple(self._citation(asked, chosen[number - 1]) for number in checked.cited)
        return _answered(base, checked.text, cited)

    def _citation(self, asked: Asked, hit: SearchHit) -> Citation:
        url = None
        if hit.visibility is Visibility.PUBLIC:
            url = f"{self._public_url}/help/{asked.workspace_slug}/articles/{hit.slug}"
        return Citation(hit.article_id, hit.title, url)


def _query_for(question: str, history: Sequence[Said]) -> str:
    """A short follow-up ("and in Russia?") is read together with the visitor's previous message."""
    if len(question.split()) >= SHORT_FOLLOWUP_WORDS:
        return question
    earlier = [turn.text for turn in history if turn.from_visitor and turn.text.strip() != question]
    return f"{earlier[-1][:500]} {question}" if earlier else question


def _extractive_candidates(hits: Sequence[SearchHit], language: str, threshold: float) -> list[SearchHit]:
    """The passages to quote from, best first: the top ones past the gate, only those in the
    visitor's language when one of them is nearly as good as the best."""
    best = hits[0].dense_cosine or 0.0
    passing = [hit for hit in hits[:SOURCES] if hit is hits[0] or (hit.dense_cosine or 0.0) >= threshold]
    close = [hit for hit in passing if hit.locale == language and (hit.dense_cosine or 0.0) >= best - LANGUAGE_MARGIN]
    return close or passing


def _drafts(on_draft: OnDraft) -> Callable[[str], Awaitable[None]]:
    """The model's pieces, joined and shown without citation markers; never a NO_ANSWER."""
    pieces: list[str] = []

    async def on_delta(piece: str) -> None:
        pieces.append(piece)
        text = "".join(pieces)
        if NO_ANSWER.startswith(text.strip()[: len(NO_ANSWER)]) or NO_ANSWER in text:
            return
        await on_draft(visible_text(_OPEN_MARKER.sub("", text)))

    return on_delta


_OPEN_MARKER = re.compile(r"\s?\[\d{0,2}$")  # a marker the next piece will close


def _handoff(base: Outcome, reason: Reason, detail: str = "") -> Outcome:
    return replace(base, answered=False, reason=reason.value, detail=detail)


def _answered(base: Outcome, text: str, citations: tuple[Citation, ...]) -> Outcome:
    return replace(base, answered=True, text=text, citations=citations)
