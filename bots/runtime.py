"""The bot runtime: runs flows for the conversations the bot owns. It answers three things — a
visitor opened the chat, visitor messages arrived, a timer came due — each in one transaction
that locks the contact, then the conversation, then the run (the inbound pipeline's order), steps
the pure engine and executes what it asks. A message is stepped once (`handled_seq`), a timer fires
once (claimed with SKIP LOCKED); webhooks are called after commit and their results stepped in a
new transaction. It does nothing to a conversation an operator has taken over."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bots.ai.feedback import PERSON_AFTER_ANSWER_NOTE, answer_feedback, mark_handled
from bots.ai.requests import TIMER_KIND as AI_TIMER_KIND
from bots.effects import Followup, execute
from bots.facts import facts_for
from bots.notes import note_to_operators
from bots.runs import (
    active_run,
    begin_run,
    claim_due_timers,
    count_traces,
    finish_active_run,
    run_by_id,
    run_state,
    save_state,
)
from channels.base import ChannelKind
from conversations.bot_actions import hand_off_to_queue, lock_conversation
from conversations.models import Contact, Conversation, Message
from core.i18n import N_
from core.ids import ConversationId, FlowId, FlowRunId, WorkspaceId
from flows.actions import Action, effects, traces
from flows.engine import start_run, step
from flows.events import (
    AI_BUTTONS,
    AI_HELPFUL_BUTTON,
    AI_PERSON_BUTTON,
    AIOutcome,
    AIResult,
    ButtonPressed,
    Event,
    TimerFired,
    UserText,
    WebhookOutcome,
    WebhookResult,
    flow_of_button,
)
from flows.graph import Flow
from flows.models import FlowRun
from flows.state import RunState, Waiting
from flows.store import Published, published_flows, published_version
from flows.triggers import (
    ChatOpened,
    MessageArrived,
    Occurrence,
    TelegramStart,
    matching_trigger,
    read_telegram_start,
)

NO_FLOW_NOTE = N_("The bot had no flow for this message and passed the dialog on.")
AI_DEADLINE_NOTE = N_("The AI bot did not answer in time and passed the dialog on.")


@dataclass
class Turn:
    """One transaction's work on one conversation."""

    session: AsyncSession
    conversation: Conversation
    contact: Contact
    now: datetime
    followup: Followup = field(default_factory=Followup)
    sent: list[Message] = field(default_factory=list)  # what the bot said to the visitor


async def open_turn(session: AsyncSession, conversation_id: ConversationId, now: datetime) -> Turn | None:
    """Lock the contact, then the conversation; None when the bot has nothing to say in it."""
    contact = await session.scalar(
        select(Contact)
        .join(Conversation, Conversation.contact_id == Contact.id)
        .where(Conversation.id == conversation_id)
        .with_for_update(of=Contact)
    )
    conversation = None if contact is None else await lock_conversation(session, conversation_id)
    if contact is None or conversation is None or conversation.owner != "bot" or conversation.status != "open":
        return None
    return Turn(session, conversation, contact, now)


async def greeting_flow(session: AsyncSession, workspace_id: WorkspaceId) -> Published | None:
    """The welcome bot: the first live flow with a chat-opened trigger, if any."""
    return await _triggered(session, workspace_id, ChatOpened())


async def greet(turn: Turn, published: Published) -> None:
    await _start(turn, published, handled_seq=turn.conversation.last_seq)


async def handle_new_messages(turn: Turn) -> None:
    """Step the visitor's messages the bot has not seen yet, in order."""
    run = await _current_run(turn)
    handled = run.handled_seq if run is not None else await _handled_before(turn)
    messages = await turn.session.scalars(
        select(Message)
        .where(Message.conversation_id == turn.conversation.id, Message.seq > handled, Message.author == "visitor")
        .order_by(Message.seq)
    )
    for message in messages:
        if turn.conversation.owner != "bot" or turn.conversation.status != "open":
            return
        if run is not None and run_state(run).waiting is Waiting.AI:  # stepped once the answer is in
            return
        if message.button_id in AI_BUTTONS:
            run = await _ai_button(turn, run, message)
            continue
        wanted = flow_of_button(message.button_id)
        if wanted is not None:  # a broadcast's button: that flow, from its beginning
            run = await _start_pressed_flow(turn, run, message, FlowId(wanted))
            continue
        start = read_telegram_start(message.body) if turn.conversation.channel == ChannelKind.TELEGRAM else None
        if start is not None:  # /start (again): the Telegram start flow from its beginning
            run = await _start_on_telegram(turn, run, message, start)
            continue
        if run is None:
            run = await _start_by_message(turn, message)
            continue
        run.handled_seq = message.seq
        event: Event = ButtonPressed(message.button_id) if message.button_id else UserText(message.body)
        run = await step_run(turn, run, event)


