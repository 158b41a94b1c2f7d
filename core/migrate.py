"""Schema migrations (alembic, run programmatically) and the startup checks that precede them:
the database is reachable, pgvector is available, only one process migrates at a time."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.errors import StartupError

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Two processes starting at once must not both run the same migration.
MIGRATION_LOCK_KEY = 7_260_001
CONNECT_TIMEOUT_SECONDS = 10


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def check_database(engine: AsyncEngine) -> None:
    """Fail with one readable line when the database is unreachable or lacks pgvector."""
    where = _describe(engine)
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS):
            async with engine.connect() as connection:
                available = await connection.scalar(
                    text("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'")
                )
    except TimeoutError:
        raise StartupError(f"cannot connect to PostgreSQL at {where}: timed out") from None
    except (OSError, DBAPIError, asyncpg.PostgresError) as error:
        raise StartupError(f"cannot connect to PostgreSQL at {where}: {_reason(error)}") from None
    if not available:
        raise StartupError(
            f"the PostgreSQL at {where} lacks the pgvector extension ('vector'); "
            "install pgvector 0.8 or newer on that server, or unset DATABASE_URL to use the embedded one"
        )


async def migrate(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        await connection.run_sync(_upgrade_to_head)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())


async def ensure_database_exists(server_url: str, name: str) -> None:
    """Create database `name` on the server behind `server_url` (a maintenance database) if missing."""
    url = make_url(server_url)
    connection = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password, database=url.database
    )
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def _upgrade_to_head(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _describe(engine: AsyncEngine) -> str:
    url = engine.url
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def _reason(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    message = str(original).strip().splitlines()
    return message[0] if message else type(original).__name__
