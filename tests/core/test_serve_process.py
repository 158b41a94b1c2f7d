"""The real `firstline demo` process on the embedded database: ready, log in through the real form,
Ctrl-C stops everything, a restart reuses the data, a killed process's PostgreSQL is recovered."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import psutil
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from core.embedded_db import EmbeddedServer, running_embedded_server
from core.startup import EMBEDDED_DATABASE
from tests.processes import STOP_SECONDS, Served, free_port

FIRSTLINE = Path(sys.executable).with_name("firstline")
REPO_ROOT = Path(__file__).resolve().parents[2]
RESULTS = REPO_ROOT / "bench" / "results" / "startup.txt"
ADMIN_EMAIL = "owner@example.com"
ADMIN_PASSWORD = "known demo password 42"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
# run_app turns SIGINT into a graceful shutdown and returns; the command then exits normally.
CLEAN_SIGINT_EXIT = 0


def postgres_processes(pgdata: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if str(pgdata) in " ".join(process.info["cmdline"] or []):
            found.append(process)
    return found


def embedded_server(data_dir: Path) -> EmbeddedServer:
    server = running_embedded_server(data_dir)
    assert server is not None, f"no embedded PostgreSQL running for {data_dir}"
    return server


class Launcher:
    """Starts `firstline demo` processes on one data dir and port; kills what is left at teardown."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.tmp_path = tmp_path
        self.data_dir = Path(env["FIRSTLINE_DATA_DIR"])
        self.env = env
        self.started: list[Served] = []

    def start(self) -> Served:
        number = len(self.started) + 1
        stdout, stderr = self.tmp_path / f"stdout-{number}.txt", self.tmp_path / f"stderr-{number}.txt"
        started = time.monotonic()
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(
                [FIRSTLINE, "demo"], env=self.env, cwd=self.tmp_path, stdin=subprocess.DEVNULL, stdout=out, stderr=err
            )
        served = Served(process, stdout, stderr, f"http://127.0.0.1:{self.env['FIRSTLINE_PORT']}", started)
        self.started.append(served)
        return served

    def postgres(self) -> list[psutil.Process]:
        return postgres_processes(self.data_dir / "pgdata")

    async def assert_no_postgres(self) -> None:
        deadline = time.monotonic() + STOP_SECONDS
        while remaining := self.postgres():
            assert time.monotonic() < deadline, f"PostgreSQL still running: {remaining}"
            await asyncio.sleep(0.05)

    def clean_up(self) -> None:
        for served in self.started:
            if served.process.poll() is None:
                served.process.kill()
            served.process.wait(timeout=STOP_SECONDS)
        for postmaster in self.postgres():  # an immediate shutdown of what a failed test left behind
            postmaster.send_signal(signal.SIGQUIT)
            psutil.wait_procs([postmaster], timeout=STOP_SECONDS)


@pytest.fixture
def launcher(tmp_path: Path, bytecode_cache: Path) -> Iterator[Launcher]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("FIRSTLINE_") and name not in ("DATABASE_URL", "PYTHONDONTWRITEBYTECODE")
    }
    env.update(
        FIRSTLINE_DATA_DIR=str(tmp_path / "data"),
        FIRSTLINE_HOST="127.0.0.1",
        FIRSTLINE_PORT=str(free_port()),
        FIRSTLINE_ADMIN_EMAIL=ADMIN_EMAIL,
        FIRSTLINE_ADMIN_PASSWORD=ADMIN_PASSWORD,
        FIRSTLINE_LOG_FORMAT="text",
        PYTHONPYCACHEPREFIX=str(bytecode_cache),
    )
    launched = Launcher(tmp_path, env)
    yield launched
    launched.clean_up()


async def log_in(base_url: str) -> str:
    """Log in as the demo admin through the real form; the path the browser lands on."""
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for an IP-address host
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=30)) as session:
        async with session.get(f"{base_url}/login") as form:
            assert form.status == 200
            match = CSRF_META.search(await form.text())
        assert match is not None, "no CSRF token on the login page"
        data = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "_csrf": match.group(1), "next": "/"}
        async with session.post(f"{base_url}/login", data=data) as landed:
            assert landed.status == 200, await landed.text()
            assert landed.history and landed.history[0].status == 303, "the login form did not accept the admin"
            return landed.url.path


