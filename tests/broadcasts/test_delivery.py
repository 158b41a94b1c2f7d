"""Delivering broadcasts through the real aiogram client to the fake Bot API, on a committing
database: everyone once, the blocked unsubscribed and never retried, flood control and failures
waited out, pause, resume and cancel, a revoked token, and "send a test to myself"."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from accounts.actors import Actor
from accounts.roles import Role
from billing.models import UsageRecord
from broadcasts.lifecycle import cancel, pause, resume, send_now
from broadcasts.models import BroadcastRecipient
from broadcasts.outcomes import FREE_PER_SECOND, lanes_for, sending_rate
from channels.telegram.client import TelegramClients
from channels.telegram.models import TelegramBot, TelegramSubscriber
from conversations.models import Attachment
from core.clock import FrozenClock
from core.db import Database
from core.files import LocalFileStore
from core.ids import BroadcastId
from tests.broadcasts.conftest import make_runner, running, wait_for_status
from tests.broadcasts.seed import (
    T0,
    make_bot,
    make_broadcast,
    make_published_flow,
    make_subscribers,
    recipient_statuses,
)
from tests.factories import make_actor, make_workspace
from tests.fakes.telegram_server import FakeTelegram

LANES = lanes_for(sending_rate(FREE_PER_SECOND, paid_broadcasts=False))  # sends under way at once


@dataclass
class Seeded:
    actor: Actor
    bot: TelegramBot
    chats: list[int]
    broadcast_id: BroadcastId


async def seeded(
    database: Database,
    telegram: FakeTelegram,
    count: int,
    *,
    messages_per_second: int = 30,
    paid: bool = False,
    buttons: list[dict[str, object]] | None = None,
    start: bool = True,
) -> Seeded:
    async with database.transaction() as tx:
        workspace = await make_workspace(tx.session)
        actor = await make_actor(tx.session, role=Role.ADMIN, workspace=workspace)
        bot = await make_bot(tx.session, workspace.id, messages_per_second=messages_per_second, paid_broadcasts=paid)
        chats = await make_subscribers(tx.session, bot, count)
        if buttons and any("flow_id" in button for button in buttons):
            flow_id = await make_published_flow(tx.session, actor)
            buttons = [{**button, "flow_id": flow_id} if "flow_id" in button else button for button in buttons]
        broadcast = await make_broadcast(tx.session, actor, bot.id, buttons=buttons)
        if start:
            await send_now(tx.session, actor, broadcast.id, at=T0)
    for chat in chats:
        telegram.add_user(chat)
    return Seeded(actor, bot, chats, broadcast.id)


async def subscriber_states(database: Database, chats: list[int]) -> dict[int, tuple[str, str | None]]:
    async with database.transaction() as tx:
        rows = await tx.session.execute(
            select(TelegramSubscriber.chat_id, TelegramSubscriber.status, TelegramSubscriber.unsubscribed_reason).where(
                TelegramSubscriber.chat_id.in_(chats)
            )
        )
        return {chat: (status, reason) for chat, status, reason in rows}


async def test_everyone_gets_it_once_the_unreachable_are_unsubscribed_and_never_retried(
    committed_db: Database, telegram: FakeTelegram, clients: TelegramClients, files: LocalFileStore
) -> None:
    world = await seeded(
        committed_db,
        telegram,
        20,
        buttons=[{"label": "Shop", "url": "https://shop.example"}, {"label": "Quiz", "flow_id": 0}],
    )
    blocked, deleted, unknown = world.chats[3], world.chats[7], world.chats[11]
    telegram.block(blocked)
    telegram.deactivate(deleted)
    telegram.users.pop(unknown)  # Telegram answers "chat not found"
    runner = make_runner(committed_db, clients, files)
    async with running(runner):
        assert await wait_for_status(committed_db, world.broadcast_id, "finished") == "finished"

    reachable = set(world.chats) - {blocked, deleted, unknown}
    assert telegram.count_by_chat() == Counter(dict.fromkeys(reachable, 1))
    message = telegram.sent[0]
    assert (message.method, message.text, message.parse_mode) == ("sendMessage", "<b>Sale</b> today", "HTML")
    assert message.reply_markup == {
        "inline_keyboard": [
            [{"text": "Shop", "url": "https://shop.example"}],
            [{"text": "Quiz", "callback_data": f"bc:{world.broadcast_id}:1"}],
        ]
    }
    tried = Counter(call.params.get("chat_id") for call in telegram.requests if call.method == "sendMessage")
    assert [tried[str(chat)] for chat in (blocked, deleted, unknown)] == [1, 1, 1]
    assert await recipient_statuses(committed_db, world.broadcast_id) == Counter(sent=17, blocked=2, failed=1)
    states = await subscriber_states(committed_db, [blocked, deleted, unknown, world.chats[0]])
    assert states == {
        blocked: ("unsubscribed", "blocked"),
        deleted: ("unsubscribed", "deactivated"),
        unknown: ("unsubscribed", "chat-not-found"),
        world.chats[0]: ("subscribed", None),
    }
    async with committed_db.transaction() as tx:
        keys = set(await tx.session.scalars(select(UsageRecord.idempotency_key)))
        recipient_ids = await tx.session.scalars(
            select(BroadcastRecipient.id).where(BroadcastRecipient.status == "sent")
        )
        assert keys == {f"broadcast:{world.broadcast_id}:{recipient}" for recipient in recipient_ids}


async def test_flood_control_is_waited_out_and_nobody_gets_it_twice(
    committed_db: Database, telegram: FakeTelegram, clients: TelegramClients, files: LocalFileStore
) -> None:
    telegram.global_rate = 10  # the bot paces at 30/s: Telegram refuses about two thirds, saying retry after 1 s
    world = await seeded(committed_db, telegram, 40)
    async with running(make_runner(committed_db, clients, files)):
        await wait_for_status(committed_db, world.broadcast_id, "finished")
    assert telegram.flood_refusals > 0
    assert telegram.count_by_chat() == Counter(dict.fromkeys(world.chats, 1))
    assert await recipient_statuses(committed_db, world.broadcast_id) == Counter(sent=40)


async def test_a_429_waits_exactly_retry_after_and_a_5xx_backs_off_until_it_gives_up(
    committed_db: Database, telegram: FakeTelegram, clients: TelegramClients, files: LocalFileStore
) -> None:
    world = await seeded(committed_db, telegram, 2)
    clock = FrozenClock(T0)
    runner = make_runner(committed_db, clients, files, clock)
    telegram.fail_next("sendMessage", status=429, description="Too Many Requests: retry after 1", retry_after=1)
    telegram.fail_next("sendMessage", status=502, description="Bad Gateway")
    assert await runner.deliver_once() == 0
    async with committed_db.transaction() as tx:
        rows = (
            await tx.session.execute(
                select(BroadcastRecipient.status, BroadcastRecipient.next_attempt_at, BroadcastRecipient.attempts)
                .where(BroadcastRecipient.broadcast_id == world.broadcast_id)
                .order_by(BroadcastRecipient.id)
            )
        ).all()
    flooded, broken = rows
    assert tuple(flooded) == ("pending", T0 + timedelta(seconds=1), 0)  # a 429 is no attempt
    assert tuple(broken) == ("pending", T0 + timedelta(seconds=10), 1)
    clock.advance(timedelta(seconds=1))
    assert await runner.deliver_once() == 1  # the flooded one; the broken one is not due yet
    telegram.fail_next("sendMessage", status=502, description="Bad Gateway", times=4)
    for _ in range(4):
        clock.advance(timedelta(minutes=10))
        await runner.deliver_once()
    assert await recipient_statuses(committed_db, world.broadcast_id) == Counter(sent=1, failed=1)
    assert telegram.count_by_chat() == Counter({world.chats[0]: 1})
    assert await wait_for_status(committed_db, world.broadcast_id, "finished") == "finished"


async def test_pause_holds_everyone_back_resume_goes_on_and_cancel_skips_the_rest(
    committed_db: Database, telegram: FakeTelegram, clients: TelegramClients, files: LocalFileStore
) -> None:
    world = await seeded(committed_db, telegram, 90)
    async with running(make_runner(committed_db, clients, files)):
        while len(telegram.sent) < 15:
            await _tick()
        async with committed_db.transaction() as tx:
            await pause(tx.session, world.actor, world.broadcast_id, at=T0)
        at_pause = len(telegram.sent)
        for _ in range(10):
            await _tick()
        assert len(telegram.sent) <= at_pause + LANES  # a lane's send in flight when it paused still lands
        after_pause = len(telegram.sent)
        async with committed_db.transaction() as tx:
            await resume(tx.session, world.actor, world.broadcast_id, at=T0)
        while len(telegram.sent) < after_pause + 15:
            await _tick()
        async with committed_db.transaction() as tx:
            await cancel(tx.session, world.actor, world.broadcast_id, at=T0)
        at_cancel = len(telegram.sent)
        for _ in range(10):
            await _tick()
    statuses = await recipient_statuses(committed_db, world.broadcast_id)
    assert statuses["sent"] == len(telegram.sent) <= at_cancel + LANES
    assert statuses["sent"] + statuses["skipped"] == 90
    assert set(telegram.count_by_chat().values()) == {1}


async def test_a_revoked_token_pauses_the_broadcast_saying_why(
    committed_db: Database, telegram: FakeTelegram, clients: TelegramClients, files: LocalFileStore
) -> None:
    world = await seeded(committed_db, telegram, 5)
    telegram.fail_next("sendMessage", status=401, description="Unauthorized")
    runner = make_runner(committed_db, clients, files)
    await runner.deliver_once()
    assert await wait_for_status(committed_db, world.broadcast_id, "paused") == "paused"
    # The other lane's send may have begun before the pause: it goes, the rest wait.
    assert await recipient_statuses(committed_db, world.broadcast_id) in (
        Counter(pending=5),
        Counter(pending=4, sent=1),
    )
    async with committed_db.transaction() as tx:
        await resume(tx.session, world.actor, world.broadcast_id, at=T0)
    await runner.deliver_once()
    assert await recipient_statuses(committed_db, world.broadcast_id) == Counter(sent=5)


async def test_an_image_goes_as_a_photo_with_the_text_as_its_caption_uploaded_once(
    committed_db: Database, telegram: FakeTelegram, clients: TelegramClients, files: LocalFileStore
) -> None:
    world = await seeded(committed_db, telegram, 5, start=False)
    await files.put("pics/sale.png", b"\x89PNG fake image")
    async with committed_db.transaction() as tx:
        tx.session.add(
            Attachment(
                id="sale-png",
                workspace_id=world.actor.workspace_id,
                name="sale.png",
                content_type="image/png",
                size=15,
                storage_key="pics/sale.png",
            )
        )
        await tx.session.flush()
        broadcast = await make_broadcast(tx.session, world.actor, world.bot.id, image_id="sale-png")
        await send_now(tx.session, world.actor, broadcast.id, at=T0)
    await make_runner(committed_db, clients, files).deliver_once()
    assert [(sent.method, sent.caption, sent.file_size) for sent in telegram.sent] == [
        ("sendPhoto", "<b>Sale</b> today", 15)
    ] * 5
    # Uploaded once per lane under way at the start (two), then Telegram's copy is named.
    photos = [str(request.params["photo"]) for request in telegram.requests if request.method == "sendPhoto"]
    uploads = [photo for photo in photos if photo.startswith("attach://")]
    assert 1 <= len(uploads) <= 2 and len(set(photos) - set(uploads)) == 1


async def test_a_test_send_goes_to_the_chosen_subscriber_and_is_metered(
    committed_db: Database, telegram: FakeTelegram, clients: TelegramClients, files: LocalFileStore
) -> None:
    world = await seeded(committed_db, telegram, 3, start=False)
    async with committed_db.transaction() as tx:
        broadcast = await make_broadcast(tx.session, world.actor, world.bot.id, text="Try <i>this</i>")
        me = await tx.session.scalar(select(TelegramSubscriber.id).where(TelegramSubscriber.chat_id == world.chats[1]))
    assert me is not None
    runner = make_runner(committed_db, clients, files)
    message_id = await runner.sender.send_test(world.actor, broadcast.id, me)
    assert [(sent.chat_id, sent.text, sent.message_id) for sent in telegram.sent] == [
        (world.chats[1], "Try <i>this</i>", message_id)
    ]
    async with committed_db.transaction() as tx:
        keys = list(await tx.session.scalars(select(UsageRecord.idempotency_key)))
    assert keys == [f"broadcast-test:{broadcast.id}:{world.chats[1]}:{message_id}"]


async def _tick() -> None:
    await asyncio.sleep(0.05)


async def test_a_dead_workers_claims_are_sent_again_unless_they_were_in_flight(
    committed_db: Database, telegram: FakeTelegram, clients: TelegramClients, files: LocalFileStore
) -> None:
    world = await seeded(committed_db, telegram, 4)
    async with committed_db.transaction() as tx:  # as a killed worker leaves them
        ids = list(
            await tx.session.scalars(
                select(BroadcastRecipient.id)
                .where(BroadcastRecipient.broadcast_id == world.broadcast_id)
                .order_by(BroadcastRecipient.id)
            )
        )
        claimed = update(BroadcastRecipient).where(BroadcastRecipient.id.in_(ids[:3]))
        await tx.session.execute(claimed.values(status="sending", claim_token=7, locked_until=T0 + timedelta(hours=1)))
        in_flight = update(BroadcastRecipient).where(BroadcastRecipient.id == ids[0])
        await tx.session.execute(in_flight.values(in_flight_at=T0, attempts=1))
    await make_runner(committed_db, clients, files).deliver_once()
    assert telegram.count_by_chat() == Counter(dict.fromkeys(world.chats[1:], 1))
    assert await recipient_statuses(committed_db, world.broadcast_id) == Counter(sent=3, unconfirmed=1)
    assert await wait_for_status(committed_db, world.broadcast_id, "finished") == "finished"


async def test_a_send_that_timed_out_is_unconfirmed_and_never_sent_again(
    committed_db: Database, telegram: FakeTelegram, files: LocalFileStore
) -> None:
    world = await seeded(committed_db, telegram, 2)
    impatient = TelegramClients(telegram.base_url, timeout=0.3)
    runner = make_runner(committed_db, impatient, files)
    try:
        telegram.delay(1.0)  # Telegram takes the sends, and answers after the client gave up
        await runner.deliver_once()
        telegram.delay(0)
        assert await wait_for_status(committed_db, world.broadcast_id, "finished") == "finished"
        for _ in range(3):
            await runner.deliver_once()
    finally:
        await impatient.close()
    assert await recipient_statuses(committed_db, world.broadcast_id) == Counter(unconfirmed=2)
    for _ in range(100):  # the late sends land
        if telegram.count_by_chat() == Counter(dict.fromkeys(world.chats, 1)):
            break
        await asyncio.sleep(0.02)
    assert telegram.count_by_chat() == Counter(dict.fromkeys(world.chats, 1))
