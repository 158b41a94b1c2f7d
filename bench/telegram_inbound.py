"""Telegram updates through the webhook edge to a persisted message (issue 7).

A `firstline serve` process on embedded PostgreSQL with one connected bot (webhook mode). Like
Telegram (at most 40 connections per webhook), 40 concurrent senders POST updates with the bot's
secret-token header, as fast as they are answered, for `--seconds`: text messages from 200 people,
each person's first message first (a new subscriber and dialog: reported apart), then the load, into
their open dialogs. Each answer (200) means the update is stored (the dialog waits for an operator:
no flow runs). Reported: updates/s, the answer latency p50/p99 and the server's CPU per update;
then every update is sent again (Telegram's redelivery) and the messages are counted: none lost,
none twice. Baseline in the same run: the same senders and process answering
`GET /healthz` (HTTP and nothing else).

    uv run --frozen --no-sync python -m bench.telegram_inbound [--seconds 15]

Target: at least 500 updates/s on one process.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
import psutil
from sqlalchemy import func, select

from accounts.workspaces import create_workspace
from bench.flows_bot import SECRET_KEY, _describe, _percentile
from bench.load_generator import raise_open_files_limit
from bench.widget_load import Children, _child_environment, serve_firstline
from channels.telegram.connections import WebhookSecrets
from channels.telegram.models import WEBHOOK, TelegramBot
from conversations.models import Message
from core.crypto import SecretBox
from core.db import Database, create_engine
from core.embedded_db import embedded_postgres
from core.migrate import ensure_database_exists, migrate

CONNECTIONS = 40  # Telegram's default max_connections for a webhook
PEOPLE = 200
CONNECTION_ID = "bench-connection"
TOKEN = "123456:bench-token"  # noqa: S105 (a made-up bot token)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15.0, help="how long each load runs")
    args = parser.parse_args()
    raise_open_files_limit()
    children = Children()
    try:
        with tempfile.TemporaryDirectory(prefix="firstline-telegram-inbound-") as scratch_name:
            scratch = Path(scratch_name)
            with embedded_postgres(scratch / "pg") as server:
                asyncio.run(ensure_database_exists(server.url(), "firstline"))
                url = server.url("firstline")
                asyncio.run(_seed(url))
                process, base = serve_firstline(children, _child_environment(scratch), scratch, url, SECRET_KEY)
                serving = psutil.Process(process.pid)
                started_cpu = _cpu_seconds(serving)
                baseline_rate, baseline, answered = asyncio.run(_load(base, args.seconds, _health))
                baseline_cpu = _cpu_seconds(serving)
                began = time.perf_counter()
                asyncio.run(_resend(base, range(1, PEOPLE + 1)))  # each person's first message
                first_rate = PEOPLE / (time.perf_counter() - began)
                first_cpu = _cpu_seconds(serving) - baseline_cpu
                rate, latencies, sent = asyncio.run(_load(base, args.seconds, _webhook, first=PEOPLE + 1))
                update_cpu = _cpu_seconds(serving) - baseline_cpu - first_cpu
                baseline_cpu -= started_cpu
                sent += PEOPLE
                stored_first = asyncio.run(_stored(url))
                asyncio.run(_resend(base, range(1, sent + 1)))
                stored_after = asyncio.run(_stored(url))
    finally:
        children.stop_all()
    print(f"first messages of {PEOPLE} people: {first_rate:.0f} updates/s, {first_cpu / PEOPLE * 1000:.2f} ms CPU each")
    print(f"webhook updates from them: {rate:.0f} updates/s, {_describe(latencies)}")
    print(f"baseline GET /healthz: {baseline_rate:.0f} requests/s, {_describe(baseline)}")
    print(f"ratio updates/s / baseline requests/s: {rate / baseline_rate:.3f}")
    # CPU time is steadier than rates on a shared 2-core machine, where the senders, PostgreSQL
    # and the server take turns: what one update costs the server process, against one /healthz.
    per_update, per_request = update_cpu / sent * 1000, baseline_cpu / answered * 1000
    print(f"server CPU per update: {per_update:.2f} ms; per /healthz request: {per_request:.3f} ms")
    print(f"p99 update / p99 baseline: {_percentile(latencies, 0.99) / _percentile(baseline, 0.99):.1f}x")
    lost, doubled = max(0, sent - stored_first), max(0, stored_first - sent)
    print(f"updates answered 200: {sent}; messages stored: {stored_first} (lost {lost}, twice {doubled})")
    print(f"after every update was delivered again: {stored_after} stored (added {stored_after - stored_first})")


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def _seed(url: str) -> None:
    engine = create_engine(url, pool_size=2)
    await migrate(engine)
    try:
        async with Database.from_engine(engine).transaction() as tx:
            workspace = await create_workspace(tx.session, slug="bench", name="Bench", admin_id=None)
            tx.session.add(
                TelegramBot(
                    workspace_id=workspace.id,
                    connection_id=CONNECTION_ID,
                    telegram_id=123456,
                    username="bench_bot",
                    name="Bench",
                    token_sealed=SecretBox(SECRET_KEY).seal(TOKEN),
                    mode=WEBHOOK,
                )
            )
    finally:
        await engine.dispose()


Planned = tuple[str, str, dict[str, object] | None]  # method, path, JSON body


def _health(number: int) -> Planned:
    return "GET", "/healthz", None


def _webhook(number: int) -> Planned:
    return "POST", f"/telegram/webhook/{CONNECTION_ID}", _update(number)


def _update(number: int) -> dict[str, object]:
    chat = 10_000 + number % PEOPLE
    return {
        "update_id": number,
        "message": {
            "message_id": number,
            "date": 1767225600,
            "chat": {"id": chat, "type": "private", "first_name": f"Person {chat}"},
            "from": {"id": chat, "is_bot": False, "first_name": f"Person {chat}", "language_code": "en"},
            "text": f"Hello, this is message {number}",
        },
    }


async def _load(
    base: str, seconds: float, request: Callable[[int], Planned], *, first: int = 1
) -> tuple[float, list[float], int]:
    """(requests/s answered 200, latencies in ms, how many were answered 200)."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": WebhookSecrets(SECRET_KEY).for_connection(CONNECTION_ID)}
    numbers = itertools.count(first)
    latencies: list[float] = []
    answered = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(base, connector=connector, headers=headers) as http:

        async def sender() -> None:
            nonlocal answered
            while time.perf_counter() < deadline:
                method, path, body = request(next(numbers))
                started = time.perf_counter()
                async with http.request(method, path, json=body) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{method} {path}: {response.status}")
                latencies.append((time.perf_counter() - started) * 1000)
                answered += 1

        began = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(CONNECTIONS)))
        elapsed = time.perf_counter() - began
    return answered / elapsed, latencies, answered


async def _resend(base: str, update_ids: range) -> None:
    """These updates, over the 40 connections: the people's first messages, and later every update
    again, as Telegram would after a lost answer."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": WebhookSecrets(SECRET_KEY).for_connection(CONNECTION_ID)}
    numbers = iter(update_ids)
    async with aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(limit=CONNECTIONS), headers=headers) as http:

        async def sender() -> None:
            for number in numbers:
                async with http.post(f"/telegram/webhook/{CONNECTION_ID}", json=_update(number)) as response:
                    if response.status != 200:
                        raise RuntimeError(f"redelivery {number}: {response.status}")

        await asyncio.gather(*(sender() for _ in range(CONNECTIONS)))


async def _stored(url: str) -> int:
    engine = create_engine(url, pool_size=1)
    try:
        async with Database.from_engine(engine).transaction() as tx:
            return int(await tx.session.scalar(select(func.count()).select_from(Message)) or 0)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    main()
