"""What a message or conversation looks like to the widget and to operators (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from core.ids import ContactId, ConversationId, MessageId, OperatorId

VISIBLE_TO_VISITOR = frozenset({"visitor", "operator", "bot", "system"})


def client_id_of(channel_key: str | None) -> str | None:
    """Channel keys are "<scope>:<client id>" (the visitor's address, or "op" for operators)."""
    return channel_key.rsplit(":", 1)[-1] if channel_key else None


@dataclass(frozen=True)
class AttachmentView:
    id: str
    name: str
    content_type: str
    size: int

    @property
    def url(self) -> str:
        return f"/files/{self.id}/{quote(self.name)}"

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "content_type": self.content_type, "size": self.size, "url": self.url}


@dataclass(frozen=True)
class MessageView:
    id: MessageId
    conversation_id: ConversationId
    seq: int
    author: str
    text: str
    created_at: datetime
    client_id: str | None
    operator_id: OperatorId | None
    operator_name: str | None
    status: str
    failure_reason: str | None
    attachments: tuple[AttachmentView, ...]
    buttons: tuple[tuple[str, str], ...] = ()  # a bot message's (id, label) choices
    button_id: str | None = None  # on a visitor's message: the button pressed

    @property
    def is_note(self) -> bool:
        return self.author == "note"

    def for_visitor(self) -> dict[str, object]:
        return {
            "id": self.id,
            "seq": self.seq,
            "author": self.author,
            "text": self.text,
            "created_at": self.created_at.isoformat(),
            "client_id": self.client_id if self.author == "visitor" else None,
            "operator": None if self.operator_name is None else {"name": self.operator_name},
            "attachments": [attachment.as_json() for attachment in self.attachments],
            "buttons": [{"id": button_id, "label": label} for button_id, label in self.buttons],
        }

    def for_operator(self) -> dict[str, object]:
        return {
            **self.for_visitor(),
            "conversation_id": self.conversation_id,
            "client_id": self.client_id,
            "operator_id": self.operator_id,
            "status": self.status,
            "failure_reason": self.failure_reason,
        }


@dataclass(frozen=True)
class ConversationView:
    id: ConversationId
    contact_id: ContactId
    channel: str
    owner: str
    status: str
    episode: int
    last_seq: int
    visitor_read_seq: int
    operator_read_seq: int
    assignee_id: OperatorId | None
    last_message_at: datetime | None
    created_at: datetime

    def for_visitor(self) -> dict[str, object]:
        return {
            "id": self.id,
            "status": self.status,
            "last_seq": self.last_seq,
            "visitor_read_seq": self.visitor_read_seq,
            "operator_read_seq": self.operator_read_seq,
        }

    def for_operator(self) -> dict[str, object]:
        return {
            **self.for_visitor(),
            "contact_id": self.contact_id,
            "channel": self.channel,
            "owner": self.owner,
            "episode": self.episode,
            "assignee_id": self.assignee_id,
            "last_message_at": None if self.last_message_at is None else self.last_message_at.isoformat(),
            "created_at": self.created_at.isoformat(),
        }


def attachment_views(snapshots: Sequence[Mapping[str, object]]) -> tuple[AttachmentView, ...]:
    return tuple(
        AttachmentView(
            id=str(item["id"]),
            name=str(item["name"]),
            content_type=str(item["content_type"]),
            size=int(str(item["size"])),
        )
        for item in snapshots
    )
