"""The AI bot of one process: answers the questions flows put to it after their turn commits —
reads the workspace's settings and the dialog, runs the answer pipeline (streaming drafts of a
generated answer to the visitor's widgets), and delivers the outcome in a transaction of its own.
In the server each question is answered in a task of its own, so a slow model holds up nobody
else; tests (one shared connection) answer in line."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import Workspace
from bots.ai.delivery import deliver_answer
from bots.ai.pipeline import AnswerPipeline, Asked, OnDraft, Outcome, Reason
from bots.ai.prompts import HISTORY_MESSAGES, Said
from bots.ai.requests import AIRequest
from bots.ai.settings import ai_config
from bots.effects import Followup
from conversations.events import DRAFT, visitor_topic
from conversations.models import Contact, Conversation, Message
from core.clock import Clock
from core.crypto import SecretBox
from core.db import Database
from core.realtime import RealtimeEvent, publish

log = logging.getLogger(__name__)

DRAFT_EVERY_SECONDS = 0.15
DRAFT_MAX_CHARS = 3_000  # a NOTIFY payload holds ~7,500 bytes

FollowUp = Callable[[Followup], Awaitable[None]]


class AIBot:
    def __init__(
        self, database: Database, clock: Clock, pipeline: AnswerPipeline, box: SecretBox, *, in_line: bool
    ) -> None:
        self._database = database
        self._clock = clock
        self._pipeline = pipeline
        self._box = box
        self._in_line = in_line
        self._tasks: set[asyncio.Task[None]] = set()

    async def ask(self, request: AIRequest, then: FollowUp) -> None:
        """Answer `request`; `then` gets what the delivery leaves for after its commit."""
        if self._in_line:
            await self._answer(request, then)
            return
        task = asyncio.create_task(self._answer(request, then))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settled(self) -> None:
        """Wait for the questions being answered (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def stop(self) -> None:
        """Cancel what is being answered (the deadline timers hand those dialogs off later) and close
        the model clients."""
        for task in list(self._tasks):
            task.cancel()
        await self.settled()
        await self._pipeline.close()

    async def _answer(self, request: AIRequest, then: FollowUp) -> None:
        try:
            async with self._database.transaction() as tx:
                config = await ai_config(tx.session, request.workspace_id, self._box)
                asked = await asked_in(tx.session, request)
            if asked is None:
                return
            if config.enabled:
                outcome = await self._pipeline.answer(asked, config, on_draft=self._drafts(request))
            else:
                outcome = Outcome(False, asked.question, asked.fallback_language, config.mode, reason=Reason.OFF.value)
            async with self._database.transaction() as tx:
                followup = await deliver_answer(tx.session, request, outcome, config, now=self._clock.now())
            await then(followup)
        except Exception:  # the deadline timer hands the dialog off; nothing is stuck
            log.exception("answering a question failed", extra={"conversation": request.conversation_id})

    def _drafts(self, request: AIRequest) -> OnDraft:
        last = 0.0

        async def on_draft(text: str) -> None:
            nonlocal last
            if time.monotonic() - last < DRAFT_EVERY_SECONDS:
                return
            last = time.monotonic()
            data = {"conversation_id": request.conversation_id, "request_id": request.request_id}
            event = RealtimeEvent(
                (visitor_topic(request.conversation_id),), DRAFT, {**data, "text": text[-DRAFT_MAX_CHARS:]}
            )
            async with self._database.transaction() as tx:
                await publish(tx.session, event)

        return on_draft


async def asked_in(session: AsyncSession, request: AIRequest) -> Asked | None:
    """The question with what the pipeline needs around it: the workspace's slug, the language to
    fall back on, and the dialog's latest messages in this episode."""
    row = (
        await session.execute(
            select(Workspace.slug, Workspace.default_locale, Contact.language, Conversation.episode)
            .join(Conversation, Conversation.workspace_id == Workspace.id)
            .join(Contact, Contact.id == Conversation.contact_id)
            .where(Conversation.id == request.conversation_id)
        )
    ).one_or_none()
    if row is None:
        return None
    recent = await session.execute(
        select(Message.author, Message.body)
        .where(
            Message.conversation_id == request.conversation_id,
            Message.episode == row.episode,
            Message.author.in_(("visitor", "bot")),
        )
        .order_by(Message.seq.desc())
        .limit(HISTORY_MESSAGES + 1)
    )
    history = [Said(author == "visitor", body) for author, body in reversed(recent.all())]
    if history and history[-1].from_visitor and history[-1].text.strip() == request.question.strip():
        history.pop()  # the question itself
    language = (row.language or row.default_locale or "en")[:2]
    return Asked(request.workspace_id, row.slug, request.question, language, tuple(history))
