"""The AI bot's settings over JSON (admins): `GET /api/v1/ai/settings` and `PUT /api/v1/ai/settings`
(fields left out keep their value; `"api_key": ""` removes the key, `"base_url": ""` the endpoint).
The model endpoint's key is never returned, only whether one is saved (`has_api_key`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Permission
from admin.api import json_response
from admin.identity import api_actor
from bots.ai.models import AISettings
from bots.ai.settings import AIConfig, SettingsUpdate, save_ai_settings, stored_settings
from core.bodies import read_json
from core.keys import clock_key, database_key, secret_box_key

routes = web.RouteTableDef()


@dataclass(frozen=True)
class SettingsView:
    """The settings as an admin sees them: everything but the key itself."""

    enabled: bool
    bot_name: str
    instructions: str
    threshold: float
    stop_topics: tuple[str, ...]
    texts: dict[str, dict[str, str]]
    answers_first_message: bool
    question_gap_minutes: int
    base_url: str | None
    model: str | None
    has_api_key: bool
    updated_at: datetime | None  # None: never saved, every default

    @property
    def mode(self) -> str:
        """How the bot answers: "extractive" (quotes an article) without an endpoint, else "generative"."""
        return "generative" if self.base_url and self.model else "extractive"

    @classmethod
    def of(cls, row: AISettings | None) -> SettingsView:
        if row is None:
            defaults = AIConfig()
            return cls(
                enabled=defaults.enabled,
                bot_name=defaults.bot_name,
                instructions=defaults.instructions,
                threshold=defaults.threshold,
                stop_topics=defaults.stop_topics,
                texts={},
                answers_first_message=defaults.answers_first_message,
                question_gap_minutes=int(defaults.question_gap.total_seconds() // 60),
                base_url=None,
                model=None,
                has_api_key=False,
                updated_at=None,
            )
        return cls(
            enabled=row.enabled,
            bot_name=row.bot_name,
            instructions=row.instructions,
            threshold=row.threshold,
            stop_topics=tuple(row.stop_topics),
            texts=row.texts,
            answers_first_message=row.answers_first_message,
            question_gap_minutes=row.question_gap_minutes,
            base_url=row.base_url,
            model=row.model,
            has_api_key=row.api_key_sealed is not None,
            updated_at=row.updated_at,
        )


async def access_ai_settings(session: AsyncSession, actor: Actor) -> SettingsView:
    actor.require(Permission.MANAGE_WORKSPACE)
    return SettingsView.of(await stored_settings(session, actor.workspace_id))


def settings_json(view: SettingsView) -> dict[str, object]:
    return {
        "enabled": view.enabled,
        "bot_name": view.bot_name,
        "instructions": view.instructions,
        "threshold": view.threshold,
        "stop_topics": list(view.stop_topics),
        "texts": view.texts,
        "answers_first_message": view.answers_first_message,
        "question_gap_minutes": view.question_gap_minutes,
        "base_url": view.base_url,
        "model": view.model,
        "has_api_key": view.has_api_key,
        "mode": view.mode,
        "updated_at": None if view.updated_at is None else view.updated_at.isoformat(),
    }


class SettingsBody(BaseModel):
    """bots.ai.settings.SettingsUpdate; checked there (pydantic only checks the shape)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool | None = None
    bot_name: str | None = None
    instructions: str | None = None
    threshold: float | None = None
    stop_topics: list[str] | None = None
    texts: dict[str, dict[str, str]] | None = None
    answers_first_message: bool | None = None
    question_gap_minutes: int | None = None
    base_url: str | None = None
    model: str | None = None
    api_key: str | None = None

    def update(self) -> SettingsUpdate:
        return SettingsUpdate(
            enabled=self.enabled,
            bot_name=self.bot_name,
            instructions=self.instructions,
            threshold=self.threshold,
            stop_topics=self.stop_topics,
            texts=self.texts,
            answers_first_message=self.answers_first_message,
            question_gap_minutes=self.question_gap_minutes,
            base_url=self.base_url,
            model=self.model,
            api_key=self.api_key,
        )


@routes.get("/api/v1/ai/settings")
async def ai_settings(request: web.Request) -> web.Response:
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        view = await access_ai_settings(tx.session, actor)
    return json_response({"ai_settings": settings_json(view)})


@routes.put("/api/v1/ai/settings")
async def change_ai_settings(request: web.Request) -> web.Response:
    body = await read_json(request, SettingsBody)
    async with request.app[database_key].transaction() as tx:
        actor = await api_actor(request, tx.session)
        actor.require(Permission.MANAGE_WORKSPACE)  # before saying what is wrong with the settings
        row = await save_ai_settings(
            tx.session, actor.workspace_id, body.update(), request.app[secret_box_key], at=request.app[clock_key].now()
        )
        view = SettingsView.of(row)
    return json_response({"ai_settings": settings_json(view)})
