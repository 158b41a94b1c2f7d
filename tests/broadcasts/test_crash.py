"""A broadcast worker killed with SIGKILL in the middle of a broadcast, then started again: nobody
gets the broadcast twice and nobody is left out. The sends in flight at the kill are the only ones
whose fate is unknown (Telegram takes no idempotency key); they are marked unconfirmed and not sent
again (broadcasts.delivery), and the test counts how many of them Telegram had in fact received."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from accounts.roles import Role
from broadcasts.lifecycle import send_now
from broadcasts.models import BroadcastRecipient
from broadcasts.outcomes import lanes_for, sending_rate
from core.db import Database
from tests.broadcasts.seed import SECRET_KEY, T0, broadcast_status, make_bot, make_broadcast, make_subscribers
from tests.factories import make_actor, make_workspace
from tests.fakes.telegram_server import FakeTelegram

SUBSCRIBERS = 600
RATE = 100
START_SECONDS = 90


@contextmanager
def worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`firstline worker`, its output in `log`; killed (if still running) at the end."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("firstline")), "worker"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


async def until(check: Callable[[], Awaitable[bool]], process: subprocess.Popen[bytes], log: Path) -> None:
    async with asyncio.timeout(START_SECONDS):
        while not await check():
            assert process.poll() is None, f"the worker exited:\n{_output(log)}"
            await asyncio.sleep(0.02)


@pytest.mark.timeout(300)
async def test_a_worker_killed_mid_broadcast_and_restarted_sends_to_everyone_once(
    committed_db: Database, committed_url: str, bytecode_cache: Path, tmp_path: Path
) -> None:
    async with FakeTelegram(global_rate=RATE, per_chat_rate=1) as telegram:
        telegram.add_bot("42:TEST", username="shop_bot")
        async with committed_db.transaction() as tx:
            workspace = await make_workspace(tx.session)
            actor = await make_actor(tx.session, role=Role.EDITOR, workspace=workspace)
            bot = await make_bot(tx.session, workspace.id, messages_per_second=RATE, paid_broadcasts=True)
            chats = await make_subscribers(tx.session, bot, SUBSCRIBERS)
            broadcast = await make_broadcast(tx.session, actor, bot.id)
            await send_now(tx.session, actor, broadcast.id, at=T0)
        for chat in chats:
            telegram.add_user(chat)
        env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
        env.update(
            DATABASE_URL=committed_url,
            FIRSTLINE_SECRET_KEY=SECRET_KEY,
            FIRSTLINE_TELEGRAM_API_URL=telegram.base_url,
            FIRSTLINE_DATA_DIR=str(tmp_path),
            FIRSTLINE_LOG_FORMAT="text",
            PYTHONPYCACHEPREFIX=str(bytecode_cache),
        )

        with worker(env, tmp_path / "first.log") as first:

            async def a_third_sent() -> bool:
                return len(telegram.sent) >= SUBSCRIBERS // 3

            await until(a_third_sent, first, tmp_path / "first.log")
            first.kill()
            first.wait(timeout=30)
        sent_before_restart = len(telegram.sent)
        in_flight = await _in_flight(committed_db)

        with worker(env, tmp_path / "second.log") as second:

            async def finished() -> bool:
                return await broadcast_status(committed_db, broadcast.id) == "finished"

            await until(finished, second, tmp_path / "second.log")

        received = telegram.count_by_chat()
        statuses = await _statuses(committed_db)
    unconfirmed = [chat for chat, status in statuses.items() if status == "unconfirmed"]
    lost = [chat for chat in unconfirmed if chat not in received]
    print(  # the figures the issue asks for; the assertions below do not depend on timing
        f"\nkilled after {sent_before_restart} of {SUBSCRIBERS} sends; in flight at the kill: {len(in_flight)}; "
        f"unconfirmed: {len(unconfirmed)}, of which Telegram had received {len(unconfirmed) - len(lost)}"
    )
    assert max(received.values()) == 1, "somebody got the broadcast twice"
    assert Counter(statuses.values()) == Counter(sent=SUBSCRIBERS - len(unconfirmed), unconfirmed=len(unconfirmed))
    assert set(unconfirmed) == set(in_flight)  # only the sends in flight at the kill are in doubt
    assert {chat for chat, status in statuses.items() if status == "sent"} <= set(received)
    assert len(unconfirmed) <= lanes_for(sending_rate(RATE, paid_broadcasts=True))


def _output(log: Path) -> str:
    return log.read_text()


async def _in_flight(database: Database) -> list[int]:
    async with database.transaction() as tx:
        rows = await tx.session.scalars(
            select(BroadcastRecipient.chat_id).where(
                BroadcastRecipient.status == "sending", BroadcastRecipient.in_flight_at.is_not(None)
            )
        )
        return list(rows.all())


async def _statuses(database: Database) -> dict[int, str]:
    async with database.transaction() as tx:
        rows = await tx.session.execute(select(BroadcastRecipient.chat_id, BroadcastRecipient.status))
        return {chat: status for chat, status in rows}
