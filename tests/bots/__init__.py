"""A bot service as the app builds one, answering AI questions in line (one shared connection)."""

import aiohttp

from bots.ai.chat_models import ChatModels
from bots.ai.pipeline import AnswerPipeline
from bots.ai.service import AIBot
from bots.service import BotService
from core.clock import Clock
from core.crypto import SecretBox
from core.db import Database
from knowledge_base.embedders import Embedder
from tests.fakes.embedders import HashingEmbedder

PUBLIC_URL = "http://firstline.test"
BOX = SecretBox("test-secret-key")


def bot_service(
    db: Database, clock: Clock, http: aiohttp.ClientSession, *, embedder: Embedder | None = None
) -> BotService:
    pipeline = AnswerPipeline(db, embedder or HashingEmbedder(), ChatModels(timeout_seconds=5.0), PUBLIC_URL)
    return BotService(db, clock, http, AIBot(db, clock, pipeline, BOX, in_line=True))
