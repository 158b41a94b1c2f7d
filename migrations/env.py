"""Alembic environment: migrations run on the connection `core.migrate` hands over."""

from alembic import context

# Importing the models registers their tables on Base.metadata.
import accounts.models  # noqa: F401
import billing.models  # noqa: F401
import bots.ai.models  # noqa: F401
import broadcasts.models  # noqa: F401
import channels.telegram.models
import channels.web_widget.models  # noqa: F401
import conversations.models  # noqa: F401
import flows.models  # noqa: F401
import knowledge_base.models  # noqa: F401
from core.db import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
