"""Realtime fan-out across processes through PostgreSQL LISTEN/NOTIFY. `publish` runs inside the
caller's transaction, so PostgreSQL delivers the event at commit and never on rollback; every
process runs one `RealtimeHub`: a LISTEN connection whose events go to local subscribers by topic."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

CHANNEL = "firstline_events"
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; events above this carry ids only.
MAX_PAYLOAD_BYTES = 7500
RESYNC = "resync"  # sent to every local subscriber after the LISTEN connection was lost: reload state
HEALTH_CHECK_SECONDS = 10.0
MAX_BACKOFF_SECONDS = 30.0


@dataclass(frozen=True)
class RealtimeEvent:
    """`topics` name the recipients (e.g. `workspace:7`, `visitor:42`); `data` is JSON-able."""

    topics: tuple[str, ...]
    kind: str
    data: Mapping[str, object] = field(default_factory=dict)

    def encode(self) -> str:
        return json.dumps({"t": self.topics, "k": self.kind, "d": self.data}, separators=(",", ":"), default=str)

    @classmethod
    def decode(cls, payload: str) -> RealtimeEvent:
        raw = json.loads(payload)
        return cls(topics=tuple(raw["t"]), kind=str(raw["k"]), data=dict(raw["d"]))


def fits_notify(event: RealtimeEvent) -> bool:
    return len(event.encode().encode()) <= MAX_PAYLOAD_BYTES


def notify_payload(event: RealtimeEvent) -> str:
    payload = event.encode()
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"realtime event {event.kind} is too large for NOTIFY; send ids and let readers load")
    return payload


async def publish(session: AsyncSession, *events: RealtimeEvent) -> None:
    """Queue `events` for delivery when the session's transaction commits (one round trip for all)."""
    params: dict[str, str] = {"channel": CHANNEL}
    calls = []
    for number, event in enumerate(events):
        params[f"payload{number}"] = notify_payload(event)
        calls.append(f"pg_notify(:channel, :payload{number})")
    if calls:
        await session.execute(text(f"SELECT {', '.join(calls)}"), params)


def notify_sql(parameter: str, fills: Mapping[str, str]) -> str:
    """A `pg_notify` call for a statement that completes an event with values it produces itself (ids
    of the rows it inserts): the event is bound as `parameter` (`notify_payload`), and each JSON path of
    `fills` (e.g. "d,seq" for data["seq"], "t,1" for the second topic) is set to its SQL expression.
    A path whose parent is missing is left out, as `jsonb_set` does."""
    expression = f"CAST(:{parameter} AS jsonb)"
    for path, value in fills.items():
        expression = f"jsonb_set({expression}, '{{{path}}}', to_jsonb({value}))"
    return f"pg_notify('{CHANNEL}', ({expression})::text)"


Subscriber = Callable[[RealtimeEvent], None]


class RealtimeHub:
    """One per process. Subscribers must not block: they typically put the event on their own queue."""

    def __init__(self, database_url: str | None) -> None:
        self._dsn = None if database_url is None else _asyncpg_dsn(database_url)
        self._subscribers: defaultdict[str, set[Subscriber]] = defaultdict(set)
        self.connected = asyncio.Event()

    def subscribe(self, topic: str, subscriber: Subscriber) -> Callable[[], None]:
        self._subscribers[topic].add(subscriber)

        def unsubscribe() -> None:
            self._subscribers[topic].discard(subscriber)
            if not self._subscribers[topic]:
                del self._subscribers[topic]

        return unsubscribe

    def dispatch(self, event: RealtimeEvent) -> None:
        for topic in event.topics:
            for subscriber in list(self._subscribers.get(topic, ())):
                subscriber(event)

    async def run(self) -> None:
        """Listen until cancelled, reconnecting with backoff; after a reconnect tell everyone to resync."""
        if self._dsn is None:
            return
        backoff = 0.5
        first = True
        while True:
            try:
                await self._listen(resync=not first)
                backoff = 0.5
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
                log.warning("realtime LISTEN connection lost; reconnecting", extra={"error": str(error)})
            first = False
            self.connected.clear()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    async def _listen(self, *, resync: bool) -> None:
        assert self._dsn is not None
        connection = await asyncpg.connect(self._dsn, timeout=10)
        try:
            await connection.add_listener(CHANNEL, self._on_notification)
            self.connected.set()
            if resync:
                self._resync_everyone()
            while True:
                await asyncio.sleep(HEALTH_CHECK_SECONDS)
                await asyncio.wait_for(connection.fetchval("SELECT 1"), HEALTH_CHECK_SECONDS)
        finally:
            with contextlib.suppress(OSError, asyncpg.InterfaceError, asyncpg.PostgresError):
                await connection.close(timeout=2)

    def _on_notification(self, connection: object, pid: int, channel: str, payload: str) -> None:
        try:
            event = RealtimeEvent.decode(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed realtime payload", extra={"bytes": len(payload)})
            return
        self.dispatch(event)

    def _resync_everyone(self) -> None:
        for topic in list(self._subscribers):
            self.dispatch(RealtimeEvent(topics=(topic,), kind=RESYNC))


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
