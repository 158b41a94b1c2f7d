"""The load generator of `bench.widget_load`, run as its own process: N visitor sockets and one
operator socket on one server (Firstline or the bare relay); it steps the offered message rate up
and measures, per step, the time from a visitor's send to the operator socket's receipt.

    python -m bench.load_generator CONFIG.json RESULT.json

Both the send and the receipt are stamped in this process (`time.perf_counter_ns`), so latencies are
exact. Messages go round-robin over the visitors, paced by absolute schedule. Each visitor socket
answers its frames in order, so an `error` frame (which names no message) refuses the oldest
unanswered message of that socket.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import math
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import psutil
from pydantic import BaseModel, ConfigDict

CONNECT_TIMEOUT_SECONDS = 30.0
FINAL_ACK_WAIT_SECONDS = 10.0
SETTLE_SECONDS = 0.3  # between steps, so that one step's tail does not start the next one
WARM_UP_IN_FLIGHT = 20  # warm-up messages unanswered at once
WARM_UP_SECONDS = 120.0
YIELD_EVERY = 16  # sends in a row without yielding to the receivers when the schedule is behind
GENERATOR_SLACK = 0.95  # a step whose achieved send rate is below this share of the offered one is void


class GeneratorConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str  # for progress lines, e.g. "firstline 1000"
    base_url: str  # http://127.0.0.1:PORT
    slug: str
    api_key: str
    tokens: list[str]  # one per visitor
    tag: str  # in every client id and text: "bench <tag> <client id> <ns>"
    steps: list[int]  # offered rates, messages/s
    step_seconds: float
    timeout_seconds: float = 5.0  # not at the operator within this: lost
    p99_limit_ms: float = 100.0
    max_lost_share: float = 0.01  # more lost than this ends the stepping even if p99 were fine
    watch: dict[str, int] = {}  # name -> root pid whose process tree's CPU use is reported per step
    connect_concurrency: int = 50
    warm_up: bool = True  # each visitor sends one unmeasured message first (on Firstline: opens its conversation)
    ladder_seconds: float | None = None  # no new rate is started after this long (the run's time budget)


class StepResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rate: int
    achieved_rate: float
    sent: int
    firsts: int  # how many of them were their visitor's first message
    acked: int
    rate_limited: int
    errors: int
    received: int
    lost: int  # neither at the operator within the timeout nor refused
    p50_ms: float | None  # None: at or beyond the timeout (lost messages count as infinitely late)
    p99_ms: float | None
    max_ms: float | None
    max_send_lag_ms: float
    cpu_percent: dict[str, float]  # of one core, over the step's send phase; "others": the rest of the machine
    passed: bool
    reason: str
    repeat: bool  # the second try of a rate whose first try failed


class GeneratorResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    visitors: int
    connect_seconds: float
    warm_up_seconds: float  # one message per visitor, at most WARM_UP_IN_FLIGHT unanswered at once
    steps: list[StepResult]
    out_of_time: int | None  # the rate not started because the time budget ran out
    acked_ids: list[str]
    never_answered: int  # sent, neither acked nor refused by the end
    late_at_operator: int  # reached the operator after they had been counted lost
    duplicates_at_operator: int
    echoes_to_sender: int  # `message` frames a visitor socket got for that visitor's own messages (acked already)
    error_codes: dict[str, int]


@dataclass
class VisitorLink:
    socket: aiohttp.ClientWebSocketResponse
    pending: collections.deque[str] = field(default_factory=collections.deque)
    sent: int = 0


@dataclass
class StepStats:
    rate: int
    open: int = 0  # sent, not yet at the operator nor refused
    settled: asyncio.Event = field(default_factory=asyncio.Event)  # set while open == 0
    sent: int = 0
    firsts: int = 0  # a visitor's first message: on Firstline it opens the conversation
    acked: int = 0
    rate_limited: int = 0
    errors: int = 0
    latencies_ns: list[int] = field(default_factory=list)


@dataclass
class Tracker:
    timeout_ns: int
    steps: list[StepStats] = field(default_factory=list)
    in_flight: dict[str, tuple[int, int]] = field(default_factory=dict)  # client id -> (step index, send ns)
    delivered: set[str] = field(default_factory=set)
    given_up: set[str] = field(default_factory=set)
    acked_ids: list[str] = field(default_factory=list)
    error_codes: collections.Counter[str] = field(default_factory=collections.Counter)
    late: int = 0
    duplicates: int = 0
    echoes: int = 0
    unanswered: int = 0  # sent, neither acked nor refused yet
    all_answered: asyncio.Event = field(default_factory=asyncio.Event)
    an_answer: asyncio.Event = field(default_factory=asyncio.Event)  # set at every ack or refusal

    def sending(self, link: VisitorLink, client_id: str) -> None:
        step = len(self.steps) - 1
        link.pending.append(client_id)
        self.unanswered += 1
        self.all_answered.clear()
        self.steps[step].open += 1
        self.steps[step].settled.clear()
        self.steps[step].sent += 1
        if link.sent == 0:
            self.steps[step].firsts += 1
        link.sent += 1
        self.in_flight[client_id] = (step, time.perf_counter_ns())

    def at_operator(self, client_id: str, received_ns: int) -> None:
        entry = self.in_flight.pop(client_id, None)
        if entry is None:
            if client_id in self.delivered:
                self.duplicates += 1
            elif client_id in self.given_up:
                self.late += 1
            return
        self.delivered.add(client_id)
        stats = self.steps[entry[0]]
        stats.latencies_ns.append(received_ns - entry[1])
        _close_one(stats)

    def acked(self, link: VisitorLink, client_id: str) -> None:
        if client_id in link.pending:
            link.pending.remove(client_id)
            self._answered()
        self.acked_ids.append(client_id)
        step = _step_of(client_id)
        if step is not None and step < len(self.steps):
            self.steps[step].acked += 1

    def refused(self, link: VisitorLink, code: str) -> None:
        self.error_codes[code] += 1
        if not link.pending:
            return
        client_id = link.pending.popleft()
        self._answered()
        step = _step_of(client_id)
        if step is None or step >= len(self.steps):
            return
        stats = self.steps[step]
        if code == "rate_limited":
            stats.rate_limited += 1
        else:
            stats.errors += 1
        if self.in_flight.pop(client_id, None) is not None:
            _close_one(stats)  # refused: it will never reach the operator, and it is not lost either

    def _answered(self) -> None:
        self.unanswered -= 1
        self.an_answer.set()
        if self.unanswered == 0:
            self.all_answered.set()

    def give_up_on(self, step: int) -> int:
        lost = [client_id for client_id, entry in self.in_flight.items() if entry[0] == step]
        for client_id in lost:
            del self.in_flight[client_id]
            self.given_up.add(client_id)
        return len(lost)


def _close_one(stats: StepStats) -> None:
    stats.open -= 1
    if stats.open == 0:
        stats.settled.set()


def _step_of(client_id: str) -> int | None:
    parts = client_id.split("-")
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None


def raise_open_files_limit() -> None:
    """As far as the hard limit allows: 1,000 sockets on each side need more than the usual 1,024."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = 65536 if hard == resource.RLIM_INFINITY else hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class CpuMeter:
    """CPU seconds of process trees (a server and, for PostgreSQL, its backends) between two readings,
    and of everything else on the machine ("others": the measurement is only as good as it is low)."""

    def __init__(self, roots: dict[str, int]) -> None:
        self._roots = roots
        self._start: dict[str, dict[int, float]] = {}
        self._started = 0.0
        self._own_start = 0.0
        self._busy_start = 0.0

    def start(self) -> None:
        self._start = {name: _tree_cpu(pid) for name, pid in self._roots.items()}
        self._started = time.perf_counter()
        self._own_start = time.process_time()
        self._busy_start = _machine_busy()

    def percent(self) -> dict[str, float]:
        elapsed = max(time.perf_counter() - self._started, 1e-9)
        result = {"generator": 100 * (time.process_time() - self._own_start) / elapsed}
        for name, pid in self._roots.items():
            now = _tree_cpu(pid)
            before = self._start.get(name, {})
            used = sum(seconds - before.get(child, 0.0) for child, seconds in now.items())
            result[name] = 100 * used / elapsed
        busy = 100 * (_machine_busy() - self._busy_start) / elapsed
        result["others"] = max(0.0, busy - sum(result.values()))
        return result


