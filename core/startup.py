"""Getting a database ready before serving: the embedded server (or DATABASE_URL), the checks, the
migrations. Used by every CLI command that touches the database."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from core.config import Settings, async_database_url
from core.db import create_engine
from core.embedded_db import embedded_postgres
from core.migrate import check_database, ensure_database_exists, migrate

EMBEDDED_DATABASE = "firstline"


@contextlib.contextmanager
def running_database(settings: Settings) -> Iterator[Settings]:
    """Settings whose database URL points at a running PostgreSQL, for as long as the block runs."""
    if settings.database.url is not None:
        yield _with_url(settings, async_database_url(settings.database.url))
        return
    with embedded_postgres(settings.data_dir.resolve()) as server:
        asyncio.run(ensure_database_exists(server.url(), EMBEDDED_DATABASE))
        yield _with_url(settings, server.url(EMBEDDED_DATABASE))


async def prepare_database(settings: Settings) -> None:
    """Check reachability and pgvector, then migrate to head."""
    assert settings.database.url is not None  # running_database sets it
    engine = create_engine(settings.database.url, pool_size=1)
    try:
        await check_database(engine)
        await migrate(engine)
    finally:
        await engine.dispose()


def _with_url(settings: Settings, url: str) -> Settings:
    return settings.model_copy(update={"database": settings.database.model_copy(update={"url": url})})
