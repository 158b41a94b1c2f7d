"""Assignment (issue 4): throughput, fairness and latency of giving queued dialogs to operators.

1. In-process, per policy (round robin, least busy): 10,000 dialogs wait in one group's queue, 50
   online operators (capacity 250 each) are in the group; `assign_waiting` passes run until the
   queue is empty. Reported: dialogs assigned per second, the spread of the load (min / max /
   standard deviation of dialogs per operator), and whether the longest-waiting went first.
   Baseline in the same database: the least any claim loop costs — `UPDATE … WHERE id IN (SELECT …
   FOR UPDATE SKIP LOCKED LIMIT n)` handing out operators by id modulo 50, no policy, no load.
2. Live, one `firstline serve` process: new visitors open dialogs over the widget socket (each
   first message enters the default group's queue) at a fixed rate; an operator's live socket
   records when each dialog's `assigned` event arrives. Reported: p50/p99 from the visitor's send
   to that event; baseline in the same run: send → the same socket receiving the message itself.

    uv run --frozen --no-sync python -m bench.assignment [--dialogs 10000] [--rates 10,25,50 --seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from sqlalchemy import text

from accounts.api_keys import issue_api_key
from accounts.models import GroupMember, Membership, Operator, OperatorGroup
from accounts.roles import Role
from accounts.workspaces import create_workspace
from bench.load_generator import raise_open_files_limit
from bench.widget_load import Children, _child_environment, serve_firstline
from channels.web_widget.tokens import Visitor, VisitorTokens
from conversations.assignment import assign_waiting
from core.db import Database, create_engine
from core.embedded_db import embedded_postgres
from core.ids import GroupId, WorkspaceId
from core.migrate import ensure_database_exists, migrate

OPERATORS = 50
CAPACITY = 250  # 50 x 250 > 10,000: every dialog can be placed
SECRET_KEY = "assignment-benchmark-secret-key-not-for-production"  # noqa: S105  (a throwaway server)
POLICIES = ("round_robin", "least_busy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dialogs", type=int, default=10_000)
    parser.add_argument("--rates", default="10,25,50", help="new dialogs per second in the live part, in turn")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long new dialogs arrive")
    args = parser.parse_args()
    raise_open_files_limit()
    children = Children()
    try:
        with tempfile.TemporaryDirectory(prefix="firstline-assignment-") as scratch_name:
            scratch = Path(scratch_name)
            with embedded_postgres(scratch / "pg") as server:
                if args.dialogs:
                    for policy in POLICIES:
                        asyncio.run(_throughput(server.url(), policy, args.dialogs))
                    asyncio.run(_baseline(server.url(), args.dialogs))
                rates = [float(rate) for rate in args.rates.split(",") if rate]
                if rates:
                    _live(children, _child_environment(scratch), scratch, server.url(), rates, args.seconds)
    finally:
        children.stop_all()


# --- 1. throughput and fairness --------------------------------------------------------------------


async def _fresh(url: str, name: str) -> Database:
    await ensure_database_exists(url, name)
    engine = create_engine(url.rsplit("/", 1)[0] + f"/{name}", pool_size=2)
    await migrate(engine)
    return Database.from_engine(engine)


async def _team(db: Database, slug: str, policy: str, *, online_until: datetime) -> tuple[WorkspaceId, GroupId]:
    """A workspace with one default group of OPERATORS online operators."""
    async with db.transaction() as tx:
        workspace = await create_workspace(tx.session, slug=slug, name=slug, admin_id=None)
        group = OperatorGroup(workspace_id=workspace.id, name="Support", is_default=True, assignment_policy=policy)
        tx.session.add(group)
        await tx.session.flush()
        for n in range(OPERATORS):
            operator = Operator(email=f"op{n}@{slug}.example", display_name=f"Operator {n}")
            tx.session.add(operator)
            await tx.session.flush()
            tx.session.add(
                Membership(
                    workspace_id=workspace.id,
                    operator_id=operator.id,
                    role="operator",
                    presence="online",
                    last_active_at=online_until,
                    capacity=CAPACITY,
                )
            )
            tx.session.add(GroupMember(group_id=group.id, operator_id=operator.id, workspace_id=workspace.id))
        return workspace.id, group.id


async def _queue(db: Database, workspace_id: WorkspaceId, group_id: GroupId, dialogs: int) -> None:
    """`dialogs` waiting dialogs, each a second apart in queue time (the first waited longest)."""
    async with db.transaction() as tx:
        await tx.session.execute(
            text("""
            WITH made AS (
                INSERT INTO contacts (workspace_id, properties)
                SELECT :workspace_id, '{}'::jsonb FROM generate_series(1, :dialogs) RETURNING id)
            INSERT INTO conversations (workspace_id, contact_id, channel, owner, group_id, status, queued_at)
            SELECT :workspace_id, id, 'web', 'queue', :group_id, 'open',
                   TIMESTAMPTZ '2026-01-01' + make_interval(secs => row_number() OVER (ORDER BY id))
            FROM made
            """),
            {"workspace_id": workspace_id, "group_id": group_id, "dialogs": dialogs},
        )


async def _throughput(url: str, policy: str, dialogs: int) -> None:
    db = await _fresh(url, f"assign_{policy}")
    try:
        workspace_id, group_id = await _team(db, "bench", policy, online_until=datetime.now(UTC) + timedelta(hours=1))
        await _queue(db, workspace_id, group_id, dialogs)
        passes, started = 0, time.perf_counter()
        while True:
            async with db.transaction() as tx:
                plan = await assign_waiting(tx.session, workspace_id, group_id, now=datetime.now(UTC))
            if not plan:
                break
            passes += 1
        elapsed = time.perf_counter() - started
        async with db.transaction() as tx:
            loads = list(
                (
                    await tx.session.execute(
                        text("SELECT count(*) FROM conversations WHERE owner = 'operator' GROUP BY assignee_id")
                    )
                ).scalars()
            )
            inversions = await tx.session.scalar(
                text("""
                SELECT count(*) FROM (
                    SELECT queued_at, assigned_at, lag(assigned_at) OVER (ORDER BY queued_at) AS before
                    FROM conversations WHERE owner = 'operator') AS ordered
                WHERE assigned_at < before
                """)
            )
        print(
            f"{policy:12} {sum(loads):,} dialogs to {len(loads)} operators in {elapsed:.2f} s ({passes} passes): "
            f"{sum(loads) / elapsed:,.0f} dialogs/s; load per operator min {min(loads)} max {max(loads)} "
            f"stdev {statistics.pstdev(loads):.2f}; assigned before a longer-waiting one: {inversions}"
        )
    finally:
        assert db.engine is not None
        await db.engine.dispose()


async def _baseline(url: str, dialogs: int) -> None:
    db = await _fresh(url, "assign_baseline")
    try:
        workspace_id, group_id = await _team(
            db, "baseline", "round_robin", online_until=datetime.now(UTC) + timedelta(hours=1)
        )
        await _queue(db, workspace_id, group_id, dialogs)
        async with db.transaction() as tx:
            operators = list((await tx.session.execute(text("SELECT operator_id FROM memberships"))).scalars())
        claim = text("""
            UPDATE conversations SET owner = 'operator', assigned_at = now(),
                assignee_id = (CAST(:operators AS bigint[]))[1 + id % :count]
            WHERE id IN (SELECT id FROM conversations WHERE owner = 'queue' AND status = 'open'
                         ORDER BY queued_at FOR UPDATE SKIP LOCKED LIMIT 100)
        """)
        started = time.perf_counter()
        while True:
            async with db.transaction() as tx:
                claimed = (await tx.session.execute(claim, {"operators": operators, "count": len(operators)})).rowcount  # type: ignore[attr-defined]  # CursorResult
            if not claimed:
                break
        elapsed = time.perf_counter() - started
        print(f"{'baseline':12} bare SKIP LOCKED claim loop (100 a pass): {dialogs / elapsed:,.0f} dialogs/s")
    finally:
        assert db.engine is not None
        await db.engine.dispose()


# --- 2. live: queue -> operator's socket ------------------------------------------------------------


def _live(
    children: Children, env: dict[str, str], scratch: Path, server_url: str, rates: list[float], seconds: float
) -> None:
    asyncio.run(ensure_database_exists(server_url, "firstline"))
    url = server_url.rsplit("/", 1)[0] + "/firstline"
    _, base = serve_firstline(children, env, scratch, url, SECRET_KEY)
    workspace_id, key = asyncio.run(_live_team(url))
    for rate in rates:
        assigned, stored = asyncio.run(_open_dialogs(base, workspace_id, key, rate, seconds))
        print(f"live, {rate:g} new dialogs/s for {seconds:g} s, {OPERATORS} operators online (round robin):")
        print(f"    visitor's first message -> its dialog's `assigned` at the operator socket: {_describe(assigned)}")
        print(f"    baseline, the same message -> the same socket: {_describe(stored)}")
        if assigned and stored:
            print(f"    p99 ratio {_percentile(assigned, 0.99) / _percentile(stored, 0.99):.1f}x")


async def _live_team(url: str) -> tuple[WorkspaceId, str]:
    engine = create_engine(url, pool_size=2)
    db = Database.from_engine(engine)
    try:
        # Online for the whole run (presence would lapse after 3 minutes without an inbox tab).
        workspace_id, _ = await _team(db, "live", "round_robin", online_until=datetime.now(UTC) + timedelta(hours=1))
        async with db.transaction() as tx:
            key = await issue_api_key(
                tx.session, workspace_id=workspace_id, name="bench", role=Role.ADMIN, created_by=None
            )
        return workspace_id, key.key
    finally:
        await engine.dispose()


async def _open_dialogs(
    base: str, workspace_id: WorkspaceId, key: str, rate: float, seconds: float
) -> tuple[list[float], list[float]]:
    tokens = VisitorTokens(SECRET_KEY)
    sent: dict[str, float] = {}  # client id -> when its visitor sent it
    conversation_sent: dict[int, float] = {}
    assigned: list[float] = []
    stored: list[float] = []
    count = int(rate * seconds)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        operator = await http.ws_connect(f"{base}/api/v1/socket", headers={"Authorization": f"Bearer {key}"})

        async def watch() -> None:
            async for frame in operator:
                now = time.perf_counter()
                data = json.loads(frame.data)
                if data.get("type") == "message" and isinstance(data.get("message"), dict):
                    client_id = data["message"].get("client_id")
                    if client_id in sent:
                        stored.append((now - sent[client_id]) * 1000)
                        conversation_sent[data["conversation_id"]] = sent[client_id]
                elif data.get("type") == "assigned" and data.get("conversation_id") in conversation_sent:
                    assigned.append((now - conversation_sent.pop(data["conversation_id"])) * 1000)
                    if len(assigned) == count:
                        everyone_assigned.set()

        everyone_assigned = asyncio.Event()
        watcher = asyncio.create_task(watch())
        visitors = []
        for _ in range(count):
            socket = await http.ws_connect(f"{base}/widget/v1/live/socket")
            token = tokens.issue(Visitor(workspace_id, address=uuid.uuid4().hex))
            await socket.send_str(json.dumps({"type": "hello", "v": 1, "token": token, "last_seq": 0}))
            await socket.receive(timeout=30)
            visitors.append(socket)
        started = time.perf_counter()
        for index, socket in enumerate(visitors):
            await asyncio.sleep(max(0.0, started + index / rate - time.perf_counter()))
            client_id = uuid.uuid4().hex
            sent[client_id] = time.perf_counter()
            await socket.send_str(json.dumps({"type": "message", "client_id": client_id, "text": "Hello"}))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(everyone_assigned.wait(), 30)
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        await asyncio.gather(*(socket.close() for socket in visitors), operator.close())
    if len(assigned) < count:
        print(f"    {count - len(assigned)} of {count} dialogs were not seen assigned within 30 s", file=sys.stderr)
    return assigned, stored


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _describe(values: list[float]) -> str:
    if not values:
        return "no samples"
    return f"n={len(values)}, p50 {statistics.median(values):.1f} ms, p99 {_percentile(values, 0.99):.1f} ms"


if __name__ == "__main__":
    main()
