"""A Telegram broadcast to 10,000 subscribers through the fake Bot API enforcing Telegram's free
limits (30 messages/s per bot, 1/s per chat; 429 with retry_after above them), sent by a real
`firstline worker` process on embedded PostgreSQL. Figures: the sustained rate as a
fraction of the limit (target >= 0.95), the p50/p99/max gap between consecutive sends (the fake's
acceptance times), flood refusals, duplicates and losses (target 0/0); then the same with the worker
killed (SIGKILL) half way and started again, counting the sends left unconfirmed by the kill.
Baseline in the same run: a bare aiogram loop at the same pacing (SendPacer, 429 honoured), no
database, against the same fake; the worker's rate is also given as a ratio to it.

    uv run --frozen --no-sync python -m bench.broadcast_telegram [--subscribers 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from accounts.actors import Actor
from accounts.roles import Role
from bench.flows_bot import _percentile
from bench.widget_load import Children, _child_environment
from broadcasts.lifecycle import send_now
from broadcasts.models import Broadcast, BroadcastRecipient
from broadcasts.outcomes import FREE_PER_SECOND, sending_rate
from channels.telegram.client import RateLimited, TelegramClients, failure_of
from channels.telegram.pacing import SendPacer
from core.db import Database, create_engine
from core.embedded_db import embedded_postgres
from core.ids import BroadcastId, TelegramBotId
from core.migrate import ensure_database_exists, migrate
from tests.broadcasts.seed import SECRET_KEY, T0, TOKEN, make_bot, make_broadcast, make_subscribers
from tests.factories import make_actor, make_workspace
from tests.fakes.telegram_server import FakeTelegram

FIRST_CHAT = 100_000
FINISH_SLACK_SECONDS = 120


@dataclass(frozen=True)
class Seeded:
    actor: Actor
    bot_id: TelegramBotId
    chats: list[int]


@dataclass(frozen=True)
class Run:
    label: str
    times: list[float]  # the fake's acceptance times, in order
    received: dict[int, int]  # chat -> messages
    refusals: int
    unconfirmed: int = 0
    downtime: float = 0.0  # seconds from the kill to the first send after it
    refused: tuple[tuple[float, str], ...] = ()  # flood refusals: seconds after the first send, limit

    @property
    def rate(self) -> float:
        busy = self.times[-1] - self.times[0] - self.downtime
        return (len(self.times) - 1) / busy if busy > 0 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=10_000)
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    children = Children()
    try:
        with tempfile.TemporaryDirectory(prefix="firstline-broadcast-") as scratch_name:
            scratch = Path(scratch_name)
            with embedded_postgres(scratch / "pg") as server:
                asyncio.run(ensure_database_exists(server.url(), "firstline"))
                runs = asyncio.run(_measure(server.url("firstline"), args.subscribers, children, scratch))
    finally:
        children.stop_all()
    _report(runs, args.subscribers)


async def _measure(url: str, subscribers: int, children: Children, scratch: Path) -> list[Run]:
    engine = create_engine(url, pool_size=4)
    database = Database.from_engine(engine)
    try:
        await migrate(engine)
        seeded = await _seed(database, subscribers)
        return [
            await _bare_loop(seeded),
            await _worker_run(database, seeded, children, scratch, kill=False),
            await _worker_run(database, seeded, children, scratch, kill=True),
        ]
    finally:
        await engine.dispose()


async def _seed(database: Database, subscribers: int) -> Seeded:
    async with database.transaction() as tx:
        workspace = await make_workspace(tx.session, slug="bench")
        actor = await make_actor(tx.session, role=Role.EDITOR, workspace=workspace)
        bot = await make_bot(tx.session, workspace.id, messages_per_second=FREE_PER_SECOND)
        chats = await make_subscribers(tx.session, bot, subscribers, first_chat_id=FIRST_CHAT)
    return Seeded(actor, bot.id, chats)


def _fake() -> FakeTelegram:
    fake = FakeTelegram(global_rate=FREE_PER_SECOND, per_chat_rate=1)
    fake.add_bot(TOKEN, username="bench_bot")
    return fake


async def _bare_loop(seeded: Seeded) -> Run:
    """The denominator: aiogram sending one message per chat at the worker's pace, no database."""
    rate = sending_rate(FREE_PER_SECOND, paid_broadcasts=False)
    async with _fake() as fake:
        for chat in seeded.chats:
            fake.add_user(chat)
        clients, pacer = TelegramClients(fake.base_url), SendPacer()
        bot = clients.bot(TOKEN)
        try:
            for chat in seeded.chats:
                while True:
                    await pacer.wait_turn(seeded.bot_id, chat, rate)
                    try:
                        await bot.send_message(chat, "<b>Sale</b> today", parse_mode="HTML")
                        break
                    except Exception as error:  # a benchmark's loop: only flood control is expected
                        failure = failure_of(error)
                        if not isinstance(failure, RateLimited):
                            raise
                        pacer.hold(seeded.bot_id, failure.retry_after)
        finally:
            await clients.close()
        return _run("bare aiogram loop", fake)


