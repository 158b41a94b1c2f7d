"""A workspace's AI bot settings: read as one frozen `AIConfig` (defaults when never saved), saved
after validation, the model endpoint's key sealed at rest and never shown again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bots.ai.models import DEFAULT_THRESHOLD, AISettings
from bots.ai.texts import Say
from core.crypto import SecretBox
from core.errors import InvalidInput
from core.i18n import N_
from core.ids import WorkspaceId
from flows.samples import ai_first_line_flow
from flows.store import keep_built_in_flow

MAX_STOP_TOPICS = 50
FIRST_LINE_FLOW = "AI bot: first message"  # the flow "answer the first message directly" stands for
MAX_INSTRUCTIONS = 4_000


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    model: str
    api_key: str  # "" for endpoints without keys (a local llama.cpp or Ollama)


@dataclass(frozen=True)
class AIConfig:
    enabled: bool = True
    bot_name: str = ""
    instructions: str = ""
    threshold: float = DEFAULT_THRESHOLD
    stop_topics: tuple[str, ...] = ()
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    answers_first_message: bool = False
    question_gap: timedelta = timedelta(minutes=30)
    endpoint: Endpoint | None = None  # None: extractive answers

    @property
    def mode(self) -> str:
        return "extractive" if self.endpoint is None else "generative"


@dataclass(frozen=True)
class SettingsUpdate:
    """Fields left None keep their value; `api_key` "" removes the key."""

    enabled: bool | None = None
    bot_name: str | None = None
    instructions: str | None = None
    threshold: float | None = None
    stop_topics: list[str] | None = None
    texts: dict[str, dict[str, str]] | None = None
    answers_first_message: bool | None = None
    question_gap_minutes: int | None = None
    base_url: str | None = None  # "" removes the endpoint (back to extractive answers)
    model: str | None = None
    api_key: str | None = None


async def ai_config(session: AsyncSession, workspace_id: WorkspaceId, box: SecretBox) -> AIConfig:
    row = await session.scalar(select(AISettings).where(AISettings.workspace_id == workspace_id))
    if row is None:
        return AIConfig()
    endpoint = None
    if row.base_url and row.model:
        endpoint = Endpoint(row.base_url, row.model, box.open(row.api_key_sealed) if row.api_key_sealed else "")
    return AIConfig(
        enabled=row.enabled,
        bot_name=row.bot_name,
        instructions=row.instructions,
        threshold=row.threshold,
        stop_topics=tuple(row.stop_topics),
        texts=row.texts,
        answers_first_message=row.answers_first_message,
        question_gap=timedelta(minutes=row.question_gap_minutes),
        endpoint=endpoint,
    )


async def stored_settings(session: AsyncSession, workspace_id: WorkspaceId) -> AISettings | None:
    return await session.scalar(select(AISettings).where(AISettings.workspace_id == workspace_id))


async def save_ai_settings(
    session: AsyncSession, workspace_id: WorkspaceId, update: SettingsUpdate, box: SecretBox, *, at: datetime
) -> AISettings:
    values = _checked(update)
    if update.api_key is not None:
        values["api_key_sealed"] = box.seal(update.api_key.strip()) if update.api_key.strip() else None
    if update.base_url == "":
        values.update(base_url=None, model=None, api_key_sealed=None)
    await session.execute(
        insert(AISettings).values(workspace_id=workspace_id).on_conflict_do_nothing(index_elements=["workspace_id"])
    )
    row = await session.scalar(select(AISettings).where(AISettings.workspace_id == workspace_id).with_for_update())
    assert row is not None
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = at
    if update.answers_first_message is not None:
        live = update.answers_first_message and row.enabled
        await keep_built_in_flow(session, workspace_id, FIRST_LINE_FLOW, ai_first_line_flow(), live=live, at=at)
    if bool(row.base_url) != bool(row.model):
        raise InvalidInput(N_("A model endpoint needs both a base URL and a model name."), field="model")
    return row


def _checked(update: SettingsUpdate) -> dict[str, object]:
    values: dict[str, object] = {}
    if update.enabled is not None:
        values["enabled"] = update.enabled
    if update.answers_first_message is not None:
        values["answers_first_message"] = update.answers_first_message
    if update.bot_name is not None:
        values["bot_name"] = _limited(update.bot_name, 80, "bot_name")
    if update.instructions is not None:
        values["instructions"] = _limited(update.instructions, MAX_INSTRUCTIONS, "instructions")
    if update.threshold is not None:
        if not 0.0 <= update.threshold <= 1.0:
            raise InvalidInput(N_("The evidence threshold must be between 0 and 1."), field="threshold")
        values["threshold"] = float(update.threshold)
    if update.stop_topics is not None:
        values["stop_topics"] = _stop_topics(update.stop_topics)
    if update.texts is not None:
        values["texts"] = _texts(update.texts)
    if update.question_gap_minutes is not None:
        if not 0 <= update.question_gap_minutes <= 43_200:
            raise InvalidInput(
                N_("The question gap must be between 0 and 43200 minutes."), field="question_gap_minutes"
            )
        values["question_gap_minutes"] = update.question_gap_minutes
    if update.base_url:
        values["base_url"] = _base_url(update.base_url)
    if update.model is not None and update.base_url != "":
        values["model"] = _limited(update.model, 200, "model") or None
    if update.api_key is not None and len(update.api_key) > 500:
        raise InvalidInput(N_("The API key is too long."), field="api_key")
    return values


def _limited(value: str, limit: int, name: str) -> str:
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput(N_("{field} is longer than {limit} characters."), field=name, limit=limit)
    return value


def _stop_topics(topics: list[str]) -> list[str]:
    cleaned = list(dict.fromkeys(topic.strip() for topic in topics if topic.strip()))
    if len(cleaned) > MAX_STOP_TOPICS or any(len(topic) > 100 for topic in cleaned):
        raise InvalidInput(N_("Up to 50 stop topics of up to 100 characters each."), field="stop_topics")
    return cleaned


def _texts(texts: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    known = {say.value for say in Say}
    cleaned: dict[str, dict[str, str]] = {}
    for key, by_language in texts.items():
        if key not in known or not isinstance(by_language, dict):
            raise InvalidInput(N_("Unknown bot text: {key}."), field="texts", key=str(key)[:40])
        for language, value in by_language.items():
            if language not in ("en", "ru") or not isinstance(value, str) or len(value) > 1_000:
                raise InvalidInput(N_("Bot texts are per language (en, ru), up to 1000 characters."), field="texts")
            if value.strip():
                cleaned.setdefault(key, {})[language] = value.strip()
    return cleaned


def _base_url(url: str) -> str:
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 500:
        raise InvalidInput(
            N_("The base URL must be an http(s) address, like https://api.openai.com/v1."), field="base_url"
        )
    return url
