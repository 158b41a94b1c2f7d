"""The web chat widget as an outbound channel: "sending" makes the stored reply reach every open
widget of the conversation, through the realtime fan-out; a widget that is closed loads it on resume."""

from __future__ import annotations

from channels.base import Capabilities, ChannelKind, DeliveryReceipt, OutboundMessage
from conversations.events import message_for_visitor
from core.db import Database
from core.realtime import publish


class WebWidgetChannel:
    kind = ChannelKind.WEB
    capabilities = Capabilities(buttons=True, attachments=True, typing=True)

    def __init__(self, database: Database) -> None:
        self._database = database

    async def send(self, message: OutboundMessage) -> DeliveryReceipt:
        async with self._database.transaction() as tx:
            await publish(tx.session, message_for_visitor(message.conversation_id, message.message_id))
        return DeliveryReceipt(external_id=None)