async def _ai_button(turn: Turn, run: FlowRun | None, message: Message) -> FlowRun | None:
    """A button under an AI answer, pressed whether or not a run still waits: feedback is recorded
    and answered; "talk to a person" goes to the run (an ai_answer node's hand-off branch) and, if
    the run did not hand off, straight to the queue."""
    await mark_handled(turn, run, message.seq)
    if message.button_id != AI_PERSON_BUTTON:
        await answer_feedback(turn, message.button_id == AI_HELPFUL_BUTTON)
        return run
    await note_to_operators(turn, PERSON_AFTER_ANSWER_NOTE)
    if run is not None:
        run = await step_run(turn, run, ButtonPressed(AI_PERSON_BUTTON))
    if turn.conversation.owner == "bot" and turn.conversation.status == "open":
        await finish_active_run(turn.session, turn.conversation.id, "handed_off", at=turn.now)
        await hand_off_to_queue(turn.session, turn.conversation, None, at=turn.now)
        return None
    return run


async def fire_one_timer(session: AsyncSession, now: datetime) -> tuple[bool, Followup]:
    """Claim one due timer and deliver it; False when none is due."""
    due = await claim_due_timers(session, now, limit=1)
    if not due:
        return False, Followup()
    timer = due[0]
    run = await run_by_id(session, timer.run_id)
    turn = None if run is None or run.finished_at is not None else await open_turn(session, run.conversation_id, now)
    if turn is None or run is None or run.episode != turn.conversation.episode:
        return True, Followup()
    event: Event
    if timer.kind == "webhook":
        event = WebhookResult(timer.timer_id, WebhookOutcome.TIMEOUT)
    elif timer.kind == AI_TIMER_KIND:  # the answering process died: hand off rather than wait forever
        await note_to_operators(turn, AI_DEADLINE_NOTE)
        event = AIResult(timer.timer_id, AIOutcome.HANDOFF)
    else:
        event = TimerFired(timer.timer_id)
    await step_run(turn, run, event)
    return True, turn.followup


async def deliver_result(session: AsyncSession, run_id: FlowRunId, event: Event, now: datetime) -> Followup:
    """A webhook's answer, after the call: stepped if the run still waits for it."""
    found = await turn_for_run(session, run_id, now)
    if found is None:
        return Followup()
    turn, run = found
    await step_run(turn, run, event)
    return turn.followup


async def turn_for_run(session: AsyncSession, run_id: FlowRunId, now: datetime) -> tuple[Turn, FlowRun] | None:
    """The locked turn of a run that is still the active one of its bot-owned, open dialog."""
    run = await session.scalar(select(FlowRun).where(FlowRun.id == run_id))
    if run is None or run.finished_at is not None:
        return None
    turn = await open_turn(session, run.conversation_id, now)
    locked = None if turn is None else await _current_run(turn)
    if turn is None or locked is None or locked.id != run_id:
        return None
    return turn, locked


async def step_run(turn: Turn, run: FlowRun, event: Event) -> FlowRun | None:
    """Step `run` with `event` and everything it leads to; the run, or None once it finished."""
    graph = await published_version(turn.session, run.flow_version_id)
    if graph is None:
        await finish_active_run(turn.session, turn.conversation.id, "broken", at=turn.now)
        return None
    state, actions = step(graph, run_state(run), event)
    return await _apply(turn, run, graph, state, actions)


async def _apply(turn: Turn, run: FlowRun, graph: Flow, state: RunState, actions: Sequence[Action]) -> FlowRun | None:
    await count_traces(turn.session, run.flow_version_id, turn.conversation.id, traces(actions))
    for effect in effects(actions):
        await execute(turn, run, effect)
    save_state(run, state, at=turn.now)
    switch_to, turn.followup.switch_to = turn.followup.switch_to, None
    if run.finished_at is None:
        return run
    if switch_to is not None and turn.conversation.owner == "bot":
        published = next(
            (p for p in await published_flows(turn.session, turn.conversation.workspace_id) if p.flow_id == switch_to),
            None,
        )
        if published is not None:
            return await _start(turn, published, handled_seq=run.handled_seq)
    return None