def _machine_busy() -> float:
    """CPU seconds the whole machine has spent on anything but idling, all cores added up."""
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


def _tree_cpu(pid: int) -> dict[int, float]:
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return {}
    seconds: dict[int, float] = {}
    for process in processes:
        try:
            times = process.cpu_times()
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
        seconds[process.pid] = times.user + times.system
    return seconds


async def run(config: GeneratorConfig) -> GeneratorResult:
    raise_open_files_limit()
    tracker = Tracker(timeout_ns=int(config.timeout_seconds * 1e9))
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        operator = await http.ws_connect(
            f"{config.base_url}/api/v1/socket", headers={"Authorization": f"Bearer {config.api_key}"}
        )
        started = time.perf_counter()
        gate = asyncio.Semaphore(config.connect_concurrency)
        url = f"{config.base_url}/widget/v1/{config.slug}/socket"
        links = list(await asyncio.gather(*(_connect_visitor(http, url, token, gate) for token in config.tokens)))
        connect_seconds = time.perf_counter() - started
        _progress(f"[{config.label}] {len(links)} visitors connected in {connect_seconds:.1f} s")
        readers = [asyncio.create_task(_read_operator(operator, tracker))]
        readers += [asyncio.create_task(_read_visitor(link, tracker)) for link in links]
        try:
            warm_up_seconds = await _warm_up(config, links, tracker) if config.warm_up else 0.0
            steps, out_of_time = await _step_up(config, links, tracker)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(tracker.all_answered.wait(), FINAL_ACK_WAIT_SECONDS)
        finally:
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
            await asyncio.gather(*(link.socket.close() for link in links), return_exceptions=True)
            await operator.close()
    return GeneratorResult(
        visitors=len(links),
        connect_seconds=connect_seconds,
        warm_up_seconds=warm_up_seconds,
        out_of_time=out_of_time,
        steps=steps,
        acked_ids=tracker.acked_ids,
        never_answered=sum(len(link.pending) for link in links),
        late_at_operator=tracker.late,
        duplicates_at_operator=tracker.duplicates,
        echoes_to_sender=tracker.echoes,
        error_codes=dict(tracker.error_codes),
    )


