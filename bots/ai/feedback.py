"""The visitor's verdict on an AI answer (the buttons under it): recorded on the answer for the
editors' report, and answered — "not helpful" offers a person."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, update

from bots.ai.models import AIAnswer, AISettings
from bots.ai.texts import Say, text_for
from channels.base import ChannelKind
from channels.rendering import render_buttons
from conversations.bot_actions import send_as_bot
from core.i18n import N_
from flows.events import AI_PERSON_BUTTON
from flows.models import FlowRun

if TYPE_CHECKING:
    from bots.runtime import Turn

PERSON_AFTER_ANSWER_NOTE = N_("The visitor asked for a person after the AI bot's answer.")


async def mark_handled(turn: Turn, run: FlowRun | None, seq: int) -> None:
    """The message is consumed: by the active run, or (none active) by the dialog's latest run."""
    if run is not None:
        run.handled_seq = max(run.handled_seq, seq)
        return
    latest = (
        select(FlowRun.id)
        .where(FlowRun.conversation_id == turn.conversation.id)
        .order_by(FlowRun.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    await turn.session.execute(
        update(FlowRun).where(FlowRun.id == latest, FlowRun.handled_seq < seq).values(handled_seq=seq)
    )


async def answer_feedback(turn: Turn, helpful: bool) -> None:
    session, conversation = turn.session, turn.conversation
    answer = await session.scalar(
        select(AIAnswer)
        .where(AIAnswer.conversation_id == conversation.id, AIAnswer.decision == "answer")
        .order_by(AIAnswer.id.desc())
        .limit(1)
    )
    if answer is None:
        return
    answer.helpful = helpful
    answer.feedback_at = turn.now
    overrides = await session.scalar(
        select(AISettings.texts).where(AISettings.workspace_id == conversation.workspace_id)
    )
    options: tuple[tuple[str, str], ...] = ()
    if helpful:
        text = text_for(Say.HELPFUL_THANKS, answer.language, overrides)
    else:
        text = text_for(Say.UNHELPFUL_OFFER, answer.language, overrides)
        options = ((AI_PERSON_BUTTON, text_for(Say.BUTTON_PERSON, answer.language, overrides)),)
    body, shown = render_buttons(ChannelKind(conversation.channel), text, options)
    turn.sent.append(await send_as_bot(session, conversation, text=body, at=turn.now, buttons=shown))