async def _current_run(turn: Turn) -> FlowRun | None:
    """The active run of this episode; one left from before a close is finished now."""
    run = await active_run(turn.session, turn.conversation.id)
    if run is not None and run.episode != turn.conversation.episode:
        await finish_active_run(turn.session, turn.conversation.id, "closed", at=turn.now)
        await turn.session.refresh(run)
        return None
    return run


async def _handled_before(turn: Turn) -> int:
    """Without an active run: the last message any run of this conversation consumed."""
    handled = await turn.session.scalar(
        select(func.max(FlowRun.handled_seq)).where(FlowRun.conversation_id == turn.conversation.id)
    )
    return handled or 0


async def _start_by_message(turn: Turn, message: Message) -> FlowRun | None:
    is_first = not await _any_run_this_episode(turn)  # a new dialog, or one the visitor reopened
    occurrence = MessageArrived(message.body, is_first=is_first)
    published = await _triggered(turn.session, turn.conversation.workspace_id, occurrence)
    if published is None:
        await note_to_operators(turn, NO_FLOW_NOTE)
        await hand_off_to_queue(turn.session, turn.conversation, None, at=turn.now)
        return None
    return await _start(turn, published, handled_seq=message.seq, text=message.body)


async def _start_pressed_flow(turn: Turn, run: FlowRun | None, message: Message, flow_id: FlowId) -> FlowRun | None:
    """A run that was going is finished; a flow no longer published leaves the press to operators."""
    published = next(
        (p for p in await published_flows(turn.session, turn.conversation.workspace_id) if p.flow_id == flow_id), None
    )
    if run is not None:
        await finish_active_run(turn.session, turn.conversation.id, "restarted", at=turn.now)
    if published is None:
        await _no_flow(turn, message)
        return None
    return await _start(turn, published, handled_seq=message.seq)


async def _no_flow(turn: Turn, message: Message) -> None:
    """No flow takes this message: the operators do, with a note saying so."""
    await mark_handled(turn, None, message.seq)
    await note_to_operators(turn, NO_FLOW_NOTE)
    await hand_off_to_queue(turn.session, turn.conversation, None, at=turn.now)


async def _start_on_telegram(turn: Turn, run: FlowRun | None, message: Message, start: TelegramStart) -> FlowRun | None:
    """The workspace's flow for this /start (its deep-link payload), else the welcome bot; a run
        that was going is finished first. With neither, the dialog goes to the operators, as does any
    message no flow takes."""
    if run is not None:
        await finish_active_run(turn.session, turn.conversation.id, "restarted", at=turn.now)
    published = await _triggered(turn.session, turn.conversation.workspace_id, start)
    published = published or await greeting_flow(turn.session, turn.conversation.workspace_id)
    if published is None:
        await _no_flow(turn, message)
        return None
    return await _start(turn, published, handled_seq=message.seq)


async def _start(turn: Turn, published: Published, *, handled_seq: int, text: str | None = None) -> FlowRun | None:
    run = await begin_run(
        turn.session,
        workspace_id=turn.conversation.workspace_id,
        conversation_id=turn.conversation.id,
        version_id=published.version_id,
        handled_seq=handled_seq,
        episode=turn.conversation.episode,
        at=turn.now,
    )
    facts = await facts_for(turn.session, turn.conversation, turn.contact, now=turn.now)
    state, actions = start_run(published.graph, facts, text=text)
    return await _apply(turn, run, published.graph, state, actions)


async def _triggered(session: AsyncSession, workspace_id: WorkspaceId, occurrence: Occurrence) -> Published | None:
    for published in await published_flows(session, workspace_id):
        if matching_trigger(published.graph.triggers, occurrence) is not None:
            return published
    return None


async def _any_run_this_episode(turn: Turn) -> bool:
    found = await turn.session.scalar(
        select(FlowRun.id)
        .where(FlowRun.conversation_id == turn.conversation.id, FlowRun.episode == turn.conversation.episode)
        .limit(1)
    )
    return found is not None