async def _worker_run(database: Database, seeded: Seeded, children: Children, scratch: Path, *, kill: bool) -> Run:
    label = "worker, SIGKILL half way and restart" if kill else "worker"
    async with _fake() as fake:
        for chat in seeded.chats:
            fake.add_user(chat)
        broadcast_id = await _start_broadcast(database, seeded)
        env = _child_environment(scratch) | {
            "DATABASE_URL": database_url(database),
            "FIRSTLINE_SECRET_KEY": SECRET_KEY,
            "FIRSTLINE_TELEGRAM_API_URL": fake.base_url,
            "FIRSTLINE_DATA_DIR": str(scratch / "data"),
            "FIRSTLINE_LOG_LEVEL": "WARNING",
        }
        command = [str(Path(sys.executable).with_name("firstline")), "worker"]
        log = scratch / f"worker-{broadcast_id}.log"
        worker = children.start(command, env=env, log=log)
        downtime = 0.0
        if kill:
            await _until(lambda: len(fake.sent) >= len(seeded.chats) // 2, worker, log)
            worker.kill()
            worker.wait()
            killed_at, sent_at_kill = time.monotonic(), len(fake.sent)
            children.stop(worker)
            worker = children.start(command, env=env, log=log)
            await _until(lambda: len(fake.sent) > sent_at_kill, worker, log)
            downtime = fake.sent[sent_at_kill].at - killed_at
        await _until_finished(database, broadcast_id, worker, log, len(seeded.chats))
        children.stop(worker)
        unconfirmed = await _count(database, broadcast_id, "unconfirmed")
        return _run(label, fake, unconfirmed=unconfirmed, downtime=downtime)


def database_url(database: Database) -> str:
    assert database.engine is not None
    return database.engine.url.render_as_string(hide_password=False)


async def _start_broadcast(database: Database, seeded: Seeded) -> BroadcastId:
    async with database.transaction() as tx:
        broadcast = await make_broadcast(tx.session, seeded.actor, seeded.bot_id)
        await send_now(tx.session, seeded.actor, broadcast.id, at=T0)
    return broadcast.id


async def _until(check: Callable[[], bool], worker: subprocess.Popen[bytes], log: Path) -> None:
    while not check():
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited:\n{_tail(log)}")
        await asyncio.sleep(0.01)


def _tail(log: Path) -> str:
    return log.read_text()[-4000:]


async def _until_finished(
    database: Database, broadcast_id: BroadcastId, worker: subprocess.Popen[bytes], log: Path, subscribers: int
) -> None:
    deadline = time.monotonic() + subscribers / FREE_PER_SECOND + FINISH_SLACK_SECONDS
    while time.monotonic() < deadline:
        async with database.transaction() as tx:
            status = await tx.session.scalar(select(Broadcast.status).where(Broadcast.id == broadcast_id))
        if status == "finished":
            return
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited:\n{_tail(log)}")
        await asyncio.sleep(0.2)
    raise TimeoutError(f"broadcast {broadcast_id} not finished in time")


async def _count(database: Database, broadcast_id: BroadcastId, status: str) -> int:
    async with database.transaction() as tx:
        counted = await tx.session.scalar(
            select(func.count()).where(
                BroadcastRecipient.broadcast_id == broadcast_id, BroadcastRecipient.status == status
            )
        )
    return int(counted or 0)


def _run(label: str, fake: FakeTelegram, *, unconfirmed: int = 0, downtime: float = 0.0) -> Run:
    return Run(
        label,
        [sent.at for sent in fake.sent],
        dict(fake.count_by_chat()),
        fake.flood_refusals,
        unconfirmed,
        downtime,
        tuple((at - fake.sent[0].at, limit) for at, _, limit in fake.refused),
    )


def _report(runs: Sequence[Run], subscribers: int) -> None:
    baseline = runs[0].rate
    print(f"{subscribers} subscribers; the fake allows {FREE_PER_SECOND} messages/s per bot and 1/s per chat")
    for run in runs:
        gaps = sorted(1000 * (later - earlier) for earlier, later in zip(run.times, run.times[1:], strict=False))
        if run.downtime:
            gaps = gaps[:-1]  # the restart itself is reported apart
        duplicates = sum(count - 1 for count in run.received.values() if count > 1)
        losses = subscribers - len(run.received)
        print(f"  {run.label}:")
        print(
            f"    sustained {run.rate:.2f} msg/s = {run.rate / FREE_PER_SECOND:.3f} of the limit "
            f"({run.rate / baseline:.3f} of the bare loop); {run.refusals} flood refusals"
        )
        print(
            f"    gap between sends p50 {statistics.median(gaps):.1f} ms, p99 {_percentile(gaps, 0.99):.1f} ms, "
            f"max {gaps[-1]:.1f} ms"
        )
        print(f"    duplicates {duplicates}, losses {losses}", end="")
        if run.downtime:
            print(f"; unconfirmed at the kill {run.unconfirmed}; restart took {run.downtime:.1f} s", end="")
        print()
        if run.refused:
            print(
                "    refusals (s after the first send, limit): "
                + ", ".join(f"{at:.1f} {limit}" for at, limit in run.refused)
            )
    fraction = runs[1].rate / FREE_PER_SECOND
    clean = all(
        sum(count - 1 for count in run.received.values() if count > 1) == 0 and len(run.received) == subscribers
        for run in runs[1:]
    )
    print(
        f"  target (>= 0.95 of the limit, 0 duplicates, 0 losses): {'MET' if fraction >= 0.95 and clean else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
