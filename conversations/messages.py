"""Appending messages to a conversation (the caller holds its row lock) and reading them back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import Operator
from channels.base import AttachmentRef
from conversations.models import Conversation, Message
from conversations.views import VISIBLE_TO_VISITOR, MessageView, attachment_views, client_id_of
from core.ids import ConversationId, OperatorId, WorkspaceId

MAX_MESSAGES_PER_READ = 500


async def append_message(
    session: AsyncSession,
    conversation: Conversation,
    *,
    author: str,
    text: str,
    at: datetime,
    status: str,
    attachments: Sequence[AttachmentRef] = (),
    channel_key: str | None = None,
    operator_id: OperatorId | None = None,
    buttons: Sequence[tuple[str, str]] = (),
    button_id: str | None = None,
) -> Message:
    """Give the message the conversation's next sequence number. The caller locked the conversation
    row, so numbers are gapless and ordered the same for every reader."""
    conversation.last_seq += 1
    conversation.last_message_at = at
    message = Message(
        workspace_id=conversation.workspace_id,
        conversation_id=conversation.id,
        seq=conversation.last_seq,
        episode=conversation.episode,
        author=author,
        operator_id=operator_id,
        body=text,
        attachments=[
            {"id": ref.id, "name": ref.name, "content_type": ref.content_type, "size": ref.size} for ref in attachments
        ],
        channel=conversation.channel,
        channel_key=channel_key,
        status=status,
        created_at=at,
        buttons=[{"id": button, "label": label} for button, label in buttons],
        button_id=button_id,
    )
    session.add(message)
    await session.flush()
    return message


async def find_by_channel_key(
    session: AsyncSession, workspace_id: WorkspaceId, channel: str, channel_key: str
) -> Message | None:
    query = select(Message).where(
        Message.workspace_id == workspace_id, Message.channel == channel, Message.channel_key == channel_key
    )
    return (await session.execute(query)).scalar_one_or_none()


async def messages_after(
    session: AsyncSession, conversation_id: ConversationId, after_seq: int, *, for_visitor: bool
) -> list[MessageView]:
    """Messages with seq > after_seq in order (at most 500 a call); notes only for operators."""
    query = (
        select(Message, Operator.display_name)
        .outerjoin(Operator, Operator.id == Message.operator_id)
        .where(Message.conversation_id == conversation_id, Message.seq > after_seq)
        .order_by(Message.seq)
        .limit(MAX_MESSAGES_PER_READ)
    )
    if for_visitor:
        query = query.where(Message.author.in_(VISIBLE_TO_VISITOR))
    return [view_of(message, name) for message, name in await session.execute(query)]


async def message_view(session: AsyncSession, message: Message) -> MessageView:
    name = None
    if message.operator_id is not None:
        name = await session.scalar(select(Operator.display_name).where(Operator.id == message.operator_id))
    return view_of(message, name)


def view_of(message: Message, operator_name: str | None) -> MessageView:
    return MessageView(
        id=message.id,
        conversation_id=message.conversation_id,
        seq=message.seq,
        author=message.author,
        text=message.body,
        created_at=message.created_at,
        client_id=client_id_of(message.channel_key),
        operator_id=message.operator_id,
        operator_name=operator_name,
        status=message.status,
        failure_reason=message.failure_reason,
        attachments=attachment_views(message.attachments),
        buttons=tuple((str(button["id"]), str(button["label"])) for button in message.buttons or ()),
        button_id=message.button_id,
    )
