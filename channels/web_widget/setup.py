"""The widget's settings in a workspace: created on first use with a sealed identity secret, read by
the widget's endpoints, changed by admins on the Channels page."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Permission
from channels.web_widget.models import WidgetSettings
from channels.web_widget.policy import check_color, check_greetings, check_language, check_origins, check_position
from core.crypto import SecretBox
from core.ids import WorkspaceId


def new_identity_secret() -> str:
    return secrets.token_urlsafe(32)


async def widget_settings_of(session: AsyncSession, workspace_id: WorkspaceId, *, box: SecretBox) -> WidgetSettings:
    """The workspace's row, created with the defaults and a new identity secret the first time."""
    query = (
        select(WidgetSettings)
        .where(WidgetSettings.workspace_id == workspace_id)
        .execution_options(populate_existing=True)
    )
    existing = await session.scalar(query)
    if existing is not None:
        return existing
    # Two first requests may race (the Channels page and a visitor, two visitors): ON CONFLICT DO
    # NOTHING lets exactly one insert win without aborting the other's transaction, then both read it.
    await session.execute(
        insert(WidgetSettings)
        .values(workspace_id=workspace_id, identity_secret=box.seal(new_identity_secret()))
        .on_conflict_do_nothing(index_elements=[WidgetSettings.workspace_id])
    )
    return (await session.execute(query)).scalar_one()


async def access_widget_settings(session: AsyncSession, actor: Actor, *, box: SecretBox) -> WidgetSettings:
    """The settings as an admin sees them on the Channels page."""
    actor.require(Permission.MANAGE_CHANNELS)
    return await widget_settings_of(session, actor.workspace_id, box=box)


def identity_secret(settings: WidgetSettings, *, box: SecretBox) -> str:
    return box.open(settings.identity_secret)


async def update_widget_settings(
    session: AsyncSession,
    actor: Actor,
    *,
    color: str,
    position: str,
    language: str,
    greeting_en: str,
    greeting_ru: str,
    allowed_origins: Sequence[str],
    box: SecretBox,
) -> WidgetSettings:
    actor.require(Permission.MANAGE_CHANNELS)
    checked_color = check_color(color)
    checked_position = check_position(position)
    checked_language = check_language(language)
    english, russian = check_greetings(greeting_en, greeting_ru)
    origins = check_origins(allowed_origins)
    await widget_settings_of(session, actor.workspace_id, box=box)
    return await _change(
        session,
        actor.workspace_id,
        color=checked_color,
        position=checked_position,
        language=checked_language,
        greeting_en=english,
        greeting_ru=russian,
        allowed_origins=origins,
    )


async def regenerate_identity_secret(session: AsyncSession, actor: Actor, *, box: SecretBox) -> str:
    """A new secret (returned in plain text); hashes made with the old one stop being accepted."""
    actor.require(Permission.MANAGE_CHANNELS)
    await widget_settings_of(session, actor.workspace_id, box=box)
    secret = new_identity_secret()
    await _change(session, actor.workspace_id, identity_secret=box.seal(secret))
    return secret


async def _change(session: AsyncSession, workspace_id: WorkspaceId, **values: str | list[str]) -> WidgetSettings:
    statement = (
        update(WidgetSettings)
        .where(WidgetSettings.workspace_id == workspace_id)
        .values(**values, updated_at=func.now())
        .returning(WidgetSettings)
    )
    return (await session.execute(statement.execution_options(populate_existing=True))).scalar_one()