async def _connect_visitor(http: aiohttp.ClientSession, url: str, token: str, gate: asyncio.Semaphore) -> VisitorLink:
    async with gate:
        socket = await http.ws_connect(url)
        await socket.send_str(json.dumps({"type": "hello", "v": 1, "token": token, "last_seq": 0}))
        first = await socket.receive(timeout=CONNECT_TIMEOUT_SECONDS)
        if first.type != aiohttp.WSMsgType.TEXT or '"ready"' not in first.data:
            raise RuntimeError(f"the visitor socket answered hello with {first.type.name} {first.data!r}")
        return VisitorLink(socket)


async def _read_operator(socket: aiohttp.ClientWebSocketResponse, tracker: Tracker) -> None:
    async for frame in socket:
        received_ns = time.perf_counter_ns()
        if frame.type != aiohttp.WSMsgType.TEXT:
            continue
        data: object = json.loads(frame.data)
        if not isinstance(data, dict) or data.get("type") != "message":
            continue
        message: object = data.get("message")
        if isinstance(message, dict):
            client_id: object = message.get("client_id")
            if isinstance(client_id, str):
                tracker.at_operator(client_id, received_ns)


async def _read_visitor(link: VisitorLink, tracker: Tracker) -> None:
    async for frame in link.socket:
        if frame.type != aiohttp.WSMsgType.TEXT:
            continue
        data: object = json.loads(frame.data)
        if not isinstance(data, dict):
            continue
        kind: object = data.get("type")
        if kind == "ack":
            client_id: object = data.get("client_id")
            if isinstance(client_id, str):
                tracker.acked(link, client_id)
        elif kind == "error":
            tracker.refused(link, str(data.get("code")))
        elif kind == "message":
            tracker.echoes += 1  # only this visitor writes in its conversation: it is its own message


