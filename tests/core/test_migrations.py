import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import Base, create_engine
from core.embedded_db import EmbeddedServer
from core.migrate import current_revision, ensure_database_exists, head_revision, migrate
from tests.factories import import_all_models


async def test_the_migrations_build_exactly_the_schema_the_models_declare(engine: AsyncEngine) -> None:
    import_all_models()

    def differences(connection: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))

    async with engine.connect() as connection:
        diff = await connection.run_sync(differences)
    assert diff == []


async def test_processes_starting_together_migrate_a_fresh_database_once(pg_server: EmbeddedServer) -> None:
    """Each start migrates; under the advisory lock the second waits and then finds nothing to do."""
    await ensure_database_exists(pg_server.url(), "firstline_migration_race")
    engines = [create_engine(pg_server.url("firstline_migration_race"), pool_size=1) for _ in range(3)]
    try:
        await asyncio.gather(*(migrate(engine) for engine in engines))
        assert await current_revision(engines[0]) == head_revision()
    finally:
        for engine in engines:
            await engine.dispose()
