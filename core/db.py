"""Database access: the declarative base, the engine, and `transaction()` — the one way work opens
a transaction — whose `on_commit` callbacks run only after a successful commit."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import BigInteger, DateTime, MetaData, TextClause
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

from core.errors import DomainError
from core.ids import ALL_ID_TYPES

log = logging.getLogger(__name__)

UNIQUE_VIOLATION = "23505"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


_TYPE_ANNOTATION_MAP: dict[object, object] = {
    int: BigInteger,
    datetime: DateTime(timezone=True),
    **{id_type: BigInteger for id_type in ALL_ID_TYPES},
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = _TYPE_ANNOTATION_MAP


AfterCommit = Callable[[], Awaitable[None]]


@dataclass
class Transaction:
    session: AsyncSession
    _after_commit: list[AfterCommit] = field(default_factory=list)

    def on_commit(self, callback: AfterCommit) -> None:
        """Run `callback` once the transaction has committed; never if it rolls back."""
        self._after_commit.append(callback)


class Database:
    """Opens transactions. Built from an engine in production, from one connection in tests."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine | None = None) -> None:
        self._sessions = sessions
        self.engine = engine

    @classmethod
    def from_engine(cls, engine: AsyncEngine) -> Database:
        return cls(async_sessionmaker(engine, expire_on_commit=False), engine)

    @classmethod
    def from_connection(cls, connection: AsyncConnection) -> Database:
        """Every transaction becomes a savepoint of the connection's open transaction (tests)."""
        sessions = async_sessionmaker(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
        return cls(sessions)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._sessions() as session, session.begin():
            tx = Transaction(session)
            yield tx
        for callback in tx._after_commit:
            await _run_after_commit(callback)

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncConnection]:
        """A connection on which each statement is a transaction of its own, for work done in one
        statement: it spares the BEGIN and COMMIT round trips (two of three). With a test's shared
        connection, a savepoint stands in for it."""
        if self.engine is None:
            async with self.transaction() as tx:
                yield await tx.session.connection()
            return
        async with self.engine.connect() as connection:
            yield await connection.execution_options(isolation_level="AUTOCOMMIT")


async def _run_after_commit(callback: AfterCommit) -> None:
    # The data is committed; a failing side effect must not turn the request into an error.
    try:
        await callback()
    except Exception:
        log.exception("after-commit callback failed", extra={"callback": getattr(callback, "__qualname__", "?")})


class DriverStatement:
    """A fixed statement that, on an autocommit connection (`Database.autocommit`), is sent through
    the driver (asyncpg) itself: compiled once to PostgreSQL's `$n` form, each run skips
    SQLAlchemy's execution machinery — a tenth of the CPU of a hot path that is one statement. In a
    transaction it goes through SQLAlchemy, which begins the transaction first (the driver alone
    would run it outside)."""

    def __init__(self, statement: TextClause) -> None:
        self.statement = statement
        compiled = statement.compile(dialect=asyncpg_dialect())  # type: ignore[no-untyped-call]
        self.sql = compiled.string
        self._names = tuple(compiled.positiontup or ())

    async def fetch_one(self, connection: AsyncConnection, params: Mapping[str, object]) -> Mapping[str, Any] | None:
        if (
            connection.sync_connection is None
            or connection.sync_connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT"
        ):
            found = (await connection.execute(self.statement, params)).mappings().one_or_none()
            return None if found is None else dict(found)
        driver: asyncpg.Connection = (await connection.get_raw_connection()).driver_connection
        try:
            row: asyncpg.Record | None = await driver.fetchrow(self.sql, *(params[name] for name in self._names))
        except (asyncpg.InterfaceError, asyncpg.PostgresConnectionError, OSError):
            await connection.invalidate()  # as SQLAlchemy would: the pool must not hand it out again
            raise
        return row


def create_engine(url: str, *, pool_size: int) -> AsyncEngine:
    # No pre-ping: it costs a round trip on every checkout (measured: several per chat message). A
    # connection broken by a database restart fails one transaction and is then replaced; recycling
    # bounds how long an idle connection is trusted.
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)


@asynccontextmanager
async def unique_or(session: AsyncSession, conflict: DomainError) -> AsyncIterator[None]:
    """Changes made inside are flushed in a savepoint; a unique-constraint violation (a concurrent
    twin, a taken name) becomes `conflict` and leaves the outer transaction usable."""
    try:
        async with session.begin_nested():
            yield
    except IntegrityError as error:
        if getattr(error.orig, "sqlstate", None) == UNIQUE_VIOLATION:
            raise conflict from None
        raise
