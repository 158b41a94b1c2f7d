"""Two thousand subscribers through the fake enforcing Telegram's limits (a paid bot at 300/s, and
1/s per chat): every one gets the broadcast exactly once, with one worker or two sharing the bot."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from accounts.roles import Role
from broadcasts.lifecycle import send_now
from channels.telegram.client import TelegramClients
from core.db import Database
from core.files import LocalFileStore
from tests.broadcasts.conftest import make_runner, running, wait_for_status
from tests.broadcasts.seed import T0, make_bot, make_broadcast, make_subscribers, recipient_statuses
from tests.factories import make_actor, make_workspace
from tests.fakes.telegram_server import FakeTelegram

SUBSCRIBERS = 2_000
RATE = 300


@pytest.mark.timeout(240)
@pytest.mark.parametrize("workers", [1, 2])
async def test_two_thousand_subscribers_each_get_it_exactly_once(
    committed_db: Database,
    telegram: FakeTelegram,
    clients: TelegramClients,
    files: LocalFileStore,
    workers: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    telegram.global_rate, telegram.per_chat_rate = RATE, 1
    async with committed_db.transaction() as tx:
        workspace = await make_workspace(tx.session)
        actor = await make_actor(tx.session, role=Role.EDITOR, workspace=workspace)
        bot = await make_bot(tx.session, workspace.id, messages_per_second=RATE, paid_broadcasts=True)
        chats = await make_subscribers(tx.session, bot, SUBSCRIBERS)
        broadcast = await make_broadcast(tx.session, actor, bot.id)
        await send_now(tx.session, actor, broadcast.id, at=T0)
    for chat in chats:
        telegram.add_user(chat)
    started = time.monotonic()
    runners = [make_runner(committed_db, clients, files) for _ in range(workers)]
    async with running(runners[0]):
        if workers == 2:
            async with running(runners[1]):
                await wait_for_status(committed_db, broadcast.id, "finished")
        else:
            await wait_for_status(committed_db, broadcast.id, "finished")
    assert telegram.count_by_chat() == Counter(dict.fromkeys(chats, 1))
    assert await recipient_statuses(committed_db, broadcast.id) == Counter(sent=SUBSCRIBERS)
    with capsys.disabled():  # figures for the reader; nothing here depends on them
        seconds = time.monotonic() - started
        rate = SUBSCRIBERS / seconds
        print(f"\n{SUBSCRIBERS} sends by {workers} worker(s) in {seconds:.1f} s ({rate:.0f}/s of {RATE}), ", end="")
        print(f"{telegram.flood_refusals} flood refusals")
