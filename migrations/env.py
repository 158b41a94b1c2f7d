"""Alembic environment: migrations run on the connection `core.migrate` hands over."""

from alembic import context

import accounts.models  # noqa: F401  (registers the tables on Base.metadata)
from core.db import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