async def _warm_up(config: GeneratorConfig, links: list[VisitorLink], tracker: Tracker) -> float:
    """One message from every visitor, unmeasured, so that the ladder measures open conversations
    (a visitor's first message opens one, and round-robin over 1,000 visitors would otherwise make
    every message of the low steps a first one)."""
    started = time.perf_counter()
    tracker.steps.append(StepStats(rate=0))  # step 0: the warm-up
    for number, link in enumerate(links):
        while tracker.unanswered >= WARM_UP_IN_FLIGHT:
            tracker.an_answer.clear()
            await asyncio.wait_for(tracker.an_answer.wait(), WARM_UP_SECONDS)
        client_id = f"{config.tag}-00-{number:06d}"
        tracker.sending(link, client_id)
        await link.socket.send_str(
            f'{{"type":"message","client_id":"{client_id}","text":"bench {config.tag} {client_id} warm-up"}}'
        )
    await asyncio.wait_for(tracker.all_answered.wait(), WARM_UP_SECONDS)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(tracker.steps[0].settled.wait(), config.timeout_seconds)
    tracker.give_up_on(0)
    seconds = time.perf_counter() - started
    _progress(f"[{config.label}] warm-up: {len(links)} first messages answered in {seconds:.1f} s")
    await asyncio.sleep(SETTLE_SECONDS)
    return seconds


async def _step_up(
    config: GeneratorConfig, links: list[VisitorLink], tracker: Tracker
) -> tuple[list[StepResult], int | None]:
    """Each rate in turn; a failed rate is tried once more (a hiccup of the shared machine should not
    end the ladder) unless the server refused messages; the second failure ends it."""
    results: list[StepResult] = []
    meter = CpuMeter(config.watch)
    cursor = 0
    started = time.perf_counter()
    for rate in config.steps:
        if config.ladder_seconds is not None and time.perf_counter() - started > config.ladder_seconds:
            _progress(f"[{config.label}] time budget of {config.ladder_seconds:.0f} s spent before {rate} msg/s")
            return results, rate
        for repeat in (False, True):
            index = len(tracker.steps)
            tracker.steps.append(StepStats(rate=rate))
            meter.start()
            cursor, achieved, lag_ns = await _send_at(rate, config, links, tracker, index, cursor)
            cpu = meter.percent()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(tracker.steps[index].settled.wait(), config.timeout_seconds)
            lost = tracker.give_up_on(index)
            result = _summarise(config, tracker.steps[index], achieved, lag_ns, lost, cpu, repeat=repeat)
            results.append(result)
            _progress(_describe(config.label, result))
            await asyncio.sleep(SETTLE_SECONDS)
            if result.passed or result.rate_limited:
                break
            with contextlib.suppress(TimeoutError):  # let the server work off its backlog first
                await asyncio.wait_for(tracker.all_answered.wait(), FINAL_ACK_WAIT_SECONDS)
        if not result.passed:
            break
    return results, None


