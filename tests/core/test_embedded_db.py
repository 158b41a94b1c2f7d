"""The embedded PostgreSQL lifecycle against real servers: each test has its own data dir and its own
server. Other "Firstline processes" are real Python children that call the same functions."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psutil
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from core.embedded_db import (
    SERVICE_USER,
    EmbeddedServer,
    leave_embedded_postgres,
    running_embedded_server,
    start_embedded_postgres,
)
from core.errors import StartupError

REPO_ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 30

# Another Firstline process using the same data dir: joins (or starts) the server, prints its port,
# and leaves when its stdin gets a line. Killed with SIGKILL, it leaves the server running.
OTHER_USER = """
import sys
from pathlib import Path
from core.embedded_db import leave_embedded_postgres, start_embedded_postgres

data_dir = Path(sys.argv[1])
server = start_embedded_postgres(data_dir)
print(server.port, flush=True)
sys.stdin.readline()
leave_embedded_postgres(data_dir)
print("left", flush=True)
"""


def postgres_processes(pgdata: Path) -> list[psutil.Process]:
    """Every live process whose command line names `pgdata` (the postmaster of that data dir)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if str(pgdata) in " ".join(cmdline) and process.pid != os.getpid():
            found.append(process)
    return found


def postmaster_pid(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().splitlines()[0])


def stop_leftover_postgres(pgdata: Path) -> None:
    """Teardown safety net: an immediate shutdown (SIGQUIT) of whatever still serves `pgdata`."""
    for process in postgres_processes(pgdata):
        with contextlib.suppress(psutil.NoSuchProcess):
            family = [process, *process.children(recursive=True)]
            process.send_signal(signal.SIGQUIT)
            _, alive = psutil.wait_procs(family, timeout=WAIT_SECONDS)
            for survivor in alive:
                survivor.kill()


def is_alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


