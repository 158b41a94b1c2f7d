"""Web chat under load (issue 3): simulated visitors (real WebSocket clients in a separate process,
`bench.load_generator`) send messages to one `firstline serve` process and an operator socket
receives them. The offered rate steps up; for 100 and 1,000 connected visitors the table gives the
highest rate at which the p99 latency from visitor send to operator receipt stays under 100 ms, the
p50/p99 at that rate, and the same for a bare aiohttp WebSocket relay (`bench.relay_baseline`, no
database) measured with the same generator and steps in the same run: the baseline ratio. After each
Firstline run it checks that every acknowledged message is stored exactly once.

    uv run --frozen --no-sync python -m bench.widget_load [--quick]

Firstline runs on an embedded PostgreSQL in a temporary directory with normal durability. Visitors
get their tokens minted with the server's secret key (the session endpoint is rate-limited per
address by design); the socket creates each contact on hello. Each visitor first sends one
unmeasured message (on Firstline it opens the conversation), then every step sends for 5 s
round-robin over the visitors; a message not at the operator within 5 s is lost. A failed step is
repeated once (the machine is shared; the report shows how busy the rest of it was), and the second
failure ends the ladder. The widget socket limits each visitor to a burst of 8 messages, then
1 message/s: with N visitors, rates above N msg/s are above that sustained limit and are reported as
such, not hidden. The report goes to stdout and bench/results/widget_load.txt, the server's log to
bench/results/widget_load_server.log.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from sqlalchemy import text

from accounts.api_keys import issue_api_key
from accounts.roles import Role
from accounts.workspaces import create_workspace
from bench.load_generator import GeneratorConfig, GeneratorResult, StepResult, raise_open_files_limit
from bench.processes import free_port, wait_until_ready
from channels.web_widget.socket import MESSAGES_BURST, MESSAGES_PER_SECOND
from channels.web_widget.tokens import Visitor, VisitorTokens
from core.db import Database, create_engine
from core.embedded_db import embedded_postgres
from core.ids import WorkspaceId
from core.migrate import ensure_database_exists

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "widget_load.txt"
SERVER_LOG = RESULTS.with_name("widget_load_server.log")  # kept for evidence; bench/results is git-ignored
STEPS = (10, 25, 50, 75, 100, 150, 200, 300, 400, 600, 800, 1600, 3200, 4800, 6400, 9600, 12800)
LADDER_SECONDS = 95.0  # per run: keeps the whole benchmark within about 6 minutes
QUICK_STEPS = (10, 50, 200, 800, 3200)
GENERATOR_BOUND_PERCENT = 90.0  # a generator this busy is the limit of what it measures
BUSY_MACHINE_PERCENT = 20.0  # other processes using more than this share of a core make a step suspect
VISITOR_COUNTS = (100, 1000)
STEP_SECONDS, QUICK_STEP_SECONDS = 5.0, 2.0
P99_LIMIT_MS = 100.0
TARGET_RATE, TARGET_VISITORS = 300, 1000
SLUG = "bench"
SECRET_KEY = "widget-load-benchmark-secret-key-not-for-production"  # noqa: S105  (a throwaway server)
READY_SECONDS = 120.0
STOP_SECONDS = 20.0
GENERATOR_SECONDS = 600.0
DATABASE = "firstline"


@dataclass(frozen=True)
class Plan:
    steps: tuple[int, ...]
    step_seconds: float
    ladder_seconds: float  # per run


@dataclass(frozen=True)
class Persistence:
    acked: int
    stored: int
    duplicate_keys: int  # channel keys stored more than once
    duplicate_ids: int  # client ids stored more than once
    acked_not_stored: int
    stored_not_acked: int  # committed, but the ack never reached the visitor before it left


@dataclass(frozen=True)
class Run:
    system: str
    visitors: int
    result: GeneratorResult
    persistence: Persistence | None = None


@dataclass
class Children:
    """Every process we start, each in its own session, so that all can be stopped whatever happens."""

    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, command: Sequence[str], *, env: dict[str, str], log: Path | None = None) -> subprocess.Popen[bytes]:
        output = subprocess.DEVNULL if log is None else log.open("ab")
        try:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output, start_new_session=True)
        finally:
            if log is not None and not isinstance(output, int):
                output.close()
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if process in self.processes:
            self.processes.remove(process)

    def stop_all(self) -> None:
        for process in reversed(self.processes[:]):
            self.stop(process)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter steps: a smoke check")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    raise_open_files_limit()  # inherited by every child, `firstline serve` included
    plan = (
        Plan(QUICK_STEPS, QUICK_STEP_SECONDS, LADDER_SECONDS)
        if args.quick
        else Plan(STEPS, STEP_SECONDS, LADDER_SECONDS)
    )
    started = time.perf_counter()
    children = Children()
    runs: list[Run] = []
    notes: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="firstline-widget-load-") as scratch_name:
            scratch = Path(scratch_name)
            env = _child_environment(scratch)
            runs += _measure_relay(children, env, scratch, plan)
            firstline_runs, firstline_notes = _measure_firstline(children, env, scratch, plan)
            runs += firstline_runs
            notes += firstline_notes
    finally:
        children.stop_all()
    report = _report(runs, notes, plan, time.perf_counter() - started, quick=args.quick)
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report + "\n")


def serve_firstline(
    children: Children, env: dict[str, str], scratch: Path, database_url: str, secret_key: str
) -> tuple[subprocess.Popen[bytes], str]:
    """A `firstline serve` process on `database_url`, ready; the process and its base URL."""
    port = free_port()
    firstline_env = {
        **env,
        "DATABASE_URL": database_url,
        "FIRSTLINE_SECRET_KEY": secret_key,
        "FIRSTLINE_PORT": str(port),
        "FIRSTLINE_LOG_LEVEL": "WARNING",
        "FIRSTLINE_DATA_DIR": str(scratch / "data"),
    }
    command = [str(Path(sys.executable).with_name("firstline")), "serve"]
    process = children.start(command, env=firstline_env, log=scratch / "firstline.log")
    wait_until_ready(f"http://127.0.0.1:{port}/readyz", process, deadline_seconds=READY_SECONDS)
    return process, f"http://127.0.0.1:{port}"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _child_environment(scratch: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(scratch / "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # each child compiles once into the cache above
    env.pop("VIRTUAL_ENV", None)
    return env


# --- the bare relay -------------------------------------------------------------------------------


def _measure_relay(children: Children, env: dict[str, str], scratch: Path, plan: Plan) -> list[Run]:
    port = free_port()
    relay = children.start([sys.executable, "-m", "bench.relay_baseline", "--port", str(port)], env=env)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}/readyz", relay, deadline_seconds=READY_SECONDS)
        runs = []
        for visitors in VISITOR_COUNTS:
            config = GeneratorConfig(
                label=f"relay {visitors}",
                base_url=f"http://127.0.0.1:{port}",
                slug=SLUG,
                api_key="none",
                tokens=[f"visitor-{n}" for n in range(visitors)],
                tag=f"r{visitors}",
                steps=list(plan.steps),
                step_seconds=plan.step_seconds,
                ladder_seconds=plan.ladder_seconds,
                p99_limit_ms=P99_LIMIT_MS,
                watch={"server": relay.pid},
            )
            runs.append(Run("bare relay", visitors, _generate(children, env, scratch, config)))
        return runs
    finally:
        children.stop(relay)


# --- Firstline ------------------------------------------------------------------------------------


def _measure_firstline(
    children: Children, env: dict[str, str], scratch: Path, plan: Plan
) -> tuple[list[Run], list[str]]:
    with embedded_postgres(scratch / "pg") as server:
        asyncio.run(ensure_database_exists(server.url(), DATABASE))
        url = server.url(DATABASE)
        port = free_port()
        server_log = scratch / "firstline.log"
        firstline_env = {
            **env,
            "DATABASE_URL": url,
            "FIRSTLINE_SECRET_KEY": SECRET_KEY,
            "FIRSTLINE_PORT": str(port),
            "FIRSTLINE_LOG_LEVEL": "WARNING",
            "FIRSTLINE_LOG_FORMAT": "text",
            "FIRSTLINE_DATA_DIR": str(scratch / "data"),
        }
        command = [str(Path(sys.executable).with_name("firstline")), "serve"]
        firstline = children.start(command, env=firstline_env, log=server_log)
        runs = []
        try:
            wait_until_ready(f"http://127.0.0.1:{port}/readyz", firstline, deadline_seconds=READY_SECONDS)
            workspace_id, api_key = asyncio.run(_seed(url))
            commits_before = asyncio.run(_commits(url))
            tokens = VisitorTokens(SECRET_KEY)
            postmaster = int((server.pgdata / "postmaster.pid").read_text().split()[0])
            for visitors in VISITOR_COUNTS:
                tag = f"f{visitors}"
                config = GeneratorConfig(
                    label=f"firstline {visitors}",
                    base_url=f"http://127.0.0.1:{port}",
                    slug=SLUG,
                    api_key=api_key,
                    tokens=[tokens.issue(Visitor(workspace_id, address=uuid.uuid4().hex)) for _ in range(visitors)],
                    tag=tag,
                    steps=list(plan.steps),
                    step_seconds=plan.step_seconds,
                    ladder_seconds=plan.ladder_seconds,
                    p99_limit_ms=P99_LIMIT_MS,
                    watch={"server": firstline.pid, "postgres": postmaster},
                )
                result = _generate(children, env, scratch, config)
                persistence = asyncio.run(_check_persistence(url, tag, result.acked_ids))
                runs.append(Run("firstline", visitors, result, persistence))
        finally:
            children.stop(firstline)
        SERVER_LOG.parent.mkdir(parents=True, exist_ok=True)
        SERVER_LOG.write_bytes(server_log.read_bytes())
        notes = _server_log_notes(server_log)
        if runs:
            # Read after the server stopped: its backends flush their statistics when they exit.
            commits_after = asyncio.run(_commits(url))
            commits = commits_after[0] - commits_before[0]
            rollbacks = commits_after[1] - commits_before[1]
            stored = sum(run.persistence.stored for run in runs if run.persistence is not None)
            connections = sum(run.visitors for run in runs)
            notes.append(
                f"PostgreSQL transactions while measuring: {commits:,} commits and {rollbacks:,} rollbacks (a pool "
                f"pre-ping would show as one) for {stored:,} stored messages and {connections:,} visitor connections: "
                f"{commits / max(stored, 1):.1f} commits and {rollbacks / max(stored, 1):.1f} rollbacks per message, "
                "connection set-up included"
            )
        return runs, notes


async def _seed(url: str) -> tuple[WorkspaceId, str]:
    engine = create_engine(url, pool_size=2)
    try:
        async with Database.from_engine(engine).transaction() as tx:
            workspace = await create_workspace(tx.session, slug=SLUG, name="Benchmark", admin_id=None)
            key = await issue_api_key(
                tx.session, workspace_id=workspace.id, name="widget load", role=Role.ADMIN, created_by=None
            )
        return workspace.id, key.key
    finally:
        await engine.dispose()


async def _commits(url: str) -> tuple[int, int]:
    """Committed and rolled back transactions of the database so far."""
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    text("SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = current_database()")
                )
            ).one()
        return int(row.xact_commit), int(row.xact_rollback)
    finally:
        await engine.dispose()


async def _check_persistence(url: str, tag: str, acked_ids: list[str]) -> Persistence:
    engine = create_engine(url, pool_size=1)
    prefix = {"prefix": f"bench {tag} %"}
    try:
        async with engine.connect() as connection:
            keys = [
                str(key)
                for key in (
                    await connection.scalars(text("SELECT channel_key FROM messages WHERE body LIKE :prefix"), prefix)
                )
            ]
            duplicate_keys = await connection.scalar(
                text(
                    "SELECT count(*) FROM (SELECT channel_key, count(*) FROM messages WHERE body LIKE :prefix "
                    "GROUP BY channel_key HAVING count(*) > 1) AS twice"
                ),
                prefix,
            )
    finally:
        await engine.dispose()
    per_id = collections.Counter(key.rsplit(":", 1)[-1] for key in keys)
    acked = set(acked_ids)
    return Persistence(
        acked=len(acked),
        stored=len(keys),
        duplicate_keys=int(duplicate_keys or 0),
        duplicate_ids=sum(1 for count in per_id.values() if count > 1),
        acked_not_stored=len(acked - per_id.keys()),
        stored_not_acked=len(per_id.keys() - acked),
    )


def _server_log_notes(server_log: Path) -> list[str]:
    lines = [line for line in server_log.read_text(errors="replace").splitlines() if line.strip()]
    problems = [line for line in lines if any(word in line for word in ("WARNING", "ERROR", "Traceback"))]
    if not problems:
        return ["firstline server log: no warnings or errors"]
    counts = collections.Counter(line[:160] for line in problems)
    shown = [f"  {count} x {line}" for line, count in counts.most_common(5)]
    return [f"firstline server log ({SERVER_LOG.name}): {len(problems)} warning/error lines; most frequent:", *shown]


# --- shared ---------------------------------------------------------------------------------------


def _generate(children: Children, env: dict[str, str], scratch: Path, config: GeneratorConfig) -> GeneratorResult:
    config_file = scratch / f"{config.tag}-config.json"
    result_file = scratch / f"{config.tag}-result.json"
    config_file.write_text(config.model_dump_json())
    # The generator reports progress on stderr; it shares ours so that a person watching sees it.
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.load_generator", str(config_file), str(result_file)],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    children.processes.append(process)
    try:
        code = process.wait(timeout=GENERATOR_SECONDS)
    finally:
        children.stop(process)
    if code != 0:
        raise RuntimeError(f"the load generator ({config.label}) exited with {code}")
    return GeneratorResult.model_validate_json(result_file.read_text())


# --- the report -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    rate: int  # 0: no step passed
    step: StepResult | None
    stopped: str  # the first failing step and why, or that the ladder ran out
    flood_note: str


def _headline(run: Run) -> Headline:
    steps = run.result.steps
    passed = [step for step in steps if step.passed]
    failed = steps[-1] if steps and not steps[-1].passed else None
    stopped = "passed every step"
    if run.result.out_of_time is not None:
        stopped = f"{run.result.out_of_time}: not tried, the run's time budget was spent"
    if failed is not None:
        stopped = f"{failed.rate}{' (twice)' if failed.repeat else ''}: {failed.reason}"
    if run.system != "firstline":
        best = passed[-1] if passed else None
        return Headline(best.rate if best else 0, best, stopped, "")
    # The widget socket's own flood limit: rates above N visitors x 1 msg/s pass a 5 s step only on
    # the 8-message burst, so the headline keeps to rates the limit allows indefinitely.
    sustained = run.visitors * MESSAGES_PER_SECOND
    within = [step for step in passed if step.rate <= sustained]
    best = within[-1] if within else None
    above = [step.rate for step in passed if step.rate > sustained]
    limited = failed is not None and failed.rate_limited > 0
    note = ""
    if above or limited:
        note = (
            f"firstline, {run.visitors} visitors: limited by the per-visitor flood limit "
            f"({MESSAGES_PER_SECOND:g} msg/s sustained, burst {MESSAGES_BURST}) = {sustained:,.0f} msg/s; "
            f"highest rate within it: {best.rate if best else 0} msg/s"
        )
        if above:
            note += f"; {', '.join(map(str, above))} msg/s passed only on the burst"
        if limited and failed is not None:
            note += f"; at {failed.rate} msg/s {failed.rate_limited} messages were refused (rate_limited)"
    else:
        note = (
            f"firstline, {run.visitors} visitors: the per-visitor flood limit ({MESSAGES_PER_SECOND:g} msg/s "
            f"sustained, burst {MESSAGES_BURST}: {sustained:,.0f} msg/s for {run.visitors} visitors) refused nothing"
        )
        if failed is not None and failed.rate > sustained:
            note += (
                f"; latency failed at {failed.rate} msg/s, above that sustained rate (a 5 s step there fits in the "
                "burst), before the limit could refuse anything"
            )
        else:
            note += ": latency ended the ladder first"
    return Headline(best.rate if best else 0, best, stopped, note)


def _ms(value: float | None) -> str:
    return ">timeout" if value is None else f"{value:.1f}"


def _report(runs: list[Run], notes: list[str], plan: Plan, wall: float, *, quick: bool) -> str:
    lines = [
        "Web chat load: visitor send -> operator socket receipt; highest offered rate with p99 < "
        f"{P99_LIMIT_MS:.0f} ms",
        f"(steps of {plan.step_seconds:g} s: {', '.join(map(str, plan.steps))} msg/s; round-robin over the visitors "
        "after one unmeasured warm-up message each; "
        "generator in its own process; 2 cores shared by all; a failed rate is repeated once)"
        + (" [--quick]" if quick else ""),
        "",
        f"{'system':12} {'visitors':>8} {'msg/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'vs relay':>9}  "
        "next step (why it failed)",
    ]
    headlines = {(run.system, run.visitors): _headline(run) for run in runs}
    for run in runs:
        headline = headlines[(run.system, run.visitors)]
        relay = headlines.get(("bare relay", run.visitors))
        ratio = "-"
        if run.system != "bare relay" and relay is not None and relay.rate:
            ratio = f"{headline.rate / relay.rate:.3f}"
        p50 = _ms(headline.step.p50_ms) if headline.step else "-"
        p99 = _ms(headline.step.p99_ms) if headline.step else "-"
        lines.append(
            f"{run.system:12} {run.visitors:>8,} {headline.rate:>7,} {p50:>8} {p99:>8} {ratio:>9}  {headline.stopped}"
        )
    lines.append("")
    lines += [headline.flood_note for headline in headlines.values() if headline.flood_note]
    for run in runs:
        if run.persistence is None:
            continue
        p = run.persistence
        verdict = "OK" if p.duplicate_keys == p.duplicate_ids == p.acked_not_stored == 0 else "FAILED"
        lines.append(
            f"persistence, firstline {run.visitors:,} visitors: {verdict}: {p.acked:,} acked, {p.stored:,} stored, "
            f"{p.duplicate_keys} duplicate channel keys, {p.duplicate_ids} duplicate client ids, "
            f"{p.acked_not_stored} acked but not stored, {p.stored_not_acked} stored but not acked"
        )
    target = headlines.get(("firstline", TARGET_VISITORS))
    target_run = next((run for run in runs if run.system == "firstline" and run.visitors == TARGET_VISITORS), None)
    if target is not None and target_run is not None and target_run.persistence is not None:
        p = target_run.persistence
        persisted = p.duplicate_keys == p.duplicate_ids == p.acked_not_stored == 0
        met = target.rate >= TARGET_RATE and persisted
        lines.append(
            f"target (>= {TARGET_RATE} msg/s with p99 < {P99_LIMIT_MS:.0f} ms at {TARGET_VISITORS:,} visitors, "
            f"every accepted message persisted once): {'MET' if met else 'NOT MET'} ({target.rate} msg/s)"
        )
    lines += notes
    lines += _generator_bound(runs)
    lines += _contention(runs)
    lines += [
        "",
        "Every step (first: messages that were their visitor's first, which on Firstline open a conversation; "
        "server ms/msg: server CPU per sent message; cpu % of one core):",
        _step_table(runs),
        "",
        f"wall time: {wall:.0f} s",
    ]
    return "\n".join(lines)


def _step_table(runs: list[Run]) -> str:
    rows = [
        f"{'system':12} {'visitors':>8} {'offered':>7} {'sent/s':>7} {'first':>5} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'lost':>5} {'limited':>7}  {'cpu % gen/server/pg/others':26} {'server ms/msg':>13}  verdict"
    ]
    for run in runs:
        rows.append(
            f"{run.system:12} {run.visitors:>8,} connect {run.result.connect_seconds:.1f} s; "
            f"warm-up {run.result.warm_up_seconds:.1f} s; "
            f"errors {run.result.error_codes or 'none'}; never answered {run.result.never_answered}; "
            f"late {run.result.late_at_operator}; duplicates at operator {run.result.duplicates_at_operator}; "
            f"own messages echoed back to the sender {run.result.echoes_to_sender}"
        )
        for step in run.result.steps:
            cpu = "/".join(
                f"{step.cpu_percent.get(name, 0.0):.0f}" for name in ("generator", "server", "postgres", "others")
            )
            per_message = 10 * step.cpu_percent.get("server", 0.0) / max(step.achieved_rate, 1e-9)
            verdict = "ok" if step.passed else step.reason
            rows.append(
                f"{'':12} {'':>8} {step.rate:>7,} {step.achieved_rate:>7,.0f} {step.firsts:>5} {_ms(step.p50_ms):>8} "
                f"{_ms(step.p99_ms):>8} {_ms(step.max_ms):>8} {step.lost:>5} {step.rate_limited:>7}  "
                f"{cpu:26} {per_message:>13.2f}  {verdict}{' (repeat)' if step.repeat else ''}"
            )
    return "\n".join(rows)


def _contention(runs: list[Run]) -> list[str]:
    busy = [
        (run, step)
        for run in runs
        for step in run.result.steps
        if step.cpu_percent.get("others", 0.0) > BUSY_MACHINE_PERCENT
    ]
    if not busy:
        return [f"other processes on the machine: under {BUSY_MACHINE_PERCENT:.0f}% of a core during every step"]
    worst = max(step.cpu_percent.get("others", 0.0) for _, step in busy)
    where = ", ".join(sorted({f"{run.system} {run.visitors}" for run, _ in busy}))
    return [
        f"WARNING: other processes used more than {BUSY_MACHINE_PERCENT:.0f}% of a core during {len(busy)} steps "
        f"(up to {worst:.0f}%; {where}): those numbers understate what this machine can do alone"
    ]


def _generator_bound(runs: list[Run]) -> list[str]:
    """Runs whose top steps had the generator near a full core: their limit is the generator's, at least."""
    notes = []
    for run in runs:
        top = run.result.steps[-2:]
        busiest = max((step.cpu_percent.get("generator", 0.0) for step in top), default=0.0)
        if busiest >= GENERATOR_BOUND_PERCENT:
            notes.append(
                f"{run.system}, {run.visitors} visitors: the load generator used {busiest:.0f}% of a core at the top "
                "steps, so this is a lower bound of what the server can take (the generator's limit, not its own)"
            )
    return notes


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("widget_load: interrupted; every process it started has been stopped", file=sys.stderr)
        sys.exit(130)
