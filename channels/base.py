"""What every channel shares (pure): the messages that cross a channel's edge and the one small
protocol an outbound adapter implements.

To add a channel: write its pure `mapping.py` (native payload <-> InboundMessage/OutboundMessage),
an edge (webhook or socket) that calls `conversations.inbound.receive_message`, and an adapter
class with `kind`, `capabilities` and `send`, registered in the composition root."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from core.errors import DomainError, ErrorCode
from core.ids import ConversationId, MessageId, WorkspaceId


class ChannelKind(StrEnum):
    WEB = "web"
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"


@dataclass(frozen=True)
class AttachmentRef:
    id: str
    name: str
    content_type: str
    size: int


@dataclass(frozen=True)
class InboundMessage:
    """A message as a channel edge received it, before we know its contact or conversation."""

    workspace_id: WorkspaceId
    channel: ChannelKind
    address: str  # the channel's id of the sender (widget visitor id, Telegram chat id)
    channel_key: str  # the channel's id of this message: a redelivery carries the same one
    text: str
    occurred_at: datetime
    attachments: tuple[AttachmentRef, ...] = ()
    contact_properties: Mapping[str, str] = field(default_factory=dict)
    button_id: str | None = None  # the bot's button this message pressed (its text is the label)


@dataclass(frozen=True)
class OutboundMessage:
    workspace_id: WorkspaceId
    conversation_id: ConversationId
    message_id: MessageId
    channel: ChannelKind
    address: str
    text: str
    attachments: tuple[AttachmentRef, ...] = ()
    buttons: tuple[tuple[str, str], ...] = ()  # the bot's buttons: (id, label)


@dataclass(frozen=True)
class DeliveryReceipt:
    external_id: str | None = None
    billable_messages: int = 0  # messages the channel bills for (Telegram: each one sent)


@dataclass(frozen=True)
class Capabilities:
    buttons: bool
    attachments: bool
    typing: bool


class DeliveryFailed(DomainError):
    """The channel refused or could not take the message; `retryable` says whether to try again."""

    code = ErrorCode.CHANNEL_UNAVAILABLE
    http_status = 502

    def __init__(
        self, template: str, /, *, retryable: bool, retry_after: float | None = None, **params: object
    ) -> None:
        """`retry_after`: the channel said when to try again (Telegram's flood control), in seconds."""
        super().__init__(template, **params)
        self.retryable = retryable
        self.retry_after = retry_after


class Channel(Protocol):
    kind: ChannelKind
    capabilities: Capabilities

    async def send(self, message: OutboundMessage) -> DeliveryReceipt: ...
