"""Writing broadcasts (the caller owns the transaction): create and edit a draft (its bot, text,
image, buttons and audience checked), preview how many people the audience reaches, and find a
subscriber to send a test to. Every function needs MANAGE_BROADCASTS; another workspace's
broadcast is NotFound."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.models import Workspace
from accounts.roles import Permission
from broadcasts.audience import count_audience
from broadcasts.content import FlowButton, buttons_json, check_text, parse_buttons
from broadcasts.models import Broadcast
from broadcasts.segments import parse_segment, segment_json
from broadcasts.states import Action, check_action
from channels.telegram.mapping import MAX_PHOTO_BYTES, PHOTO_TYPES
from channels.telegram.models import TelegramBot, TelegramSubscriber
from conversations.models import Attachment
from core.errors import InvalidInput, NotFound
from core.ids import BroadcastId, TelegramBotId, TelegramSubscriberId, WorkspaceId
from flows.models import Flow

MAX_NAME_LENGTH = 120
MAX_SEARCH_RESULTS = 20


@dataclass(frozen=True)
class BroadcastDraft:
    """What an editor writes; `buttons` and `audience` in their JSON forms (broadcasts.content,
    broadcasts.segments)."""

    bot_id: TelegramBotId
    name: str
    text: str
    image_id: str | None = None
    buttons: Sequence[Mapping[str, object]] = ()
    audience: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class SubscriberChoice:
    id: TelegramSubscriberId
    chat_id: int
    username: str | None
    first_name: str | None
    subscribed: bool


async def access_broadcast(
    session: AsyncSession, actor: Actor, broadcast_id: BroadcastId, *, for_update: bool = False
) -> Broadcast:
    """The broadcast, if it is the actor's workspace's and the actor manages broadcasts."""
    actor.require(Permission.MANAGE_BROADCASTS)
    query = select(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.workspace_id == actor.workspace_id)
    found = await session.scalar(query.with_for_update() if for_update else query)
    if found is None:
        raise NotFound("No such broadcast.")
    return found


async def create_broadcast(session: AsyncSession, actor: Actor, draft: BroadcastDraft, *, at: datetime) -> Broadcast:
    actor.require(Permission.MANAGE_BROADCASTS)
    broadcast = Broadcast(workspace_id=actor.workspace_id, created_by=actor.operator_id, created_at=at)
    await _fill(session, actor.workspace_id, broadcast, draft, at=at)
    session.add(broadcast)
    await session.flush()
    return broadcast


async def update_broadcast(
    session: AsyncSession, actor: Actor, broadcast_id: BroadcastId, draft: BroadcastDraft, *, at: datetime
) -> Broadcast:
    """A draft or a scheduled broadcast (it stays scheduled) can be edited; one being sent cannot."""
    broadcast = await access_broadcast(session, actor, broadcast_id, for_update=True)
    check_action(Action.EDIT, broadcast.status)
    await _fill(session, actor.workspace_id, broadcast, draft, at=at)
    await session.flush()
    return broadcast


async def preview_audience(
    session: AsyncSession, actor: Actor, bot_id: TelegramBotId, audience: Mapping[str, object], *, now: datetime
) -> int:
    """How many subscribed people the audience reaches now."""
    actor.require(Permission.MANAGE_BROADCASTS)
    await _connected_bot(session, actor.workspace_id, bot_id)
    return await count_audience(
        session,
        parse_segment(audience),
        workspace_id=actor.workspace_id,
        bot_id=bot_id,
        now=now,
        timezone=await workspace_timezone(session, actor.workspace_id),
    )


async def find_subscribers(
    session: AsyncSession, actor: Actor, bot_id: TelegramBotId, search: str
) -> list[SubscriberChoice]:
    """Subscribers of the bot whose username or first name starts with `search` (the editor looks
    for their own chat to send a test to)."""
    actor.require(Permission.MANAGE_BROADCASTS)
    await _connected_bot(session, actor.workspace_id, bot_id)
    typed = search.strip().lstrip("@")[:64]
    prefix = typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await session.scalars(
        select(TelegramSubscriber)
        .where(
            TelegramSubscriber.workspace_id == actor.workspace_id,
            TelegramSubscriber.bot_id == bot_id,
            or_(TelegramSubscriber.username.ilike(prefix), TelegramSubscriber.first_name.ilike(prefix)),
        )
        .order_by(TelegramSubscriber.last_activity_at.desc())
        .limit(MAX_SEARCH_RESULTS)
    )
    return [
        SubscriberChoice(row.id, row.chat_id, row.username, row.first_name, row.status == "subscribed") for row in rows
    ]


async def workspace_timezone(session: AsyncSession, workspace_id: WorkspaceId) -> str:
    return await session.scalar(select(Workspace.timezone).where(Workspace.id == workspace_id)) or "UTC"


async def _fill(
    session: AsyncSession, workspace_id: WorkspaceId, broadcast: Broadcast, draft: BroadcastDraft, *, at: datetime
) -> None:
    """Checks the draft and writes it into `broadcast`, or raises InvalidInput naming the field."""
    name = draft.name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise InvalidInput("Name the broadcast (at most {limit} characters).", field="name", limit=MAX_NAME_LENGTH)
    await _connected_bot(session, workspace_id, draft.bot_id)
    if draft.image_id is not None:
        await _check_image(session, workspace_id, draft.image_id)
    buttons = parse_buttons(draft.buttons)
    await _check_flows(session, workspace_id, [button for button in buttons if isinstance(button, FlowButton)])
    broadcast.bot_id, broadcast.name, broadcast.image_id = draft.bot_id, name, draft.image_id
    broadcast.text = check_text(draft.text, with_image=draft.image_id is not None)
    broadcast.buttons = buttons_json(buttons)
    broadcast.audience = segment_json(parse_segment(draft.audience))
    broadcast.updated_at = at


async def _connected_bot(session: AsyncSession, workspace_id: WorkspaceId, bot_id: TelegramBotId) -> None:
    connected = await session.scalar(
        select(func.count())
        .select_from(TelegramBot)
        .where(
            TelegramBot.id == bot_id, TelegramBot.workspace_id == workspace_id, TelegramBot.disconnected_at.is_(None)
        )
    )
    if not connected:
        raise InvalidInput("Choose a connected Telegram bot.", field="bot_id")


async def _check_image(session: AsyncSession, workspace_id: WorkspaceId, image_id: str) -> None:
    image = (
        await session.execute(
            select(Attachment.content_type, Attachment.size).where(
                Attachment.id == image_id, Attachment.workspace_id == workspace_id
            )
        )
    ).one_or_none()
    if image is None:
        raise InvalidInput("The image is gone; upload it again.", field="image_id")
    if image.content_type not in PHOTO_TYPES or image.size > MAX_PHOTO_BYTES:
        raise InvalidInput("The image must be a JPEG, PNG or WebP picture of at most 10 MB.", field="image_id")


async def _check_flows(session: AsyncSession, workspace_id: WorkspaceId, buttons: Sequence[FlowButton]) -> None:
    if not buttons:
        return
    published = set(
        await session.scalars(
            select(Flow.id).where(
                Flow.id.in_([button.flow_id for button in buttons]),
                Flow.workspace_id == workspace_id,
                Flow.published_version_id.is_not(None),
            )
        )
    )
    for button in buttons:
        if button.flow_id not in published:
            raise InvalidInput(
                "The button {label} starts a flow that is not published.", field="buttons", label=button.label
            )
