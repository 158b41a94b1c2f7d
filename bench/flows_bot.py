"""The flow engine and the bot (issue 5).

1. Pure engine steps per second on a 50-node flow (`flows.samples.sample_flow`, driven to the end
   by `next_event`, as a cooperative visitor would), against a baseline in the same process: a bare
   transition-table walk over the same graph (a dict lookup per step: the least any engine costs).
2. End to end over the real widget socket: 100 connected visitors write to a `firstline serve`
   process on embedded PostgreSQL, together 10, 25, 50, then 100 messages/s (each visitor every
   10 s down to every second); the latency from a visitor's send to the bot's reply (p50/p99) at
   each rate. Baseline in the same run: the same visitors writing into dialogs no bot owns, send →
   acknowledgement (the message stored and confirmed, no bot). Each visitor's first message, which
   opens the dialog and starts its flow, is reported apart.

    uv run --frozen --no-sync python -m bench.flows_bot [--seconds 20]

Target: bot reply p99 under 50 ms (no webhook or AI time in this flow).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import aiohttp

from accounts.workspaces import create_workspace
from bench.load_generator import raise_open_files_limit
from bench.widget_load import Children, _child_environment, serve_firstline
from channels.web_widget.tokens import Visitor, VisitorTokens
from core.db import Database, create_engine
from core.embedded_db import embedded_postgres
from core.ids import WorkspaceId
from core.migrate import ensure_database_exists
from flows.engine import start_run, step
from flows.facts import Facts
from flows.graph import edges_of
from flows.loading import parse_flow
from flows.models import Flow as FlowRow
from flows.models import FlowVersion
from flows.samples import next_event, sample_flow
from flows.store import refresh_bot_greets

SECRET_KEY = "flows-bot-benchmark-secret-key-not-for-production"  # noqa: S105  (a throwaway server)
VISITORS = 100
TARGET_P99_MS = 50.0
RATES = (10, 25, 50, 100)  # messages/s from all visitors together
SETTLE_SECONDS = 3.0
# Every text the visitor types gets one answer: a menu that re-asks on text (a pause: no runaway).
ECHO_FLOW = {
    "schema": 1,
    "start": "menu",
    "triggers": [{"type": "chat_opened"}, {"type": "first_message"}],
    "nodes": [
        {
            "kind": "message",
            "id": "menu",
            "text": 'Pick one, {{ contact.name | default("friend") }}',
            "buttons": [{"label": "Pricing", "target": "pricing"}],
            "on_text": "menu",
        },
        {"kind": "message", "id": "pricing", "text": "Start is free.", "next": "menu"},
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15.0, help="how long each rate is measured")
    parser.add_argument("--visitors", type=int, default=VISITORS, help="connected visitors, all writing")
    parser.add_argument("--rates", default=",".join(map(str, RATES)), help="total messages/s to step through")
    args = parser.parse_args()
    raise_open_files_limit()
    engine_rate, baseline_rate = _engine_steps_per_second()
    print(
        f"engine: {engine_rate:,.0f} steps/s on a 50-node flow; bare table walk {baseline_rate:,.0f} steps/s;"
        f" ratio {baseline_rate / engine_rate:.1f}x"
    )
    rates = [float(rate) for rate in args.rates.split(",")]
    for rate, (bot, plain) in zip(rates, _end_to_end(args.seconds, args.visitors, rates), strict=True):
        verdict = "met" if bot and _percentile(bot, 0.99) < TARGET_P99_MS else "NOT met"
        print(f"{args.visitors} visitors, {rate:g} msg/s in all: bot reply {_describe(bot)}")
        print(f"    baseline send -> ack (no bot): {_describe(plain)}")
        ratio = _percentile(bot, 0.99) / max(_percentile(plain, 0.99), 0.001)
        print(f"    target p99 < {TARGET_P99_MS:.0f} ms: {verdict}; p99 bot/baseline {ratio:.1f}x")


# --- 1. the pure engine ----------------------------------------------------------------------------


def _engine_steps_per_second() -> tuple[float, float]:
    flow = parse_flow(sample_flow(50))
    facts = Facts(contact_key="1", contact={"name": "Ann"})
    steps = 0
    started = time.perf_counter()
    while time.perf_counter() - started < 3.0:
        state, _ = start_run(flow, facts)
        steps += 1
        event = next_event(flow, state)
        while event is not None:
            state, _ = step(flow, state, event)
            steps += 1
            event = next_event(flow, state)
    engine_rate = steps / (time.perf_counter() - started)

    # Each node's first edge: in the sample it always leads forward, so a walk ends at the close node.
    table: dict[str, str | None] = {
        node.id: next((edge.target for edge in edges_of(node) if edge.target), None) for node in flow.nodes
    }
    walked = 0
    started = time.perf_counter()
    while time.perf_counter() - started < 1.0:
        node: str | None = flow.start
        while node is not None:
            node = table.get(node)
            walked += 1
    return engine_rate, walked / (time.perf_counter() - started)


# --- 2. end to end ---------------------------------------------------------------------------------


def _end_to_end(seconds: float, visitors: int, rates: list[float]) -> list[tuple[list[float], list[float]]]:
    children = Children()
    try:
        with tempfile.TemporaryDirectory(prefix="firstline-flows-bot-") as scratch_name:
            scratch = Path(scratch_name)
            env = _child_environment(scratch)
            with embedded_postgres(scratch / "pg") as server:
                asyncio.run(ensure_database_exists(server.url(), "firstline"))
                url = server.url("firstline")
                process, base = serve_firstline(children, env, scratch, url, SECRET_KEY)
                bot_workspace, plain_workspace = asyncio.run(_seed(url))
                if os.environ.get("FLOWS_BOT_SPY"):  # profile the server while the bot answers
                    subprocess.Popen(
                        [
                            os.environ["FLOWS_BOT_SPY"],
                            "record",
                            "-o",
                            str(Path(tempfile.gettempdir()) / "bot-spy.txt"),
                            "-f",
                            "raw",
                            "-p",
                            str(process.pid),
                            "-d",
                            str(int(seconds)),
                            "--nonblocking",
                        ]
                    )
                bot = asyncio.run(_visitors(base, "bot", bot_workspace, seconds, visitors, rates, wait_for_bot=True))
                plain = asyncio.run(
                    _visitors(base, "plain", plain_workspace, seconds, visitors, rates, wait_for_bot=False)
                )
                return list(zip(bot, plain, strict=True))
    finally:
        children.stop_all()


async def _seed(url: str) -> tuple[WorkspaceId, WorkspaceId]:
    engine = create_engine(url, pool_size=2)
    try:
        async with Database.from_engine(engine).transaction() as tx:
            bot = await create_workspace(tx.session, slug="bot", name="Bot", admin_id=None)
            plain = await create_workspace(tx.session, slug="plain", name="Plain", admin_id=None)
            flow = FlowRow(workspace_id=bot.id, name="Echo", draft=ECHO_FLOW)
            tx.session.add(flow)
            await tx.session.flush()
            version = FlowVersion(workspace_id=bot.id, flow_id=flow.id, number=1, definition=ECHO_FLOW)
            tx.session.add(version)
            await tx.session.flush()
            flow.published_version_id = version.id
            await refresh_bot_greets(tx.session, bot.id)
        return bot.id, plain.id
    finally:
        await engine.dispose()


async def _visitors(
    base: str,
    slug: str,
    workspace_id: WorkspaceId,
    seconds: float,
    visitors: int,
    rates: list[float],
    *,
    wait_for_bot: bool,
    texts: Sequence[str] = ("how much?",),
) -> list[list[float]]:
    """Per rate, the latencies measured (each visitor writes every `visitors / rate` seconds, the
    `texts` in turn)."""
    tokens = VisitorTokens(SECRET_KEY)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        sockets = []
        for _ in range(visitors):
            socket = await http.ws_connect(f"{base}/widget/v1/{slug}/socket")
            token = tokens.issue(Visitor(workspace_id, address=uuid.uuid4().hex))
            await socket.send_str(json.dumps({"type": "hello", "v": 1, "token": token, "last_seq": 0}))
            await socket.receive(timeout=30)
            sockets.append(socket)
        # Every visitor's first message opens a dialog (and starts its flow): unmeasured, reported apart.
        firsts = await asyncio.gather(*(_exchange(socket, texts[0], wait_for_bot) for socket in sockets))
        print(f"  [{slug}] first messages (opening the dialogs): {_describe(list(firsts))}", file=sys.stderr)
        per_rate = []
        for rate in rates:
            interval = visitors / rate
            samples = await asyncio.gather(
                *(
                    _visitor(
                        socket, interval * index / visitors, interval, seconds, wait_for_bot, _turned(texts, index)
                    )
                    for index, socket in enumerate(sockets)
                )
            )
            per_rate.append([value for per_visitor in samples for value in per_visitor])
        await asyncio.gather(*(socket.close() for socket in sockets))
    return per_rate


async def _visitor(
    socket: aiohttp.ClientWebSocketResponse,
    offset: float,
    interval: float,
    seconds: float,
    wait_for_bot: bool,
    texts: Sequence[str],
) -> list[float]:
    """A message every `interval` seconds, each timed until the bot's reply (or the acknowledgement);
    the first SETTLE_SECONDS at a new rate are not measured (the rate has not settled yet)."""
    await asyncio.sleep(offset)  # spread the visitors over the interval
    latencies: list[float] = []
    settled = time.perf_counter() + SETTLE_SECONDS - offset
    deadline = settled + seconds
    while time.perf_counter() < deadline:
        tick = time.perf_counter()
        latency = await _exchange(socket, texts[len(latencies) % len(texts)], wait_for_bot)
        if tick >= settled:
            latencies.append(latency)
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - tick)))
    return latencies


async def _exchange(socket: aiohttp.ClientWebSocketResponse, text: str, wait_for_bot: bool) -> float:
    client_id = uuid.uuid4().hex
    sent = time.perf_counter()
    await socket.send_str(json.dumps({"type": "message", "client_id": client_id, "text": text}))
    acked = False
    while True:
        received = await socket.receive(timeout=30)
        if received.type != aiohttp.WSMsgType.TEXT:
            raise RuntimeError(f"the socket ended: {received.type} {received.data!r} {received.extra!r}")
        frame = json.loads(received.data)
        if frame.get("type") == "ack" and frame.get("client_id") == client_id:
            acked = True
            if not wait_for_bot:
                return (time.perf_counter() - sent) * 1000
        if acked and frame.get("type") == "message" and frame["message"].get("author") == "bot":
            return (time.perf_counter() - sent) * 1000
        if frame.get("type") == "error":
            raise RuntimeError(f"the server refused a message: {frame}")


def _turned(texts: Sequence[str], by: int) -> list[str]:
    """The texts starting at the `by`-th: visitors do not all ask the same at once."""
    start = by % len(texts)
    return [*texts[start:], *texts[:start]]


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _describe(values: list[float]) -> str:
    return (
        f"n={len(values)}, p50 {statistics.median(values):.1f} ms, p99 {_percentile(values, 0.99):.1f} ms, "
        f"max {max(values):.1f} ms"
    )


if __name__ == "__main__":
    main()