async def wait_until_gone(processes: list[psutil.Process]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while any(is_alive(process) for process in processes):
        assert time.monotonic() < deadline, f"still running after {WAIT_SECONDS} s: {processes}"
        await asyncio.sleep(0.05)


async def assert_no_postgres_for(pgdata: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while remaining := postgres_processes(pgdata):
        assert time.monotonic() < deadline, f"PostgreSQL for {pgdata} still running: {remaining}"
        await asyncio.sleep(0.05)


async def scalar(server: EmbeddedServer, *statements: str) -> object:
    """Run `statements` in one transaction on the server's `postgres` database; the last one's value."""
    engine = create_async_engine(server.url(), poolclass=NullPool)
    try:
        async with asyncio.timeout(WAIT_SECONDS), engine.begin() as connection:
            for statement in statements[:-1]:
                await connection.execute(text(statement))
            return await connection.scalar(text(statements[-1]))
    finally:
        await engine.dispose()


async def start(data_dir: Path) -> EmbeddedServer:
    return await asyncio.to_thread(start_embedded_postgres, data_dir)


async def leave(data_dir: Path) -> None:
    await asyncio.to_thread(leave_embedded_postgres, data_dir)


class OtherUser:
    """A real child process using the embedded server of `data_dir` (see OTHER_USER)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def join(cls, data_dir: Path) -> tuple[OtherUser, int]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            OTHER_USER,
            str(data_dir),
            cwd=REPO_ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        user = cls(process)
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), WAIT_SECONDS)
        assert line.strip().isdigit(), f"the other process did not report a port: {line!r}"
        return user, int(line)

    async def leave(self) -> None:
        stdout, _ = await asyncio.wait_for(self.process.communicate(b"leave\n"), WAIT_SECONDS)
        assert self.process.returncode == 0
        assert stdout.decode().strip() == "left"

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
        await asyncio.wait_for(self.process.communicate(), WAIT_SECONDS)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "data"
    yield directory
    stop_leftover_postgres(directory / "pgdata")


@pytest.fixture
def unrelated_pid() -> Iterator[int]:
    """A live process of the OS user PostgreSQL runs as, so that PostgreSQL itself takes a
    `postmaster.pid` naming it for a running postmaster and refuses to start (it ignores pids it
    may not signal, so the pytest process's own pid would not do when we are root)."""
    user = group = SERVICE_USER if os.geteuid() == 0 else None
    sleeper = subprocess.Popen(
        ["sleep", str(WAIT_SECONDS * 4)], user=user, group=group, extra_groups=[] if user else None
    )
    yield sleeper.pid
    sleeper.kill()
    sleeper.wait(timeout=WAIT_SECONDS)


@pytest.fixture
async def other_users() -> AsyncIterator[list[OtherUser]]:
    """Children registered here are killed at teardown if a test left them running."""
    users: list[OtherUser] = []
    yield users
    for user in users:
        await user.kill()


async def test_starts_a_server_with_pgvector_and_russian_stemming_and_stops_it_on_leave(data_dir: Path) -> None:
    server = await start(data_dir)
    pgdata = data_dir / "pgdata"
    assert server.pgdata == pgdata
    assert (data_dir / "postgres.log").exists()
    assert postgres_processes(pgdata), "no PostgreSQL process names the data dir"

    assert await scalar(server, "CREATE EXTENSION vector", "SELECT '[1,2,3]'::vector <-> '[1,2,5]'::vector") == 2.0
    assert "'возврат'" in str(await scalar(server, "SELECT to_tsvector('russian', 'возвратами')::text"))

    # Other local accounts reach 127.0.0.1 too: the server wants the generated password.
    assert server.password is not None
    assert (data_dir / "postgres-password").stat().st_mode & 0o077 == 0
    without_password = EmbeddedServer(pgdata=pgdata, port=server.port, password=None)
    with pytest.raises(DBAPIError, match="password authentication failed"):
        await scalar(without_password, "SELECT 1")
    wrong_password = EmbeddedServer(pgdata=pgdata, port=server.port, password="guessed")
    with pytest.raises(DBAPIError, match="password authentication failed"):
        await scalar(wrong_password, "SELECT 1")

    await leave(data_dir)
    await assert_no_postgres_for(pgdata)
    assert not (pgdata / "postmaster.pid").exists()


async def test_server_keeps_running_while_another_process_uses_it_and_stops_with_the_last(
    data_dir: Path, other_users: list[OtherUser]
) -> None:
    server = await start(data_dir)
    other, port = await OtherUser.join(data_dir)
    other_users.append(other)
    assert port == server.port, "the second process must join the running server, not start another"

    await leave(data_dir)
    assert await scalar(server, "SELECT 1") == 1, "the server stopped while another process still used it"

    await other.leave()
    await assert_no_postgres_for(data_dir / "pgdata")


async def test_server_left_by_a_killed_process_is_adopted_and_stopped(
    data_dir: Path, other_users: list[OtherUser]
) -> None:
    killed, port = await OtherUser.join(data_dir)
    other_users.append(killed)
    orphan = running_embedded_server(data_dir)
    assert orphan is not None and orphan.port == port
    await scalar(orphan, "CREATE TABLE survivor (id int)", "INSERT INTO survivor VALUES (7)", "SELECT 1")
    await killed.kill()
    assert killed.process.returncode == -signal.SIGKILL
    assert postgres_processes(orphan.pgdata), "killing the Firstline process must not take PostgreSQL with it"

    adopted = await start(data_dir)
    assert adopted.port == port
    assert await scalar(adopted, "SELECT id FROM survivor") == 7

    await leave(data_dir)
    await assert_no_postgres_for(orphan.pgdata)


async def test_stale_postmaster_pid_naming_a_live_unrelated_process_is_removed(
    data_dir: Path, unrelated_pid: int, caplog: pytest.LogCaptureFixture
) -> None:
    server = await start(data_dir)
    await scalar(server, "CREATE TABLE kept (id int)", "INSERT INTO kept VALUES (42)", "SELECT 1")
    pid_file = server.pgdata / "postmaster.pid"
    postmaster = psutil.Process(postmaster_pid(server.pgdata))
    family = [postmaster, *postmaster.children(recursive=True)]
    postmaster.kill()
    await wait_until_gone(family)
    # After a reboot the recorded pid may belong to anything; PostgreSQL alone would refuse to start.
    lines = pid_file.read_text().splitlines()
    pid_file.write_text("\n".join([str(unrelated_pid), *lines[1:]]) + "\n")

    restarted = await start(data_dir)
    assert "removing stale postmaster.pid" in caplog.text
    assert postmaster_pid(restarted.pgdata) not in (unrelated_pid, postmaster.pid)
    assert await scalar(restarted, "SELECT id FROM kept") == 42

    await leave(data_dir)
    await assert_no_postgres_for(restarted.pgdata)


def test_non_empty_directory_that_is_not_a_data_dir_is_refused(data_dir: Path) -> None:
    pgdata = data_dir / "pgdata"
    pgdata.mkdir(parents=True)
    (pgdata / "notes.txt").write_text("not a database")

    with pytest.raises(StartupError, match=re.escape(str(pgdata))):
        start_embedded_postgres(data_dir)
    assert (pgdata / "notes.txt").read_text() == "not a database"
    assert not postgres_processes(pgdata)
