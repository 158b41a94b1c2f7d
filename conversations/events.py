"""Realtime events of conversations and who receives them (pure). Operators of the workspace hear
everything on `workspace:<id>`; the visitor's widgets hear `conversation:<id>:visitor` and their
contact's `contact:<id>` — and never an internal note."""

from __future__ import annotations

from core.ids import ContactId, ConversationId, GroupId, MessageId, OperatorId, WorkspaceId
from core.realtime import RealtimeEvent, fits_notify

MESSAGE = "message"
TYPING = "typing"
READ = "read"
CONVERSATION = "conversation"
MESSAGE_STATUS = "message_status"
DRAFT = "draft"  # for the visitor's widgets: the AI bot's answer while it is being generated


def operators_topic(workspace_id: WorkspaceId) -> str:
    return f"workspace:{workspace_id}"


def visitor_topic(conversation_id: ConversationId) -> str:
    return f"conversation:{conversation_id}:visitor"


def visitor_topic_sql(conversation_id: str) -> str:
    """`visitor_topic` of the conversation whose id the SQL expression `conversation_id` gives."""
    # ':' || 'visitor', as SQLAlchemy's text() would take ':visitor' for a bound parameter.
    return f"'conversation:' || {conversation_id} || ':' || 'visitor'"


def contact_topic(contact_id: ContactId) -> str:
    return f"contact:{contact_id}"


def message_stored(
    workspace_id: WorkspaceId, conversation_id: ConversationId, seq: int, operator_view: dict[str, object]
) -> RealtimeEvent:
    """For operators: the message itself when it fits a NOTIFY payload, else ids to load it by."""
    base: dict[str, object] = {"conversation_id": conversation_id, "seq": seq, "message_id": operator_view["id"]}
    full = RealtimeEvent((operators_topic(workspace_id),), MESSAGE, {**base, "message": operator_view})
    return full if fits_notify(full) else RealtimeEvent((operators_topic(workspace_id),), MESSAGE, base)


def visitor_message_stored(
    workspace_id: WorkspaceId, conversation_id: ConversationId, seq: int, operator_view: dict[str, object]
) -> RealtimeEvent:
    """A visitor's message, for operators and the visitor's other widgets in one event (nothing in a
    visitor's own message is for operators only; widgets read `seq` and load what they miss)."""
    event = message_stored(workspace_id, conversation_id, seq, operator_view)
    return RealtimeEvent((*event.topics, visitor_topic(conversation_id)), event.kind, event.data)


def message_for_visitor(
    conversation_id: ConversationId, message_id: MessageId, *, seq: int | None = None
) -> RealtimeEvent:
    """The visitor's widgets load messages after their last seq: ids are enough, notes never go here.
    With `seq`, a widget that already has it (its own message, acknowledged) need not load anything."""
    data: dict[str, object] = {"conversation_id": conversation_id, "message_id": message_id}
    if seq is not None:
        data["seq"] = seq
    return RealtimeEvent((visitor_topic(conversation_id),), MESSAGE, data)


def message_status_changed(
    workspace_id: WorkspaceId, conversation_id: ConversationId, message_id: MessageId, status: str, reason: str | None
) -> RealtimeEvent:
    data = {"conversation_id": conversation_id, "message_id": message_id, "status": status, "reason": reason}
    return RealtimeEvent((operators_topic(workspace_id),), MESSAGE_STATUS, data)


def conversation_changed(
    workspace_id: WorkspaceId, contact_id: ContactId, conversation_id: ConversationId, status: str
) -> RealtimeEvent:
    # Every status change may free an operator's capacity or put a dialog back in a queue.
    topics = (operators_topic(workspace_id), visitor_topic(conversation_id), contact_topic(contact_id), QUEUES_TOPIC)
    return RealtimeEvent(topics, CONVERSATION, {"conversation_id": conversation_id, "status": status})


def visitor_typing(workspace_id: WorkspaceId, conversation_id: ConversationId, on: bool) -> RealtimeEvent:
    return RealtimeEvent((operators_topic(workspace_id),), TYPING, {"conversation_id": conversation_id, "on": on})


def operator_typing(conversation_id: ConversationId, on: bool, name: str) -> RealtimeEvent:
    return RealtimeEvent(
        (visitor_topic(conversation_id),), TYPING, {"conversation_id": conversation_id, "on": on, "name": name}
    )


def read_by_visitor(workspace_id: WorkspaceId, conversation_id: ConversationId, seq: int) -> RealtimeEvent:
    data = {"conversation_id": conversation_id, "seq": seq, "by": "visitor"}
    return RealtimeEvent((operators_topic(workspace_id),), READ, data)


def read_by_operator(workspace_id: WorkspaceId, conversation_id: ConversationId, seq: int) -> RealtimeEvent:
    data = {"conversation_id": conversation_id, "seq": seq, "by": "operator"}
    return RealtimeEvent((operators_topic(workspace_id), visitor_topic(conversation_id)), READ, data)


# Heard by every process's outbox: a row for a channel other than the widget was queued after a commit.
DELIVERIES_TOPIC = "deliveries"


def delivery_queued() -> RealtimeEvent:
    return RealtimeEvent((DELIVERIES_TOPIC,), "delivery", {})


ASSIGNED = "assigned"
PRESENCE = "presence"
# Heard by every process's assigner: something that may let a waiting dialog be assigned happened.
QUEUES_TOPIC = "queues"


def conversation_routed(
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    *,
    status: str,
    owner: str,
    assignee_id: OperatorId | None,
    group_id: GroupId | None,
) -> RealtimeEvent:
    """Who answers changed (queued, assigned, taken, transferred): for the operators' inbox."""
    data = {
        "workspace_id": workspace_id,
        "conversation_id": conversation_id,
        "status": status,
        "owner": owner,
        "assignee_id": assignee_id,
        "group_id": group_id,
    }
    topics = (operators_topic(workspace_id), QUEUES_TOPIC) if owner == "queue" else (operators_topic(workspace_id),)
    return RealtimeEvent(topics, CONVERSATION, data)


def dialog_assigned(
    workspace_id: WorkspaceId, conversation_id: ConversationId, assignee_id: OperatorId
) -> RealtimeEvent:
    data = {"conversation_id": conversation_id, "assignee_id": assignee_id}
    return RealtimeEvent((operators_topic(workspace_id),), ASSIGNED, data)


def presence_changed(workspace_id: WorkspaceId, operator_id: OperatorId, presence: str) -> RealtimeEvent:
    topics = (operators_topic(workspace_id), QUEUES_TOPIC)
    return RealtimeEvent(topics, PRESENCE, {"operator_id": operator_id, "presence": presence})


def conversation_status_changed(
    workspace_id: WorkspaceId,
    contact_id: ContactId,
    conversation_id: ConversationId,
    *,
    status: str,
    owner: str,
    assignee_id: OperatorId | None,
    group_id: GroupId | None,
) -> RealtimeEvent:
    """Closed, reopened, snoozed or woken: operators get the whole state; the visitor's widgets (which
    reload the conversation on this event and forward none of its data) hear of it too."""
    routed = conversation_routed(
        workspace_id, conversation_id, status=status, owner=owner, assignee_id=assignee_id, group_id=group_id
    )
    topics = (*routed.topics, visitor_topic(conversation_id), contact_topic(contact_id))
    return RealtimeEvent(topics, CONVERSATION, routed.data)
