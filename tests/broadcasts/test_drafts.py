"""Writing broadcasts: what a draft must be, who may write one, and whose it is."""

from datetime import timedelta

import pytest

from accounts.roles import Role
from broadcasts.drafts import (
    BroadcastDraft,
    access_broadcast,
    find_subscribers,
    preview_audience,
    update_broadcast,
)
from conversations.models import Attachment
from core.db import Database
from core.errors import Forbidden, InvalidInput, NotFound
from flows.store import turn_off
from tests.broadcasts.seed import T0, make_bot, make_broadcast, make_published_flow, make_subscriber
from tests.factories import make_actor, make_workspace


async def test_a_draft_is_stored_sanitised_with_its_buttons_and_audience(db: Database) -> None:
    async with db.transaction() as tx:
        session = tx.session
        workspace = await make_workspace(session)
        editor = await make_actor(session, role=Role.EDITOR, workspace=workspace)
        admin = await make_actor(session, role=Role.ADMIN, workspace=workspace)
        bot = await make_bot(session, workspace.id)
        flow_id = await make_published_flow(session, admin)
        broadcast = await make_broadcast(
            session,
            editor,
            bot.id,
            text='<b>Sale</b><script>x</script> <a href="javascript:x">now</a>',
            buttons=[{"label": "Shop", "url": "https://shop.example"}, {"label": "Quiz", "flow_id": flow_id}],
            audience={"properties": {"plan": "pro"}, "active_within_days": 30},
        )
        assert broadcast.status == "draft"
        assert broadcast.text == "<b>Sale</b> now"
        assert broadcast.buttons == [
            {"label": "Shop", "url": "https://shop.example"},
            {"label": "Quiz", "flow_id": flow_id},
        ]
        assert broadcast.audience == {"properties": {"plan": "pro"}, "active_within_days": 30}
        assert broadcast.created_by == editor.operator_id


async def test_a_button_must_start_a_published_flow_of_the_workspace(db: Database) -> None:
    async with db.transaction() as tx:
        session = tx.session
        workspace = await make_workspace(session)
        editor = await make_actor(session, role=Role.ADMIN, workspace=workspace)
        bot = await make_bot(session, workspace.id)
        flow_id = await make_published_flow(session, editor)
        await turn_off(session, editor, flow_id)
        with pytest.raises(InvalidInput, match="Quiz starts a flow that is not published"):
            await make_broadcast(session, editor, bot.id, buttons=[{"label": "Quiz", "flow_id": flow_id}])
        stranger = await make_actor(session, role=Role.ADMIN)
        foreign_flow = await make_published_flow(session, stranger, name="Theirs")
        with pytest.raises(InvalidInput, match="not published"):
            await make_broadcast(session, editor, bot.id, buttons=[{"label": "Quiz", "flow_id": foreign_flow}])


async def test_the_bot_and_the_image_must_be_the_workspaces(db: Database) -> None:
    async with db.transaction() as tx:
        session = tx.session
        workspace = await make_workspace(session)
        editor = await make_actor(session, role=Role.EDITOR, workspace=workspace)
        foreign_bot = await make_bot(session, (await make_workspace(session)).id)
        with pytest.raises(InvalidInput, match="connected Telegram bot"):
            await make_broadcast(session, editor, foreign_bot.id)
        bot = await make_bot(session, workspace.id, token="43:OURS")
        session.add_all(
            [
                Attachment(
                    id="pic", workspace_id=workspace.id, name="a.png", content_type="image/png", size=9, storage_key="k"
                ),
                Attachment(
                    id="doc",
                    workspace_id=workspace.id,
                    name="a.pdf",
                    content_type="application/pdf",
                    size=9,
                    storage_key="k",
                ),
            ]
        )
        await session.flush()
        with pytest.raises(InvalidInput, match="JPEG, PNG or WebP"):
            await make_broadcast(session, editor, bot.id, image_id="doc")
        with pytest.raises(InvalidInput, match="image is gone"):
            await make_broadcast(session, editor, bot.id, image_id="nope")
        with pytest.raises(InvalidInput, match="at most 1024"):
            await make_broadcast(session, editor, bot.id, image_id="pic", text="x" * 1025)
        assert (await make_broadcast(session, editor, bot.id, image_id="pic", text="x" * 1024)).image_id == "pic"


async def test_operators_may_not_and_another_workspaces_broadcast_is_not_found(db: Database) -> None:
    async with db.transaction() as tx:
        session = tx.session
        workspace = await make_workspace(session)
        editor = await make_actor(session, role=Role.EDITOR, workspace=workspace)
        operator = await make_actor(session, role=Role.OPERATOR, workspace=workspace)
        stranger = await make_actor(session, role=Role.ADMIN)
        bot = await make_bot(session, workspace.id)
        broadcast = await make_broadcast(session, editor, bot.id)
        with pytest.raises(Forbidden):
            await make_broadcast(session, operator, bot.id)
        with pytest.raises(Forbidden):
            await access_broadcast(session, operator, broadcast.id)
        with pytest.raises(NotFound):
            await access_broadcast(session, stranger, broadcast.id)
        draft = BroadcastDraft(bot_id=bot.id, name="Renamed", text="Hello")
        with pytest.raises(NotFound):
            await update_broadcast(session, stranger, broadcast.id, draft, at=T0)
        updated = await update_broadcast(session, editor, broadcast.id, draft, at=T0 + timedelta(hours=1))
        assert (updated.name, updated.text, updated.updated_at) == ("Renamed", "Hello", T0 + timedelta(hours=1))


async def test_previewing_the_audience_and_finding_my_own_chat(db: Database) -> None:
    async with db.transaction() as tx:
        session = tx.session
        workspace = await make_workspace(session)
        editor = await make_actor(session, role=Role.EDITOR, workspace=workspace)
        bot = await make_bot(session, workspace.id)
        await make_subscriber(session, bot, 1, username="anna_k", properties={"plan": "pro"})
        await make_subscriber(session, bot, 2, username="boris")
        await make_subscriber(session, bot, 3, username="anna_b", status="unsubscribed")
        assert await preview_audience(session, editor, bot.id, {}, now=T0) == 2
        assert await preview_audience(session, editor, bot.id, {"properties": {"plan": "pro"}}, now=T0) == 1
        found = await find_subscribers(session, editor, bot.id, "@Anna")
        assert sorted((choice.chat_id, choice.subscribed) for choice in found) == [(1, True), (3, False)]
        assert await find_subscribers(session, editor, bot.id, "%") == []
        assert len(await find_subscribers(session, editor, bot.id, "")) == 3  # the most recently active first