async def _send_at(
    rate: int, config: GeneratorConfig, links: list[VisitorLink], tracker: Tracker, step: int, cursor: int
) -> tuple[int, float, int]:
    """Send `rate` × step_seconds messages on schedule; the cursor, achieved rate and worst lag (ns)."""
    count = max(1, round(rate * config.step_seconds))
    interval_ns = 1e9 / rate
    start = time.perf_counter_ns()
    worst_lag = 0
    behind_in_a_row = 0
    for i in range(count):
        target = start + int(i * interval_ns)
        now = time.perf_counter_ns()
        if target > now:
            behind_in_a_row = 0
            await asyncio.sleep((target - now) / 1e9)
        else:
            worst_lag = max(worst_lag, now - target)
            behind_in_a_row += 1
            if behind_in_a_row >= YIELD_EVERY:
                behind_in_a_row = 0
                await asyncio.sleep(0)
        link = links[cursor % len(links)]
        cursor += 1
        client_id = f"{config.tag}-{step:02d}-{i:06d}"
        tracker.sending(link, client_id)
        text = f"bench {config.tag} {client_id} {time.monotonic_ns()}"
        await link.socket.send_str(f'{{"type":"message","client_id":"{client_id}","text":"{text}"}}')
    elapsed_ns = time.perf_counter_ns() - start + interval_ns
    return cursor, count / (elapsed_ns / 1e9), worst_lag


def _summarise(
    config: GeneratorConfig,
    stats: StepStats,
    achieved: float,
    lag_ns: int,
    lost: int,
    cpu: dict[str, float],
    *,
    repeat: bool,
) -> StepResult:
    timeout_ns = int(config.timeout_seconds * 1e9)
    on_time = sorted(latency for latency in stats.latencies_ns if latency < timeout_ns)
    lost += len(stats.latencies_ns) - len(on_time)
    samples = len(on_time) + lost  # lost ones count as infinitely late
    p50, p99, worst = (
        _percentile(on_time, samples, 0.50),
        _percentile(on_time, samples, 0.99),
        _percentile(on_time, samples, 1.0),
    )
    reasons = []
    if achieved < GENERATOR_SLACK * stats.rate:
        reasons.append(f"generator sent only {achieved:.0f}/s")
    if p99 is None or p99 >= config.p99_limit_ms:
        reasons.append("p99 beyond the timeout" if p99 is None else f"p99 {p99:.0f} ms")
    if stats.rate_limited:
        reasons.append(f"{stats.rate_limited} rate_limited")
    if stats.errors:
        reasons.append(f"{stats.errors} other errors")
    if lost > config.max_lost_share * max(stats.sent, 1):
        reasons.append(f"{lost} lost")
    return StepResult(
        rate=stats.rate,
        achieved_rate=achieved,
        sent=stats.sent,
        firsts=stats.firsts,
        acked=stats.acked,
        rate_limited=stats.rate_limited,
        errors=stats.errors,
        received=len(on_time),
        lost=lost,
        p50_ms=p50,
        p99_ms=p99,
        max_ms=worst,
        max_send_lag_ms=lag_ns / 1e6,
        cpu_percent=cpu,
        passed=not reasons,
        reason="; ".join(reasons),
        repeat=repeat,
    )


def _percentile(on_time: list[int], samples: int, share: float) -> float | None:
    if samples == 0:
        return None
    rank = max(1, math.ceil(share * samples))
    return on_time[rank - 1] / 1e6 if rank <= len(on_time) else None


def _describe(label: str, step: StepResult) -> str:
    def ms(value: float | None) -> str:
        return "lost" if value is None else f"{value:.1f}"

    cpu = " ".join(f"{name} {percent:.0f}%" for name, percent in step.cpu_percent.items())
    verdict = "ok" if step.passed else f"failed: {step.reason}"
    return (
        f"[{label}] {step.rate:>6} msg/s{' again' if step.repeat else ''}: "
        f"sent {step.sent} ({step.achieved_rate:.0f}/s), "
        f"p50 {ms(step.p50_ms)} ms, p99 {ms(step.p99_ms)} ms, max {ms(step.max_ms)} ms, lost {step.lost}, "
        f"rate_limited {step.rate_limited}; cpu {cpu} -> {verdict}"
    )


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        raise SystemExit("usage: python -m bench.load_generator CONFIG.json RESULT.json")
    config = GeneratorConfig.model_validate_json(Path(args[0]).read_text())
    try:
        result = asyncio.run(run(config))
    except KeyboardInterrupt:  # bench.widget_load stops us with SIGINT when it is interrupted
        sys.exit(130)
    Path(args[1]).write_text(result.model_dump_json())


if __name__ == "__main__":
    main()
