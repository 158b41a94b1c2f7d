"""A broadcast's life through the service: send now, schedule, pause, resume, cancel, progress,
the list, and a press of its flow button."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from accounts.models import Workspace
from accounts.roles import Role
from broadcasts.lifecycle import cancel, pause, resume, schedule, send_now, start_if_due, unschedule
from broadcasts.models import BroadcastRecipient
from broadcasts.presses import FlowPress, resolve_broadcast_press
from broadcasts.progress import list_broadcasts, progress
from core.db import Database
from core.errors import Conflict, InvalidInput
from flows.store import turn_off
from tests.broadcasts.seed import T0, make_bot, make_broadcast, make_published_flow, make_subscribers
from tests.factories import make_actor, make_workspace


async def test_send_now_plans_everyone_and_progress_counts_them(db: Database) -> None:
    async with db.transaction() as tx:
        session = tx.session
        workspace = await make_workspace(session)
        editor = await make_actor(session, role=Role.EDITOR, workspace=workspace)
        bot = await make_bot(session, workspace.id)
        await make_subscribers(session, bot, 12)
        broadcast = await make_broadcast(session, editor, bot.id)
        assert await send_now(session, editor, broadcast.id, at=T0) == 12
        assert (broadcast.status, broadcast.started_at) == ("sending", T0)
        with pytest.raises(Conflict):
            await send_now(session, editor, broadcast.id, at=T0)
        shown = await progress(session, editor, broadcast.id)
        assert (shown.status, shown.total, shown.pending, shown.sent, shown.done) == ("sending", 12, 12, 0, 0)
        listed = await list_broadcasts(session, editor)
        assert [(item.id, item.recipients, item.sent, item.bot_username) for item in listed] == [
            (broadcast.id, 12, 0, bot.username)
        ]


async def test_pause_resume_and_cancel_skip_whoever_is_still_pending(db: Database) -> None:
    async with db.transaction() as tx:
        session = tx.session
        workspace = await make_workspace(session)
        editor = await make_actor(session, role=Role.EDITOR, workspace=workspace)
        bot = await make_bot(session, workspace.id)
        await make_subscribers(session, bot, 5)
        broadcast = await make_broadcast(session, editor, bot.id)
        await send_now(session, editor, broadcast.id, at=T0)
        await pause(session, editor, broadcast.id, at=T0)
        with pytest.raises(Conflict):
            await pause(session, editor, broadcast.id, at=T0)
        await resume(session, editor, broadcast.id, at=T0)
        # Two were sent meanwhile; one was claimed by a worker, not yet in flight.
        first_ids = list(
            await session.scalars(
                select(BroadcastRecipient.id)
                .where(BroadcastRecipient.broadcast_id == broadcast.id)
                .order_by(BroadcastRecipient.id)
            )
        )
        await session.execute(
            update(BroadcastRecipient).where(BroadcastRecipient.id.in_(first_ids[:2])).values(status="sent")
        )
        await session.execute(
            update(BroadcastRecipient)
            .where(BroadcastRecipient.id == first_ids[2])
            .values(status="sending", claim_token=1)
        )
        await cancel(session, editor, broadcast.id, at=T0 + timedelta(minutes=1))
        shown = await progress(session, editor, broadcast.id)
        assert (shown.status, shown.sent, shown.skipped, shown.pending) == ("cancelled", 2, 3, 0)
        assert broadcast.finished_at == T0 + timedelta(minutes=1)
        with pytest.raises(Conflict):
            await resume(session, editor, broadcast.id, at=T0)


async def test_schedule_takes_a_local_time_in_the_workspaces_zone(db: Database) -> None:
    async with db.transaction() as tx:
        session = tx.session
        workspace = await make_workspace(session)
        workspace_row = await session.get(Workspace, workspace.id)
        assert workspace_row is not None
        workspace_row.timezone = "Europe/Moscow"
        editor = await make_actor(session, role=Role.EDITOR, workspace=workspace)
        bot = await make_bot(session, workspace.id)
        await make_subscribers(session, bot, 3)
        broadcast = await make_broadcast(session, editor, bot.id)
        at = await schedule(session, editor, broadcast.id, datetime.fromisoformat("2026-03-02 15:00"), now=T0)
        assert at == T0.replace(hour=12)  # 15:00 in Moscow is 12:00 UTC
        assert (broadcast.status, broadcast.scheduled_at) == ("scheduled", at)
        in_almaty = await schedule(
            session, editor, broadcast.id, datetime.fromisoformat("2026-03-02 15:00"), "Asia/Almaty", now=T0
        )
        assert in_almaty == T0.replace(hour=10)
        with pytest.raises(InvalidInput, match="in the future"):
            await schedule(session, editor, broadcast.id, datetime.fromisoformat("2026-03-02 11:59"), now=T0)

        assert not await start_if_due(session, broadcast.id, now=in_almaty - timedelta(seconds=1))
        assert await start_if_due(session, broadcast.id, now=in_almaty)
        assert not await start_if_due(session, broadcast.id, now=in_almaty)  # twice is harmless
        assert (broadcast.status, broadcast.recipient_count) == ("sending", 3)


async def test_a_due_broadcast_whose_audience_emptied_is_cancelled_saying_why(db: Database) -> None:
    async with db.transaction() as tx:
        session = tx.session
        workspace = await make_workspace(session)
        editor = await make_actor(session, role=Role.EDITOR, workspace=workspace)
        bot = await make_bot(session, workspace.id)
        broadcast = await make_broadcast(session, editor, bot.id)
        at = await schedule(session, editor, broadcast.id, datetime.fromisoformat("2026-03-03 10:00"), now=T0)
        await unschedule(session, editor, broadcast.id, at=T0)
        assert (broadcast.status, broadcast.scheduled_at) == ("draft", None)
        await schedule(session, editor, broadcast.id, datetime.fromisoformat("2026-03-03 10:00"), now=T0)
        assert not await start_if_due(session, broadcast.id, now=at)
        assert broadcast.status == "cancelled"
        assert broadcast.last_error == "Nobody matches this audience: every subscriber of the bot."


async def test_a_flow_buttons_press_names_its_flow_only_while_it_is_published(db: Database) -> None:
    async with db.transaction() as tx:
        session = tx.session
        workspace = await make_workspace(session)
        editor = await make_actor(session, role=Role.ADMIN, workspace=workspace)
        bot = await make_bot(session, workspace.id)
        flow_id = await make_published_flow(session, editor)
        broadcast = await make_broadcast(
            session,
            editor,
            bot.id,
            buttons=[{"label": "Site", "url": "https://shop.example"}, {"label": "Quiz", "flow_id": flow_id}],
        )
        assert await resolve_broadcast_press(session, workspace.id, f"bc:{broadcast.id}:1") == FlowPress(
            flow_id, "Quiz"
        )
        assert await resolve_broadcast_press(session, workspace.id, f"bc:{broadcast.id}:0") is None  # a link
        assert await resolve_broadcast_press(session, workspace.id, f"bc:{broadcast.id}:2") is None
        other = await make_workspace(session)
        assert await resolve_broadcast_press(session, other.id, f"bc:{broadcast.id}:1") is None
        assert await resolve_broadcast_press(session, workspace.id, "opt:1") is None
        await turn_off(session, editor, flow_id)
        assert await resolve_broadcast_press(session, workspace.id, f"bc:{broadcast.id}:1") is None
