"""The bot of one process: edges tell it a visitor opened the chat or wrote to a bot-owned dialog
(after their own commit), and it answers at once; in the background it fires due timers and
sweeps for dialogs whose messages no process stepped (one crashed between commit and answer).
Webhooks are called, and questions put to the AI bot, after the turn commits; their results are
stepped in a turn of their own."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
from sqlalchemy import Select, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import Workspace
from bots.ai.service import AIBot
from bots.effects import Followup
from bots.runtime import deliver_result, fire_one_timer, greet, greeting_flow, handle_new_messages, open_turn
from bots.webhooks import call_webhook
from conversations.bot_actions import open_for_bot
from conversations.messages import view_of
from conversations.models import Conversation, Message
from core.clock import Clock
from core.db import Database
from core.ids import ContactId, ConversationId, WorkspaceId
from flows.models import FlowRun

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0
SWEEP_EVERY = 10  # ticks
STALE_AFTER = timedelta(seconds=5)  # a message unanswered this long was missed by its process
SWEEP_BATCH = 100


@dataclass(frozen=True)
class Answer:
    still_bot: bool  # False: the bot handed the dialog on (or closed it)
    visitor_messages: tuple[dict[str, object], ...]  # what it said, as the widget shows messages
    followup: Followup
    service: BotService

    async def after_commit(self) -> None:
        """What the answer leaves for after its commit (webhook calls)."""
        await self.service.follow_up(self.followup)


class BotService:
    def __init__(self, database: Database, clock: Clock, http: aiohttp.ClientSession, ai: AIBot) -> None:
        self._database = database
        self._clock = clock
        self._http = http
        self.ai = ai

    async def chat_opened(
        self, workspace_id: WorkspaceId, contact_id: ContactId, channel: str
    ) -> ConversationId | None:
        """Start the welcome bot in a conversation for the visitor, unless they are already in one
        or no live flow greets; the conversation it opened, if any."""
        async with self._database.transaction() as tx:
            now = self._clock.now()
            greeting = await greeting_flow(tx.session, workspace_id)
            conversation = (
                None if greeting is None else await open_for_bot(tx.session, workspace_id, contact_id, channel, at=now)
            )
            turn = None if conversation is None else await open_turn(tx.session, conversation.id, now)
            if greeting is None or conversation is None or turn is None:
                return None
            await greet(turn, greeting)
            followup = turn.followup
        await self.follow_up(followup)
        return conversation.id

    async def answer_in(self, session: AsyncSession, conversation_id: ConversationId) -> Answer | None:
        """Answer the visitor's new messages in the caller's transaction — the one that stored them:
        one commit for both. In a savepoint: should the bot fail, the visitor's message is still
        stored (and the sweep answers it later). None when the bot has nothing to do here."""
        try:
            async with session.begin_nested():
                turn = await open_turn(session, conversation_id, self._clock.now())
                if turn is None:
                    return None
                await handle_new_messages(turn)
        except Exception:
            log.exception("the bot failed to answer; the sweep will try again", extra={"conversation": conversation_id})
            return None
        said = tuple(view_of(message, None).for_visitor() for message in turn.sent)
        return Answer(turn.conversation.owner == "bot", said, turn.followup, self)

    async def messages_arrived(self, conversation_id: ConversationId) -> bool:
        """Answer the visitor's new messages in a transaction of its own; True when the bot still
        owns the dialog after."""
        async with self._database.transaction() as tx:
            answer = await self.answer_in(tx.session, conversation_id)
        if answer is None:
            return False
        await answer.after_commit()
        return answer.still_bot

    async def fire_due_timers(self) -> int:
        fired = 0
        while True:
            async with self._database.transaction() as tx:
                claimed, followup = await fire_one_timer(tx.session, self._clock.now())
            if not claimed:
                return fired
            fired += 1
            await self.follow_up(followup)

    async def sweep_missed(self) -> int:
        """Bot-owned dialogs whose last visitor message is older than STALE_AFTER and unstepped."""
        async with self._database.transaction() as tx:
            missed = list(await tx.session.scalars(_missed_query(self._clock.now() - STALE_AFTER)))
        for conversation_id in missed:
            await self.messages_arrived(conversation_id)
        return len(missed)

    async def run(self) -> None:
        ticks = 0
        while True:
            await asyncio.sleep(TICK_SECONDS)
            ticks += 1
            try:
                await self.fire_due_timers()
                if ticks % SWEEP_EVERY == 0:
                    await self.sweep_missed()
            except Exception:  # one failed tick must not stop the bot for good
                log.exception("bot tick failed; retrying at the next one")

    async def follow_up(self, followup: Followup) -> None:
        for pending in followup.webhooks:
            async with self._database.transaction() as tx:
                allow_private = await tx.session.scalar(
                    select(Workspace.allow_private_webhooks)
                    .join(FlowRun, FlowRun.workspace_id == Workspace.id)
                    .where(FlowRun.id == pending.run_id)
                )
            result = await call_webhook(self._http, pending.call, allow_private=bool(allow_private))
            async with self._database.transaction() as tx:
                more = await deliver_result(tx.session, pending.run_id, result, self._clock.now())
            await self.follow_up(more)
        for question in followup.questions:
            await self.ai.ask(question, self.follow_up)


def _missed_query(before: datetime) -> Select[ConversationId]:
    """Bot-owned open dialogs with a visitor message after the last one any run consumed."""
    handled = select(func.max(FlowRun.handled_seq)).where(FlowRun.conversation_id == Conversation.id).scalar_subquery()
    unanswered = exists().where(
        Message.conversation_id == Conversation.id,
        Message.author == "visitor",
        Message.seq > func.coalesce(handled, 0),
    )
    return (
        select(Conversation.id)
        .where(
            Conversation.owner == "bot",
            Conversation.status == "open",
            Conversation.last_message_at < before,
            unanswered,
        )
        .limit(SWEEP_BATCH)
    )
