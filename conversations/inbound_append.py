"""The hot path of the inbound pipeline: a message from a known contact into their open
conversation, in one statement. Anything else — a new contact, no conversation yet, a closed or
snoozed one, a redelivery, new visit properties — returns None and takes the general path in
`conversations.inbound`, which locks the contact.

Why one statement is enough: it locks the contact first, as the general path does (one order for
every writer: contact, then conversation), then the conversation row with `FOR UPDATE`, which (in
READ COMMITTED) hands back its newest version even if it changed after the statement began, so the
next number is never stale; reads of other rows may be that old, and are only used to pick the
conversation (the general path never opens a second one while one is open). A redelivery racing
its twin is stopped by the unique channel key (`ON CONFLICT DO NOTHING`), and the number is taken,
the visitor metered and touched, only when the message was stored."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from billing.visitors import visitor_activity
from channels.base import InboundMessage
from conversations.events import visitor_message_stored, visitor_topic_sql
from conversations.views import MessageView, attachment_views, client_id_of
from core.db import DriverStatement
from core.ids import ContactId, ConversationId, MessageId
from core.realtime import notify_payload, notify_sql

# `last_seen_at` is for people reading the contact card: a minute's precision spares a write per message.
LAST_SEEN_PRECISION = timedelta(minutes=1)


def append_statement(*, guard: str = "true", ctes: str = "", columns: str = "") -> DriverStatement:
    """The append, and what a channel does in the same statement: `guard` is an SQL condition the
    message is stored under (its bot still connected, say); `ctes` are further statements run on
    the stored message (`stored` and `locked` are in scope: nothing when it was not stored), and
    `columns` what they give back. Build it once (it is compiled once)."""
    return DriverStatement(
        text(
            _TEMPLATE.format(
                guard=guard,
                ctes=ctes,
                columns=columns,
                # The realtime event completed with the ids this statement produces; sent at commit.
                notify=notify_sql(
                    "event",
                    {
                        "t,1": visitor_topic_sql("stored.conversation_id"),
                        "d,conversation_id": "stored.conversation_id",
                        "d,seq": "stored.seq",
                        "d,message_id": "stored.id",
                        "d,message,id": "stored.id",
                        "d,message,seq": "stored.seq",
                        "d,message,conversation_id": "stored.conversation_id",
                    },
                ),
            )
        )
    )


_TEMPLATE = """
    WITH sender AS (
        SELECT contacts.id FROM contacts JOIN contact_addresses AS a ON a.contact_id = contacts.id
        WHERE a.workspace_id = :workspace_id AND a.channel = :channel AND a.address = :address
        FOR UPDATE OF contacts
    ), latest AS (
        SELECT id FROM conversations
        WHERE contact_id = (SELECT id FROM sender) AND channel = :channel
        ORDER BY id DESC LIMIT 1
    ), locked AS (
        SELECT id, workspace_id, contact_id, last_seq, episode, channel, owner FROM conversations
        WHERE id = (SELECT id FROM latest) AND status = 'open'
        FOR UPDATE
    ), stored AS (
        INSERT INTO messages
            (workspace_id, conversation_id, seq, episode, author, body, attachments, channel, channel_key,
             status, created_at)
        SELECT workspace_id, id, last_seq + 1, episode, 'visitor', :body, CAST(:attachments AS jsonb), channel,
            :channel_key, 'received', :at
        FROM locked WHERE {guard}
        ON CONFLICT (workspace_id, channel, channel_key) WHERE channel_key IS NOT NULL DO NOTHING
        RETURNING id, conversation_id, seq
    ), numbered AS (
        UPDATE conversations SET last_seq = stored.seq, last_message_at = :at
        FROM stored WHERE conversations.id = stored.conversation_id
    ), metered AS (
        INSERT INTO usage_records
            (workspace_id, metric, quantity, idempotency_key, period_start, contact_id, occurred_at)
        SELECT :workspace_id, :metric, :quantity, :usage_key_prefix || contact_id, :period_start, contact_id, :at
        FROM locked WHERE EXISTS (SELECT 1 FROM stored)
        ON CONFLICT (workspace_id, metric, idempotency_key) DO NOTHING
    ), seen AS (
        UPDATE contacts SET last_seen_at = :at
        WHERE id = (SELECT contact_id FROM locked) AND EXISTS (SELECT 1 FROM stored)
            AND (last_seen_at IS NULL OR last_seen_at < :seen_before)
    ){ctes}
    SELECT stored.id, stored.conversation_id, stored.seq, locked.contact_id, locked.owner, {notify}{columns}
    FROM stored JOIN locked ON true
    """
_APPEND = append_statement()


@dataclass(frozen=True)
class Appended:
    contact_id: ContactId
    message: MessageView
    owner: str
    more: Mapping[str, object]  # the `columns` of a channel's own statement (`append_statement`)


async def append_to_open_conversation(
    connection: AsyncConnection,
    inbound: InboundMessage,
    text: str,
    *,
    statement: DriverStatement = _APPEND,
    params: Mapping[str, object] | None = None,
) -> Appended | None:
    """The message appended to the contact's open conversation, or None: then nothing was written
    (no open conversation, a redelivery, or the statement's guard refused it). One statement: on an
    autocommit connection (`Database.autocommit`) it is a transaction of its own."""
    attachments = [
        {"id": ref.id, "name": ref.name, "content_type": ref.content_type, "size": ref.size}
        for ref in inbound.attachments
    ]
    usage = visitor_activity(inbound.occurred_at)
    params = {
        **(params or {}),
        "workspace_id": inbound.workspace_id,
        "channel": inbound.channel.value,
        "address": inbound.address,
        "channel_key": inbound.channel_key,
        "at": inbound.occurred_at,
        "seen_before": inbound.occurred_at - LAST_SEEN_PRECISION,
        "body": text,
        "attachments": json.dumps(attachments),
        "metric": usage.metric,
        "quantity": usage.quantity,
        "usage_key_prefix": usage.key_prefix,
        "period_start": usage.period_start,
    }
    message = MessageView(
        id=MessageId(0),  # these three the statement fills in
        conversation_id=ConversationId(0),
        seq=0,
        author="visitor",
        text=text,
        created_at=inbound.occurred_at,
        client_id=client_id_of(inbound.channel_key),
        operator_id=None,
        operator_name=None,
        status="received",
        failure_reason=None,
        attachments=attachment_views(attachments),
    )
    event = visitor_message_stored(inbound.workspace_id, message.conversation_id, message.seq, message.for_operator())
    params["event"] = notify_payload(event)
    row = await statement.fetch_one(connection, params)
    if row is None:
        return None
    stored = replace(
        message, id=MessageId(row["id"]), conversation_id=ConversationId(row["conversation_id"]), seq=row["seq"]
    )
    return Appended(contact_id=ContactId(row["contact_id"]), message=stored, owner=row["owner"], more=dict(row))