async def admin_row(data_dir: Path) -> tuple[object, ...]:
    """The demo admin as stored, read straight from the embedded database while it runs."""
    engine = create_async_engine(embedded_server(data_dir).url(EMBEDDED_DATABASE), poolclass=NullPool)
    try:
        async with asyncio.timeout(STOP_SECONDS), engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT id, created_at, password_hash FROM operators WHERE email = :email"), {"email": ADMIN_EMAIL}
            )
            return tuple(rows.one())
    finally:
        await engine.dispose()


async def demo_bot(data_dir: Path) -> tuple[object, ...]:
    """The demo's live flows and whether new dialogs start with the bot."""
    engine = create_async_engine(embedded_server(data_dir).url(EMBEDDED_DATABASE), poolclass=NullPool)
    try:
        async with asyncio.timeout(STOP_SECONDS), engine.connect() as connection:
            live = await connection.scalars(
                text("SELECT f.name FROM flows f JOIN flow_versions v ON v.id = f.published_version_id ORDER BY 1")
            )
            greets = await connection.scalar(text("SELECT bot_greets FROM workspaces WHERE slug = 'demo'"))
            return tuple(live), greets
    finally:
        await engine.dispose()


def record_startup_times(cold: float, warm: float) -> None:
    report = (
        f"cold start (empty data dir -> first 200 from /readyz): {cold:.2f} s\n"
        f"warm start (same data dir -> first 200 from /readyz): {warm:.2f} s\n"
    )
    print(report, end="", flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)


async def test_demo_serves_logs_in_stops_on_ctrl_c_and_restarts_on_the_same_data(launcher: Launcher) -> None:
    first = launcher.start()
    cold = await first.wait_ready()
    banner = await first.banner()
    assert ADMIN_EMAIL in banner
    assert ADMIN_PASSWORD not in banner
    assert (await log_in(first.base_url)).startswith("/w/demo/")
    admin = await admin_row(launcher.data_dir)
    assert await demo_bot(launcher.data_dir) == (("Welcome bot",), True)  # a published welcome bot greets

    first.process.send_signal(signal.SIGINT)
    assert await first.wait_exit() == CLEAN_SIGINT_EXIT, first.output()
    assert "Traceback" not in first.stderr.read_text()
    await launcher.assert_no_postgres()

    second = launcher.start()
    warm = await second.wait_ready()
    banner = await second.banner()
    assert ADMIN_EMAIL in banner
    assert "shown once" not in banner, "a restart must not generate another admin password"
    assert ADMIN_PASSWORD not in banner
    assert (await log_in(second.base_url)).startswith("/w/demo/")
    assert await admin_row(launcher.data_dir) == admin, "the restart must reuse the stored admin"
    assert await demo_bot(launcher.data_dir) == (("Welcome bot",), True)  # not seeded twice

    second.process.send_signal(signal.SIGINT)
    assert await second.wait_exit() == CLEAN_SIGINT_EXIT, second.output()
    await launcher.assert_no_postgres()
    record_startup_times(cold, warm)


async def test_restart_after_the_process_was_killed_recovers_its_postgres(launcher: Launcher) -> None:
    killed = launcher.start()
    await killed.wait_ready()
    orphan = embedded_server(launcher.data_dir)

    killed.process.kill()
    assert await killed.wait_exit() == -signal.SIGKILL
    assert launcher.postgres(), "PostgreSQL should outlive the killed process"

    recovered = launcher.start()
    await recovered.wait_ready()
    assert embedded_server(launcher.data_dir) == orphan, "the orphaned server should be adopted, not replaced"
    assert (await log_in(recovered.base_url)).startswith("/w/demo/")

    recovered.process.send_signal(signal.SIGINT)
    assert await recovered.wait_exit() == CLEAN_SIGINT_EXIT, recovered.output()
    await launcher.assert_no_postgres()
