"""The widget settings service on PostgreSQL: created once with a sealed secret, validated, admin-only,
and kept per workspace."""

import asyncio
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.actors import Actor
from accounts.roles import Role
from channels.web_widget.models import WidgetSettings
from channels.web_widget.setup import (
    access_widget_settings,
    identity_secret,
    regenerate_identity_secret,
    update_widget_settings,
    widget_settings_of,
)
from core.crypto import SecretBox
from core.db import Database
from core.errors import Forbidden, InvalidInput
from tests.factories import make_actor, make_workspace

BOX = SecretBox("test-secret-key")


@dataclass(frozen=True)
class Form:
    color: str = "#FF5500"
    position: str = "left"
    language: str = "ru"
    greeting_en: str = " Hello there! "
    greeting_ru: str = "Добрый день!"
    allowed_origins: tuple[str, ...] = ("https://shop.example/", "", "http://localhost:3000")


async def save(session: AsyncSession, actor: Actor, form: Form = Form()) -> WidgetSettings:
    return await update_widget_settings(
        session,
        actor,
        color=form.color,
        position=form.position,
        language=form.language,
        greeting_en=form.greeting_en,
        greeting_ru=form.greeting_ru,
        allowed_origins=form.allowed_origins,
        box=BOX,
    )


async def test_settings_are_created_once_with_defaults_and_a_sealed_secret(db: Database) -> None:
    async with db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        first = await widget_settings_of(tx.session, workspace.id, box=BOX)
        secret = identity_secret(first, box=BOX)
        again = await widget_settings_of(tx.session, workspace.id, box=BOX)
        rows = await tx.session.scalars(select(WidgetSettings).where(WidgetSettings.workspace_id == workspace.id))
        count = len(rows.all())
    assert count == 1
    assert (first.color, first.position, first.language, first.allowed_origins) == ("#2f6fed", "right", "auto", [])
    assert first.greeting_en == "Hi! How can we help?"
    assert len(secret) >= 40
    assert first.identity_secret != secret
    assert secret not in first.identity_secret
    assert identity_secret(again, box=BOX) == secret


async def test_first_uses_racing_on_two_connections_make_one_row(committed_db: Database) -> None:
    async with committed_db.transaction() as tx:
        workspace_id = (await make_workspace(tx.session)).id

    async def first_use() -> str:
        async with committed_db.transaction() as tx:
            settings = await widget_settings_of(tx.session, workspace_id, box=BOX)
            return identity_secret(settings, box=BOX)

    secrets = await asyncio.gather(*(first_use() for _ in range(4)))
    assert len(set(secrets)) == 1


async def test_an_admin_changes_the_settings(db: Database) -> None:
    async with db.transaction() as tx:
        admin = await make_actor(tx.session)
        changed = await save(tx.session, admin)
    async with db.transaction() as tx:
        stored = await access_widget_settings(tx.session, admin, box=BOX)
    for settings in (changed, stored):
        assert settings.color == "#ff5500"
        assert (settings.position, settings.language) == ("left", "ru")
        assert (settings.greeting_en, settings.greeting_ru) == ("Hello there!", "Добрый день!")
        assert settings.allowed_origins == ["https://shop.example", "http://localhost:3000"]


@pytest.mark.parametrize(
    ("field", "form"),
    [
        ("color", Form(color="blue")),
        ("position", Form(position="middle")),
        ("language", Form(language="de")),
        ("greeting_en", Form(greeting_en="")),
        ("greeting_ru", Form(greeting_ru="я" * 501)),
        ("allowed_origins", Form(allowed_origins=("https://shop.example/cart",))),
        ("allowed_origins", Form(allowed_origins=tuple(f"https://s{n}.example" for n in range(51)))),
    ],
)
async def test_invalid_settings_are_refused_naming_the_field(db: Database, field: str, form: Form) -> None:
    async with db.transaction() as tx:
        admin = await make_actor(tx.session)
        with pytest.raises(InvalidInput) as refused:
            await save(tx.session, admin, form)
        stored = await access_widget_settings(tx.session, admin, box=BOX)
    assert refused.value.params["field"] == field
    assert stored.color == "#2f6fed"


@pytest.mark.parametrize("role", [Role.EDITOR, Role.OPERATOR])
async def test_only_admins_see_or_change_the_settings(db: Database, role: Role) -> None:
    async with db.transaction() as tx:
        someone = await make_actor(tx.session, role=role)
        with pytest.raises(Forbidden):
            await save(tx.session, someone)
        with pytest.raises(Forbidden):
            await regenerate_identity_secret(tx.session, someone, box=BOX)
        with pytest.raises(Forbidden):
            await access_widget_settings(tx.session, someone, box=BOX)


async def test_regenerating_replaces_the_secret(db: Database) -> None:
    async with db.transaction() as tx:
        admin = await make_actor(tx.session)
        before = identity_secret(await access_widget_settings(tx.session, admin, box=BOX), box=BOX)
        returned = await regenerate_identity_secret(tx.session, admin, box=BOX)
        after = await widget_settings_of(tx.session, admin.workspace_id, box=BOX)
    assert returned != before
    assert identity_secret(after, box=BOX) == returned
    assert after.identity_secret != returned


async def test_each_workspace_has_its_own_settings_and_secret(db: Database) -> None:
    async with db.transaction() as tx:
        mine = await make_actor(tx.session)
        theirs = await make_actor(tx.session)
        their_secret = identity_secret(await widget_settings_of(tx.session, theirs.workspace_id, box=BOX), box=BOX)
        await save(tx.session, mine)
        await regenerate_identity_secret(tx.session, mine, box=BOX)
        untouched = await widget_settings_of(tx.session, theirs.workspace_id, box=BOX)
    assert untouched.color == "#2f6fed"
    assert untouched.allowed_origins == []
    assert identity_secret(untouched, box=BOX) == their_secret
