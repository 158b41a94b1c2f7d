"""Executing what a flow step asks for, inside the turn's transaction. Calls to the outside world
(webhooks, the AI bot) are only recorded here and made after commit (`Followup`); each also gets a
deadline timer, so a crash mid-call still moves the dialog on by the timeout (or hand-off) branch."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, assert_never

from bots.ai.requests import AI_DEADLINE, TIMER_KIND, AIRequest
from bots.notes import note_to_operators
from bots.runs import cancel_timer, schedule_timer
from channels.base import ChannelKind
from channels.rendering import render_buttons
from conversations.bot_actions import (
    close_by_bot,
    group_named,
    hand_off_to_queue,
    send_as_bot,
    tag_by_bot,
)
from core.i18n import N_
from core.ids import FlowRunId
from flows.actions import (
    AddTag,
    AskAI,
    CallWebhook,
    CancelTimer,
    Close,
    Effect,
    HandOff,
    HandoffReason,
    RemoveTag,
    ScheduleTimer,
    SendMessage,
    SetContactProperty,
    SetConversationAttribute,
    StartFlow,
)
from flows.models import FlowRun

if TYPE_CHECKING:
    from bots.runtime import Turn

log = logging.getLogger(__name__)

# How long past a webhook's own timeout its deadline timer waits (the call normally answers first).
WEBHOOK_GRACE = timedelta(seconds=5)
_PROFILE_FIELDS = {"name": 200, "email": 254, "phone": 40, "language": 16}
PROPERTY_MAX = 500


@dataclass(frozen=True)
class WebhookCall:
    run_id: FlowRunId
    call: CallWebhook


@dataclass
class Followup:
    """After commit: the webhooks to call, the questions for the AI bot, and a flow to switch to."""

    webhooks: list[WebhookCall] = field(default_factory=list)
    questions: list[AIRequest] = field(default_factory=list)
    switch_to: int | None = None


async def execute(turn: Turn, run: FlowRun, effect: Effect) -> None:
    """Do `effect` in the turn's transaction (or note it for after commit)."""
    session, conversation, now = turn.session, turn.conversation, turn.now
    match effect:
        case SendMessage(text, image_url, buttons):
            options = tuple((button.id, button.label) for button in buttons)
            body, shown = render_buttons(ChannelKind(conversation.channel), text, options)
            if image_url:
                body = f"{body}\n{image_url}"
            turn.sent.append(await send_as_bot(session, conversation, text=body, at=now, buttons=shown))
        case ScheduleTimer(timer_id, delay):
            await schedule_timer(session, run, timer_id, fire_at=now + delay)
        case CancelTimer(timer_id):
            await cancel_timer(session, run, timer_id, at=now)
        case SetContactProperty(name, value):
            _set_contact_property(turn, name, value)
        case AddTag(tag) | RemoveTag(tag):
            await tag_by_bot(session, conversation, tag, on=isinstance(effect, AddTag))
        case SetConversationAttribute(name, value):
            conversation.attributes = {**(conversation.attributes or {}), name: value[:PROPERTY_MAX]}
        case CallWebhook():
            timeout = timedelta(seconds=effect.timeout_seconds) + WEBHOOK_GRACE
            await schedule_timer(session, run, effect.request_id, fire_at=now + timeout, kind="webhook")
            turn.followup.webhooks.append(WebhookCall(run.id, effect))
        case AskAI(request_id, question):
            await schedule_timer(session, run, request_id, fire_at=now + AI_DEADLINE, kind=TIMER_KIND)
            turn.followup.questions.append(
                AIRequest(conversation.workspace_id, conversation.id, run.id, request_id, question)
            )
        case HandOff(reason, group_id, group_name, summary):
            if reason is HandoffReason.RUNAWAY:
                log.warning(
                    "a flow kept talking without the visitor; stopped and handed off",
                    extra={"conversation": conversation.id, "flow_version": run.flow_version_id},
                )
            if group_id is None and group_name:
                group_id = await group_named(session, conversation.workspace_id, group_name)
            note = summary or reason.value
            await note_to_operators(turn, N_("Bot: {note}"), note=note)
            await hand_off_to_queue(session, conversation, group_id, at=now)
        case Close():
            await close_by_bot(session, conversation, at=now)
        case StartFlow(flow_id):
            turn.followup.switch_to = flow_id
        case _:
            assert_never(effect)


def _set_contact_property(turn: Turn, name: str, value: str) -> None:
    contact = turn.contact
    limit = _PROFILE_FIELDS.get(name)
    if limit is not None:
        setattr(contact, name, value[:limit])
    else:
        contact.properties = {**contact.properties, name[:60]: value[:PROPERTY_MAX]}
