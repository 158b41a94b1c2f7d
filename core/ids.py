"""Typed ids: every table's primary key has its own type so one cannot be passed for another."""

from typing import NewType

WorkspaceId = NewType("WorkspaceId", int)
OperatorId = NewType("OperatorId", int)
GroupId = NewType("GroupId", int)
ApiKeyId = NewType("ApiKeyId", int)
InvitationId = NewType("InvitationId", int)
ContactId = NewType("ContactId", int)
ConversationId = NewType("ConversationId", int)
MessageId = NewType("MessageId", int)
DeliveryId = NewType("DeliveryId", int)
UsageRecordId = NewType("UsageRecordId", int)
TagId = NewType("TagId", int)
CannedReplyId = NewType("CannedReplyId", int)
FlowId = NewType("FlowId", int)
FlowVersionId = NewType("FlowVersionId", int)
FlowRunId = NewType("FlowRunId", int)
CategoryId = NewType("CategoryId", int)
ArticleId = NewType("ArticleId", int)
AIAnswerId = NewType("AIAnswerId", int)
ArticleRevisionId = NewType("ArticleRevisionId", int)
TelegramBotId = NewType("TelegramBotId", int)
TelegramSubscriberId = NewType("TelegramSubscriberId", int)
BroadcastId = NewType("BroadcastId", int)
BroadcastRecipientId = NewType("BroadcastRecipientId", int)

# Every id type above; the database maps each to BIGINT.
ALL_ID_TYPES = (
    WorkspaceId,
    OperatorId,
    GroupId,
    ApiKeyId,
    InvitationId,
    ContactId,
    ConversationId,
    MessageId,
    DeliveryId,
    UsageRecordId,
    TagId,
    CannedReplyId,
    FlowId,
    FlowVersionId,
    FlowRunId,
    CategoryId,
    ArticleId,
    AIAnswerId,
    ArticleRevisionId,
    TelegramBotId,
    TelegramSubscriberId,
    BroadcastId,
    BroadcastRecipientId,
)
